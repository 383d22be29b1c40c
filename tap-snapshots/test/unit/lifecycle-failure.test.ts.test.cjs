/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`test/unit/lifecycle-failure.test.ts > TAP > messages as a user reads them > must match snapshot 1`] = `
exit 127: lite: error: {DIR}/web.ini:6: [exec] cmd: "app": command not found in the container (tried /usr/bin/app, /bin/app)
exit 126: lite: error: {DIR}/web.ini:6: [exec] cmd: cannot execute /usr/bin/app: Permission denied (EACCES)
exit 125: lite: error: {DIR}/web.ini:12: [mount] entry: mount {DIR}/data on /data (bind): No such file or directory (ENOENT)
exit 125: lite: error: {DIR}/web.ini:4: [rootfs] path: tmpfs upper layer (size 16777216): No such file or directory (ENOENT)
exit 125: lite: error: {DIR}/web.ini:8: [exec] cwd: /srv: No such file or directory (ENOENT)
exit 125: lite: error: {DIR}/web.ini:15: [limits] nofile: Operation not permitted (EPERM) (a limit may only be lowered: lite runs without raising the inherited hard limit)
exit 125: lite: error: container set-up failed: pivot_root into the rootfs: Invalid argument (EINVAL)
`
