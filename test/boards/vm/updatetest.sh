# The disk form's update and power-cut checks (test/boards/power-cut.test.ts), sourced
# by boardtest.sh in place of its own checks when the kernel command line has lite.test=
# (it uses boardtest.sh's check, heartbeat_pid and counters; BusyBox sh, no Node):
#   lite.test=update    lite update to a tampered image (refused, the old container keeps
#                       running), to one whose health check fails (back on the old image
#                       on its own), to a good one (committed); then lite rollback
#   lite.test=cut       lite update, and the host cuts the power. lite.cut=PHASE: lite
#                       update dies once PHASE is recorded (LITE_UPDATE_CRASH_AT), then
#                       the VM says LITE-CUT-NOW; lite.cut=random: the VM says
#                       LITE-CUT-GO as the update starts, and the host cuts after a random
#                       delay. lite.cutimage=2|bad: the image to update to (2)
#   lite.test=aftercut  the boot after a cut: the container runs, on the old image or the
#                       new one, with the image's files; lite image verify finds every
#                       digest right; a prune leaves no orphan
#   lite.test=cycles    lite.cycles=N start/stop cycles of a container from the store
#                       (cycle.ini: loop device, overlay, cgroup) leave no mount, loop
#                       device, cgroup, process or state behind
# The images and their digests: /usr/share/lite/images (scripts/firmware-images.ts).
IMAGES=/usr/share/lite/images
test_mode= cut_at= cut_image=2 cycles=200
for word in $(cat /proc/cmdline); do
  case "$word" in
    lite.test=*) test_mode=${word#lite.test=} ;;
    lite.cut=*) cut_at=${word#lite.cut=} ;;
    lite.cutimage=*) cut_image=${word#lite.cutimage=} ;;
    lite.cycles=*) cycles=${word#lite.cycles=} ;;
  esac
done
digest_of() { sed -n "s/^$1 //p" "$IMAGES/DIGESTS"; }
v1=$(digest_of 1) v2=$(digest_of 2)
# state KEY: a line of lite status busybox
state() { lite status busybox 2>/dev/null | sed -n "s/^$1=//p"; }
# wait_health WANT SECONDS: until the container's health is WANT, bounded
wait_health() {
  i=0
  while [ "$i" -lt "$2" ]; do
    [ "$(state health)" = "$1" ] && return 0
    sleep 1
    i=$((i + 1))
  done
  return 1
}
# What the running container's image says it is (its /etc/image-version).
inside() { lite exec busybox -- cat /etc/image-version 2>/dev/null; }
record() { tr -d '\n' < /var/lib/lite/containers/busybox 2>/dev/null; }
# on DIGEST VERSION: the container runs that image, and its files say so
on() { [ "$(state image_digest)" = "$1" ] && [ "$(inside)" = "$2" ]; }
where() { echo "image_digest=$(state image_digest) /etc/image-version=$(inside) pid=$(state pid) uptime=$(cut -d' ' -f1 /proc/uptime)"; }
finish() {
  echo "LITE-RESULTS pass=$pass fail=$fail"
  poweroff
  exit 0
}

echo "LITE-UPDATETEST start mode=$test_mode cut=$cut_at image=$cut_image v1=$v1 v2=$v2"
heartbeat_pid >/dev/null
wait_health healthy 240
check update-healthy-at-boot $? "$(where) health=$(state health)"

case "$test_mode" in
update)
  on "$v1" 1; check update-image-from-store $? "$(where) (lite/busybox:1 is $v1)"
  service_pid=$(cat /run/lite-busybox.pid 2>/dev/null)
  pid=$(state pid)
  out=$(lite update busybox "$IMAGES/busybox-tampered" 2>&1); code=$?
  [ "$code" != 0 ] && [ "$(state pid)" = "$pid" ] && on "$v1" 1 && [ ! -e "/var/lib/lite/images/${v2#sha256:}" ]
  check update-tampered-refused $? "exit $code: $(echo "$out" | tail -1); $(where), was pid $pid"

  start=$(date +%s)
  out=$(lite update busybox "$IMAGES/busybox-bad" 2>&1); code=$?
  took=$(($(date +%s) - start))
  wait_health healthy 240
  [ "$code" = 1 ] && on "$v1" 1 && record | grep -q '"result":"rolled-back"'
  check update-unhealthy-rolled-back $? "exit $code after $took s: $(echo "$out" | tail -1); $(where)"

  start=$(date +%s)
  out=$(lite update busybox "$IMAGES/busybox-2" 2>&1); code=$?
  took=$(($(date +%s) - start))
  [ "$code" = 0 ] && on "$v2" 2 && record | grep -q "\"current\":\"$v2\",\"next\":null,\"previous\":\"$v1\""
  check update-good-committed $? "exit $code after $took s: $(echo "$out" | tail -1); $(where)"
  echo "LITE-FIGURE update_good_seconds=$took"
  # The monitor restarts the container in place: the init script's process stays.
  [ -n "$service_pid" ] && [ "$(cat /run/lite-busybox.pid 2>/dev/null)" = "$service_pid" ] && /etc/init.d/S50lite-busybox status >/dev/null
  check update-same-service $? "service pid $service_pid -> $(cat /run/lite-busybox.pid 2>/dev/null)"

  out=$(lite rollback busybox 2>&1); code=$?
  wait_health healthy 240
  [ "$code" = 0 ] && on "$v1" 1; check update-rollback $? "exit $code: $(echo "$out" | tail -1); $(where)"
  out=$(lite image verify 2>&1); code=$?
  [ "$code" = 0 ]; check update-store-verified $? "exit $code: $(echo "$out" | tail -1)"
  finish
  ;;
