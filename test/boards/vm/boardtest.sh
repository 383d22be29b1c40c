#!/bin/sh
# The boot test's checks, run inside the VM by BusyBox init once the services are up
# (/etc/init.d/once.d). The VM has no Node: plain BusyBox sh. Each check prints
#   LITE-CHECK <name> ok|FAIL <detail>
# and the host side (test/boards/boot.test.ts) reads them off the serial console.
# Ends with LITE-RESULTS and a power-off.
T=/usr/lib/lite-boardtest
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mode=$(cat /etc/lite/cgroup-mode)
for word in $(cat /proc/cmdline); do case "$word" in lite.cgroup=*) mode=${word#lite.cgroup=} ;; esac; done
pass=0
fail=0
check() { # check NAME CONDITION-RESULT(0/1) DETAIL
  if [ "$2" = 0 ]; then echo "LITE-CHECK $1 ok $3"; pass=$((pass + 1)); else echo "LITE-CHECK $1 FAIL $3"; fail=$((fail + 1)); fi
}
# lite's cgroups, in every hierarchy: the directories below lite/.
lite_cgroups() {
  if [ "$mode" = v1 ]; then find /sys/fs/cgroup/*/lite -mindepth 1 -type d 2>/dev/null; else find /sys/fs/cgroup/lite -mindepth 1 -type d 2>/dev/null; fi
}
# What a container may leave behind: mounts, loop devices, cgroups, processes.
leftovers() {
  echo "mounts=$(wc -l < /proc/mounts) loops=$(losetup -a 2>/dev/null | wc -l) cgroups=$(lite_cgroups | wc -l) lites=$(cat /proc/[0-9]*/comm 2>/dev/null | grep -c '^lite$')"
}
# The pid of the service's heartbeat (inside its container), once it runs. lite starts
# slowly under TCG, so this waits, bounded: up to 120 s.
heartbeat_pid() {
  i=0
  while [ "$i" -lt 120 ]; do
    for p in /proc/[0-9]*; do
      grep -q heartbeat.sh "$p/cmdline" 2>/dev/null && { basename "$p"; return 0; }
    done
    sleep 1
    i=$((i + 1))
  done
  return 1
}
echo "LITE-BOARDTEST start mode=$mode kernel=$(uname -r) arch=$(uname -m)"
heartbeat_pid >/dev/null

# 1. The service started by the sysv init script at boot.
lite_pid=$(cat /run/lite-busybox.pid 2>/dev/null)
/etc/init.d/S50lite-busybox status >/dev/null
check service-running $? "lite pid ${lite_pid:-none}"
# The service's process is the monitor by now (lite execs into it). smaps_rollup walks the
# page tables: before 6.2 the VmRSS of /proc/PID/status is synced only every 64 faults,
# and a process as small as the monitor shows 4 kB there.
echo "LITE-FIGURE lite_rss_kb=$(sed -n 's/^Rss: *\([0-9]*\) kB/\1/p' /proc/$lite_pid/smaps_rollup) lite_pss_kb=$(sed -n 's/^Pss: *\([0-9]*\) kB/\1/p' /proc/$lite_pid/smaps_rollup)"

# 2. Its own namespaces: the heartbeat (the container's app) against PID 1's.
cpid=$(heartbeat_pid)
same=""
for ns in mnt pid uts ipc net cgroup; do
  [ "$(readlink /proc/$cpid/ns/$ns)" = "$(readlink /proc/1/ns/$ns)" ] && same="$same $ns"
done
[ -n "$cpid" ] && [ -z "$same" ]; check own-namespaces $? "container pid ${cpid:-none}, shared with the host:${same:- none}"

