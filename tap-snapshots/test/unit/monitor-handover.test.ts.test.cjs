/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`test/unit/monitor-handover.test.ts > TAP > the spec is one "key value" line each, lists repeated, in a fixed order > spec text 1`] = `
name web
state_dir /run/lite/web
keep_state 1
lock_fd 7
stop_signal 15
stop_timeout_ms 10000
restart on-failure
restart_max 3
restarts 0
backoff_ms 0
lite /usr/bin/lite
arg run
arg /etc/lite/web.ini
hook web.ini:9/bin/echoa b
cgroup /sys/fs/cgroup/memory/lite/web
cgroup /sys/fs/cgroup/pids/lite/web
oom_file /sys/fs/cgroup/memory/lite/web/memory.oom_control
memory_limit 4M
log_target file
log_fd 9
log_size 1048576
state name=web

`
