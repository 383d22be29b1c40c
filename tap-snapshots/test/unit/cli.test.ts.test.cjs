/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`test/unit/cli.test.ts > TAP > check > a bad config: exit 1, every error on stderr > stderr 1`] = `
lite: error: {DIR}/bad.ini:3: [rootfs] size: "8Q" is not a size (use bytes, or a number with K, M, G or T: 512K, 64M, 1G)
lite: error: {DIR}/bad.ini:6: unknown key "memroy" in [exec]
lite: 2 errors in {DIR}/bad.ini; not valid

`

exports[`test/unit/cli.test.ts > TAP > usage errors: 125 and a message on stderr > stderr 1`] = `
$ lite 
lite: error: give a command (see lite --help)
Run "lite --help" for usage.

$ lite frobnicate
lite: error: Unknown argument: frobnicate
Run "lite --help" for usage.

$ lite run --bogus cfg.ini
lite: error: Not enough non-option arguments: got 0, need at least 1
Run "lite --help" for usage.

$ lite run cfg.ini --bogus
lite: error: Unknown argument: bogus
Run "lite --help" for usage.

$ lite run cfg.ini sh -c x
lite: error: Unknown argument: c
Run "lite --help" for usage.

$ lite run
lite: error: Not enough non-option arguments: got 0, need at least 1
Run "lite --help" for usage.

$ lite check
lite: error: Not enough non-option arguments: got 0, need at least 1
Run "lite --help" for usage.

$ lite run --name
lite: error: Not enough non-option arguments: got 0, need at least 1
Run "lite --help" for usage.

$ lite run -d -t cfg.ini
lite: error: -d cannot be combined with -t or -i: a detached container has no terminal (use lite exec -ti NAME sh)
Run "lite --help" for usage.

$ lite exec web
lite: error: give the command to run, e.g. lite exec NAME -- ps
Run "lite --help" for usage.

`
