/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`test/unit/lifecycle-state.test.ts > TAP > acquireState > busy: already running, with the pid from the state file > message 1`] = `
container "web" is already running (pid 4242); choose another name with --name or [container] name
`