cut)
  echo "LITE-CUT-READY $(where)"
  if [ "$cut_at" = random ]; then
    echo "LITE-CUT-GO"
    lite update busybox "$IMAGES/busybox-$cut_image"
    echo "LITE-CUT-UPDATE-DONE exit=$?"
  else
    LITE_UPDATE_CRASH_AT=$cut_at lite update busybox "$IMAGES/busybox-$cut_image"
    echo "LITE-CUT-NOW exit=$?"
  fi
  # The host cuts the power now; bounded, in case it does not.
  sleep 600
  finish
  ;;
aftercut)
  echo "LITE-CUT-RECORD $(record)"
  if on "$v1" 1; then now=1; elif on "$v2" 2; then now=2; else now=none; fi
  [ "$now" != none ]; check aftercut-image $? "$(where)"
  echo "LITE-CUT-ON version=$now"
  out=$(lite image verify 2>&1); code=$?
  [ "$code" = 0 ]; check aftercut-verify $? "exit $code: $(echo "$out" | grep -v '^ok ' | tr '\n' ' ')"
  out=$(lite image ls 2>&1); code=$?
  d=$(state image_digest)
  [ "$code" = 0 ] && echo "$out" | grep -q "$(echo "${d#sha256:}" | cut -c1-12)"
  check aftercut-image-ls $? "exit $code: $(echo "$out" | tr '\n' ' ')"
  pruned=$(lite image prune 2>&1); pcode=$?
  out=$(lite image verify 2>&1); code=$?
  [ "$pcode" = 0 ] && [ "$code" = 0 ] && echo "$out" | tail -1 | grep -q '; 0 orphans$'
  check aftercut-prune-no-orphan $? "prune: $(echo "$pruned" | tr '\n' ' '); verify: $(echo "$out" | tail -1)"
  # ext4 found nothing wrong while replaying its journal or since.
  errors=$(dmesg | grep -iE 'EXT4-fs (error|warning)' | head -3 | tr '\n' ' ')
  [ -z "$errors" ]; check aftercut-ext4-clean $? "${errors:-no EXT4-fs error or warning}"
  finish
  ;;
cycles)
  # What a cycle may leave: leftovers(), and the cycle's own process.
  cycle_leftovers() { echo "$(leftovers) sleeps=$(grep -l '[s]leep.600' /proc/[0-9]*/cmdline 2>/dev/null | wc -l)"; }
  before=$(cycle_leftovers)
  start=$(date +%s)
  i=0 failed=0 why=
  while [ "$i" -lt "$cycles" ]; do
    i=$((i + 1))
    out=$(lite run -d "$T/cycle.ini" 2>&1) || { failed=$((failed + 1)); why="run $i: $out"; }
    out=$(lite stop bt-cycle 2>&1) || { failed=$((failed + 1)); why="stop $i: $out"; }
    out=$(lite rm bt-cycle 2>&1) || { failed=$((failed + 1)); why="rm $i: $out"; }
    [ "$failed" -lt 5 ] || break
    [ $((i % 25)) != 0 ] || echo "LITE-CYCLES $i of $cycles, $(($(date +%s) - start)) s, $(cycle_leftovers)"
  done
  took=$(($(date +%s) - start))
  [ "$failed" = 0 ] && [ "$i" = "$cycles" ]; check cycles-all-ran $? "$i of $cycles cycles in $took s, $failed failed${why:+; last: $why}"
  after=$(cycle_leftovers)
  [ "$after" = "$before" ] && [ ! -e /run/lite/bt-cycle ]; check cycles-no-leftovers $? "before: $before; after: $after"
  echo "LITE-FIGURE cycles=$i cycle_seconds=$took"
  finish
  ;;
*)
  check update-mode 1 "unknown lite.test=$test_mode"
  finish
  ;;
esac
