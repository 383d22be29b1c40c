#!/bin/sh
# The demo service of the firmware, run inside the busybox container: one line that
# says where it runs (pid, cgroup, memory limit as seen inside, seconds since the kernel
# started), then a heartbeat every minute.
mem=$(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || echo unknown)
pids=$(cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || echo unknown)
echo "LITE-MARKER pid=$$ uptime=$(cut -d' ' -f1 /proc/uptime) memory=$mem pids=$pids hostname=$(hostname) cgroup=$(tr '\n' ';' < /proc/self/cgroup)"
trap 'echo "LITE-HEARTBEAT stopping"; exit 0' TERM
while :; do
  sleep 60 &
  wait $!
  echo "LITE-HEARTBEAT uptime=$(cut -d' ' -f1 /proc/uptime)"
done
