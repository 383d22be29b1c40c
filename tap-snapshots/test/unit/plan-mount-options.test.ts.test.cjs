/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`test/unit/plan-mount-options.test.ts > TAP > filesystem options on a bind mount are errors > error text 1`] = `
bind mounts take no filesystem option "size=1M"
`
