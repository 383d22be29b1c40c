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
# What a container may leave behind: mounts, loop devices, cgroups, processes, the host
# ends of bridge veths (lv*).
# lite processes, but not the service's health checks: on the disk form the monitor runs
# `lite exec busybox -- ...` every 2 s, and one may be running at any moment.
# A health check caught between the monitor's fork and its exec still reads as the
# monitor, so this takes the fewest of three looks a second apart: a process that was
# left behind is in all three.
lite_processes_now() {
  for p in /proc/[0-9]*; do
    [ "$(cat "$p/comm" 2>/dev/null)" = lite ] || continue
    tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -q ' exec busybox ' || echo "$p"
  done | wc -l
}
lite_processes() {
  fewest=$(lite_processes_now)
  for _ in 1 2; do
    [ "$fewest" = 0 ] && break
    sleep 1
    n=$(lite_processes_now)
    [ "$n" -lt "$fewest" ] && fewest=$n
  done
  echo "$fewest"
}
leftovers() {
  echo "mounts=$(wc -l < /proc/mounts) loops=$(losetup -a 2>/dev/null | wc -l) cgroups=$(lite_cgroups | wc -l) lites=$(lite_processes) veths=$(ls /sys/class/net | grep -c '^lv')"
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
# The disk form's update and power-cut boots (lite.test=, test/boards/power-cut.test.ts)
# run their own checks instead; updatetest.sh ends with the results and a power-off.
if grep -q 'lite\.test=' /proc/cmdline; then . "$T/updatetest.sh"; fi
heartbeat_pid >/dev/null

# 1. The service started by the sysv init script at boot.
lite_pid=$(cat /run/lite-busybox.pid 2>/dev/null)
/etc/init.d/S50lite-busybox status >/dev/null
check service-running $? "lite pid ${lite_pid:-none}"
# The service's process is the monitor by now (lite execs into it). smaps_rollup walks the
# page tables: before 6.2 the VmRSS of /proc/PID/status is synced only every 64 faults,
# and a process as small as the monitor shows 4 kB there.
# MemAvailable: what the VM has left with the service's container running (the
# initramfs form keeps its whole tree in RAM, the disk form only the page cache).
echo "LITE-FIGURE lite_rss_kb=$(sed -n 's/^Rss: *\([0-9]*\) kB/\1/p' /proc/$lite_pid/smaps_rollup) lite_pss_kb=$(sed -n 's/^Pss: *\([0-9]*\) kB/\1/p' /proc/$lite_pid/smaps_rollup) mem_available_kb=$(sed -n 's/^MemAvailable: *\([0-9]*\) kB/\1/p' /proc/meminfo)"

# The disk form (scripts/firmware --disk; lite.data= on the command line): / is the
# squashfs of partition 1, read-only; /var/lib/lite the ext4 of partition 2, with
# noauto_da_alloc.
if grep -q 'lite\.data=' /proc/cmdline; then
  rootm=$(awk '$2 == "/" {m = $1 " " $3 " " $4} END {print m}' /proc/mounts)
  echo "$rootm" | grep -qE '^[^ ]+ squashfs (ro,|ro$)'; check disk-root-squashfs-ro $? "/: $rootm"
  datam=$(awk '$2 == "/var/lib/lite" {m = $1 " " $3 " " $4} END {print m}' /proc/mounts)
  echo "$datam" | grep -qE '^[^ ]+ ext4 rw,.*noauto_da_alloc'; check disk-data-ext4 $? "/var/lib/lite: $datam"
  # The service's container runs lite/busybox:1 from the store on the data partition.
  d=$(lite status busybox 2>/dev/null | sed -n 's/^image_digest=//p')
  [ -n "$d" ] && [ -f "/var/lib/lite/images/${d#sha256:}/image.sqfs" ]; check disk-image-from-store $? "image_digest=${d:-none}"
fi

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
# [user] map (disk form: its ext4 data partition is a filesystem 6.1 can id-map). Root
# inside is host id 1048576 (lite's default pool: no /etc/subuid here), the image's
# owners show as root's, and the memory limit holds.
if grep -q 'lite\.data=' /proc/cmdline; then
  m=/run/bt-userns-mnt
  mkdir -p $m /var/lib/lite/bt-userns-rootfs
  mount -o loop,ro /usr/share/lite/busybox.squashfs $m && cp -a $m/. /var/lib/lite/bt-userns-rootfs/ && umount -d $m
  out=$(timeout 120 lite run $T/userns.ini 2>&1); code=$?
  echo "$out" | grep -qE '^uid_map= *0 1048576 65536 id=0 owner=0 memory=33554432$'; check userns-limits $? "exit $code: $out"
  # The squashfs lower: id-mapped from 6.2, refused before with the reason.
  out=$(timeout 120 lite run $T/userns-squashfs.ini 2>&1); code=$?
  { [ "$code" = 0 ] && echo "$out" | grep -qE '^uid_map= *0 1048576 65536$'; } || { [ "$code" = 125 ] && echo "$out" | grep -q "can't id-map that filesystem"; }
  check userns-squashfs $? "kernel $(uname -r), exit $code: $(echo "$out" | tail -1)"
  # Rootless: uid 4242 (a passwd entry bound over the read-only one for su), its own
  # copy of the tree. On v2, root delegates it a subtree (the directory and its
  # cgroup.procs and subtree_control, as systemd's Delegate=yes does) and puts the
  # user's shell below it; its limits hold there. On v1 they are refused, saying why.
  r=/run/bt-rootless
  mkdir -p $r/run && cp -a /var/lib/lite/bt-userns-rootfs $r/rootfs && chown -R 4242:4242 $r && chmod 0700 $r/run
  cp /etc/passwd $r.passwd && echo "btuser:x:4242:4242::$r:/bin/sh" >> $r.passwd && mount --bind $r.passwd /etc/passwd
  cp /etc/group $r.group && echo "btuser:x:4242:" >> $r.group && mount --bind $r.group /etc/group
  d=/sys/fs/cgroup/bt-rootless
  if [ "$mode" = v2 ]; then
    echo "+memory +pids" > /sys/fs/cgroup/cgroup.subtree_control
    mkdir -p $d/shell && chown 4242:4242 $d $d/cgroup.procs $d/cgroup.subtree_control
  fi
  out=$(sh -c "[ ! -d $d/shell ] || echo \$\$ > $d/shell/cgroup.procs; exec su -s /bin/sh btuser -c 'XDG_RUNTIME_DIR=$r/run timeout 120 lite run $T/rootless.ini'" 2>&1); code=$?
  left="$(ls $r/run/lite 2>/dev/null | tr '\n' ' ')$(find $d/lite -mindepth 1 -type d 2>/dev/null)"
  if [ "$mode" = v2 ]; then
    echo "$out" | grep -qE '^uid_map= *0 4242 1 memory=33554432 pids=16$' && [ -z "$left" ]; check rootless-limits $? "v2 delegated, exit $code: $out; left: ${left:-nothing}"
  else
    [ "$code" = 125 ] && echo "$out" | grep -q "has no cgroup of its own: this host's cgroups are v1" && [ -z "$left" ]; check rootless-limits $? "v1, exit $code: $out; left: ${left:-nothing}"
  fi
  umount /etc/passwd /etc/group
  rmdir $d/lite $d/shell $d 2>/dev/null
  rm -rf $r $r.passwd $r.group
  rm -rf /var/lib/lite/bt-userns-rootfs $m
fi

# 4. Container networks, before no-leftovers: these containers must leave nothing either.
# The VM has no NIC (-nodefaults): dummy0 (module dummy) is its LAN, which reaches
# nothing; it is the macvlan/ipvlan parent, and 192.168.100.1 on it the VM's own
# non-loopback address. lite's bridge (lite0) is made on first use and kept, as docker0 is.
# lo is up since rcS.
ip link set dummy0 up && ip addr add 192.168.100.1/24 dev dummy0
links_before=$(ls /sys/class/net | grep -vx lite0 | tr '\n' ' ')
echo "LITE-NET modules: $(cut -d' ' -f1 /proc/modules | grep -xE 'bridge|veth|nf_tables|nf_nat|nft_chain_nat|nft_nat|nft_masq|nft_fib_ipv4|macvlan|ipvlan|dummy' | sort | tr '\n' ' ')links: $links_before"
# fetch URL SECONDS: BusyBox wget until the URL answers, at most about SECONDS (a refused
# connection retries after 1 s, a silent one is cut after 10 s). Not wget -T: Debian
# 12's busybox-static (1.35) segfaults with it.
fetch() {
  end=$(($(date +%s) + $2))
  while [ "$(date +%s)" -lt "$end" ]; do
    timeout 10 wget -q -O- "$1" 2>/dev/null && return 0
    sleep 1
  done
  return 1
}
# fetched NAME GOT CODE: what a fetch of the boot test's file NAME got ("N bytes, same"),
# or why not (the exit code and the last line of the output).
fetched() {
  if [ "$3" = 0 ] && [ "$2" = "$(cat "$T/$1")" ]; then echo "$(printf %s "$2" | wc -c) bytes, same"
  elif [ -z "$2" ]; then echo "no answer (exit $3)"; else echo "exit $3: $(echo "$2" | tail -1)"; fi
}
# net_gone NAME: the container's state and links are gone ("" when so, else what is left)
net_gone() {
  left=""
  [ -e "/run/lite/$1" ] && left="$left /run/lite/$1"
  now=$(ls /sys/class/net | grep -vx lite0 | tr '\n' ' ')
  [ "$now" = "$links_before" ] || left="$left links: $now (before: $links_before)"
  echo "$left"
}

# A published port: 8080 on the host -> the bridge container's httpd on 80, from the
# host itself (127.0.0.1: DNAT in the output hook + route_localnet) and its LAN address.
out=$(timeout 120 lite run -d $T/net-publish.ini 2>&1); code=$?
addr=$(lite status bt-publish 2>/dev/null | sed -n 's/^net_address=//p')
t0=$(date +%s)
got=""; r=1
[ "$code" = 0 ] && { got=$(fetch http://127.0.0.1:8080/net-publish.ini 90); r=$?; }
[ "$code" = 0 ] && [ "$r" = 0 ] && [ "$got" = "$(cat $T/net-publish.ini)" ]
check net-publish $? "lite run -d exit $code${out:+ ($(echo "$out" | tail -1))}, address ${addr:-none}; 127.0.0.1:8080: $(fetched net-publish.ini "$got" $r) after $(($(date +%s) - t0)) s"
got=""; r=1
[ "$code" = 0 ] && { got=$(fetch http://192.168.100.1:8080/net-publish.ini 30); r=$?; }
[ "$r" = 0 ] && [ "$got" = "$(cat $T/net-publish.ini)" ]; check net-publish-address $? "192.168.100.1:8080: $(fetched net-publish.ini "$got" $r)"
timeout 60 lite stop bt-publish >/dev/null 2>&1; s=$?
timeout 30 lite rm bt-publish >/dev/null 2>&1; rm_code=$?
left=$(net_gone bt-publish)
# No DNAT rule left: the port is the host's again. A host httpd on 127.0.0.1:8080
# answers with the VM's hostname; a stale rule would take the connection elsewhere.
httpd -f -p 127.0.0.1:8080 -h /etc & hp=$!
got=$(fetch http://127.0.0.1:8080/hostname 20); r=$?
kill $hp 2>/dev/null; wait $hp 2>/dev/null
[ "$s" = 0 ] && [ "$rm_code" = 0 ] && [ -z "$left" ] && [ "$got" = "$(cat /etc/hostname)" ]
check net-publish-cleanup $? "stop exit $s, rm exit $rm_code${left:+, left:$left}; 127.0.0.1:8080 afterwards: ${got:-no answer}"

# macvlan, ipvlan: two children of dummy0; the host cannot reach its own children, so one
# serves (detached) and its sibling fetches (in the foreground: no state is left to rm).
# The client's wget loop is bounded (60 s).
for kind in ipvlan macvlan; do
  out=$(timeout 120 lite run -d $T/net-$kind-a.ini 2>&1); code=$?
  server=$(sed -n 's|^address = \(.*\)/.*|\1|p' $T/net-$kind-a.ini)
  got=""; r=1
  [ "$code" = 0 ] && { got=$(timeout 150 lite run $T/net-$kind-b.ini -- /bin/sh -c "end=\$((\$(date +%s) + 60)); while [ \$(date +%s) -lt \$end ]; do timeout 10 wget -q -O- http://$server/net-$kind-a.ini && exit 0; sleep 1; done; exit 1" 2>&1); r=$?; }
  [ "$code" = 0 ] && [ "$r" = 0 ] && [ "$got" = "$(cat $T/net-$kind-a.ini)" ]
  check net-$kind $? "lite run -d exit $code${out:+ ($(echo "$out" | tail -1))}; the sibling got from $server: $(fetched net-$kind-a.ini "$got" $r)"
  timeout 60 lite stop bt-$kind-a >/dev/null 2>&1; s=$?
  timeout 30 lite rm bt-$kind-a >/dev/null 2>&1; rm_code=$?
  left=$(net_gone bt-$kind-a)$(net_gone bt-$kind-b)
  [ "$s" = 0 ] && [ "$rm_code" = 0 ] && [ -z "$left" ]; check net-$kind-cleanup $? "stop exit $s, rm exit $rm_code${left:+, left:$left}"
done
sleep 1
after=$(leftovers)
[ "$before" = "$after" ]; check no-leftovers $? "before: $before; after: $after"

# 5. Confinement (a shell-driven subset of test/integration/confinement.test.ts).
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
# Devices: a node outside the allowlist can be made but not opened; /dev/null opens. On
# cgroup v2 the BPF_CGROUP_DEVICE program is what denies (the development host is hybrid,
# where the v1 list does), so this is its test on a real kernel. /dev/loop-control's
# numbers: its open checks no capability (unlike /dev/mem's), so EPERM is the cgroup's.
dv=$(lite run $T/probe.ini -- /bin/sh -c 'mknod /dev/lc2 c 10 237 && echo made; true < /dev/lc2; true < /dev/null && echo null-ok' 2>&1)
echo "$dv" | grep -q '^made$' && echo "$dv" | grep -q 'lc2: Operation not permitted' && echo "$dv" | grep -q '^null-ok$'
check devices-deny $? "$(echo "$dv" | tr '\n' ' ')"
wr=$(lite run $T/probe.ini -- /probe write /proc/sysrq-trigger /proc/sys/kernel/shmmax 2>&1)
for want in "/proc/sysrq-trigger EROFS" "/proc/sys/kernel/shmmax EROFS"; do
  echo "$wr" | grep -qx "$want"; check "readonly-${want%% *}" $? "$(echo "$wr" | grep "^${want%% *} ")"
done

# 6. The init script: restart gives a new lite, stop leaves nothing behind.
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