# 3. Limits. Baseline first: what is there with only the service running.
before=$(leftovers)
out=$(lite run $T/oom.ini 2>&1); code=$?
[ "$code" = 137 ]; check memory-oom-137 $? "exit $code"
out=$(lite run $T/pids.ini 2>&1); code=$?
echo "$out" | grep -qE '^fork [0-9]+ of 256 EAGAIN$'; r=$?
n=$(echo "$out" | sed -nE 's/^fork ([0-9]+) of.*/\1/p')
[ "$r" = 0 ] && [ "${n:-99}" -lt 16 ]; check pids-bounded $? "$(echo "$out" | head -1) (pids = 16), exit $code"
# The limits as seen inside, by a fresh container.
out=$(lite run $T/limits.ini 2>&1)
echo "$out" | grep -q '^memory=33554432 pids=16$'; check limits-inside $? "$out"
sleep 1
after=$(leftovers)
[ "$before" = "$after" ]; check no-leftovers $? "before: $before; after: $after"

# 4. Confinement (a shell-driven subset of test/integration/confinement.test.ts).
st=$(lite run $T/probe.ini -- /probe status 2>&1)
echo "$st" | grep -q '^CapEff:[[:space:]]*00000000a80425fb$'; check caps-default $? "$(echo "$st" | grep CapEff)"
echo "$st" | grep -q '^CapBnd:[[:space:]]*00000000a80425fb$'; check caps-bounding $? "$(echo "$st" | grep CapBnd)"
echo "$st" | grep -q '^Seccomp:[[:space:]]*2$'; check seccomp-filter $? "$(echo "$st" | grep Seccomp)"
echo "$st" | grep -q '^NoNewPrivs:[[:space:]]*1$'; check no-new-privs $? "$(echo "$st" | grep NoNewPrivs)"
sc=$(lite run $T/probe.ini -- /probe syscalls 2>&1)
for want in "keyctl EPERM" "unshare-user EPERM" "unshare-mount EPERM" "mount EPERM" "reboot-bad-magic EPERM" "getpid ok"; do
  echo "$sc" | grep -qx "$want"; check "seccomp-${want%% *}" $? "$(echo "$sc" | grep "^${want%% *} ")"
done
rd=$(lite run $T/probe.ini -- /probe read /proc/kcore /proc/keys /proc/timer_list /sys/firmware 2>&1)
for want in "/proc/kcore empty" "/proc/keys empty" "/proc/timer_list empty"; do
  echo "$rd" | grep -qx "$want"; check "masked-${want%% *}" $? "$(echo "$rd" | grep "^${want%% *} ")"
done
# A masked directory reads empty; on arm64 (6.1) it refuses to be listed (EPERM, the
# probe sees EISDIR from read): masked too, noted for the lead.
echo "$rd" | grep -qxE '/sys/firmware (dir-empty|EISDIR|EPERM)'; check masked-/sys/firmware $? "$(echo "$rd" | grep '^/sys/firmware ')"
wr=$(lite run $T/probe.ini -- /probe write /proc/sysrq-trigger /proc/sys/kernel/shmmax 2>&1)
for want in "/proc/sysrq-trigger EROFS" "/proc/sys/kernel/shmmax EROFS"; do
  echo "$wr" | grep -qx "$want"; check "readonly-${want%% *}" $? "$(echo "$wr" | grep "^${want%% *} ")"
done

# 5. The init script: restart gives a new lite, stop leaves nothing behind.
/etc/init.d/S50lite-busybox restart >/dev/null 2>&1
new_pid=$(cat /run/lite-busybox.pid 2>/dev/null)
heartbeat_pid >/dev/null
[ -n "$new_pid" ] && [ "$new_pid" != "$lite_pid" ] && kill -0 "$new_pid"; check initscript-restart $? "pid $lite_pid -> ${new_pid:-none}"
/etc/init.d/S50lite-busybox stop >/dev/null 2>&1
kill -0 "$new_pid" 2>/dev/null; gone=$?
i=0; while [ "$i" -lt 10 ] && [ "$(lite_cgroups | wc -l)" != 0 ]; do sleep 1; i=$((i + 1)); done
[ "$gone" = 1 ] && [ -z "$(lite_cgroups)" ] && [ "$(losetup -a 2>/dev/null | wc -l)" = 0 ]; check initscript-stop $? "$(leftovers)"

echo "LITE-RESULTS pass=$pass fail=$fail"
poweroff
