/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`test/unit/lifecycle-hooks.test.ts > TAP > failures are told against the hook's line > as a user reads them > must match snapshot 1`] = `
a non-zero exit stops at that hook: {DIR}/c.ini:9: [hook] pre-start: {DIR}/fail.sh exited with 3
killed by a signal: {DIR}/c.ini:8: [hook] pre-start: {DIR}/killed.sh was killed by SIGTERM
the program is gone since the config was checked: {DIR}/c.ini:8: [hook] pre-start: {DIR}/gone.sh: No such file or directory (ENOENT)
the program is no longer executable: {DIR}/c.ini:8: [hook] pre-start: {DIR}/not-exec.sh: Permission denied (EACCES)
`
