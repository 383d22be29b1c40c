/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`test/unit/native-addon-dir.test.ts > TAP > noAddonDirMessage > must match snapshot 1`] = `
no directory to unpack the native addon into: tried /tmp (mounted noexec (/tmp)), /dev/shm (does not exist); set BUN_TMPDIR to a writable directory on a mount without noexec
`

exports[`test/unit/native-addon-dir.test.ts > TAP > pickAddonDir > nowhere to go: every reason, and what to do > message 1`] = `
no directory to unpack the native addon into: tried {DIR}/missing (does not exist), {DIR}/ro (mounted read-only ({DIR}/ro)), /run/lite (mounted noexec ({DIR}/run)), /tmp (mounted noexec ({DIR}/tmp)), /dev/shm (mounted read-only ({DIR}/shm)); set BUN_TMPDIR to a writable directory on a mount without noexec
`
