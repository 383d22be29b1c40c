# Sourced by bench/run. crun 1.8.1 refuses every run on a hybrid cgroup host whose
# cgroup2 hierarchy holds a controller ("cgroups in hybrid mode not supported, drop
# all controllers from cgroupv2"). On this kind of host cgroup2 holds only hugetlb, so
# for the bench hugetlb is bound to a v1 hierarchy (cgroup2 is then empty) and given
# back afterwards: shared/reference/anchors-measured.md §0.1 does the same.
#
# Giving it back: a v1 hierarchy outlives its umount while any of its cgroups are still
# dying, so the children are removed, their release awaited (bounded), and the
# mount/umount repeated until /proc/cgroups shows hugetlb on no v1 hierarchy again.

HUGETLB_V1=/sys/fs/cgroup/hugetlb
hugetlb_moved=

hugetlb_hierarchy() { awk '$1=="hugetlb"{print $2}' /proc/cgroups; }
hugetlb_cgroups() { awk '$1=="hugetlb"{print $3}' /proc/cgroups; }

# Binds hugetlb to v1 when cgroup2 holds controllers and a v1 memory hierarchy exists.
# Sets hugetlb_moved=1 only when this process did the move.
hugetlb_to_v1() {
  local unified=/sys/fs/cgroup/unified/cgroup.controllers
  [ -n "$(cat "$unified" 2>/dev/null)" ] || return 0
  grep -q ' /sys/fs/cgroup/memory .* - cgroup ' /proc/self/mountinfo || return 0
  [ "$(cat "$unified")" = hugetlb ] || { echo "bench: cgroup2 holds [$(cat "$unified")], not only hugetlb: crun will refuse this host" >&2; return 0; }
  # A controller enabled in cgroup2's subtree_control (lite enables hugetlb there for a
  # hugetlb limit) is in use and cannot be bound to v1: it is disabled for the move and
  # enabled again by hugetlb_restore.
  local subtree=/sys/fs/cgroup/unified/cgroup.subtree_control
  if grep -qw hugetlb "$subtree" 2>/dev/null; then
    echo -hugetlb > "$subtree" 2>/dev/null && : > "$HUGETLB_SUBTREE_MARK" || echo "bench: cannot disable hugetlb in $subtree (a child cgroup uses it)" >&2
  fi
  mkdir -p "$HUGETLB_V1"
  mount -t cgroup -o hugetlb cgroup "$HUGETLB_V1" || { rmdir "$HUGETLB_V1" 2>/dev/null; hugetlb_reenable; return 1; }
  hugetlb_moved=1
  echo "bench: hugetlb moved from cgroup2 to $HUGETLB_V1 for crun (restored at exit)" >&2
}

# A file, not a variable: the callers move and restore from separate shells.
HUGETLB_SUBTREE_MARK=/run/lite-hugetlb-subtree
hugetlb_reenable() {
  [ -e "$HUGETLB_SUBTREE_MARK" ] || return 0
  echo +hugetlb > /sys/fs/cgroup/unified/cgroup.subtree_control 2>/dev/null || true
  rm -f "$HUGETLB_SUBTREE_MARK"
}

hugetlb_restore() {
  [ -n "$hugetlb_moved" ] || { hugetlb_reenable; return 0; }
  local try
  for try in 1 2 3 4 5; do
    [ "$(hugetlb_hierarchy)" = 0 ] && break
    mkdir -p "$HUGETLB_V1"
    mountpoint -q "$HUGETLB_V1" || mount -t cgroup -o hugetlb cgroup "$HUGETLB_V1" 2>/dev/null || break
    find "$HUGETLB_V1" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null || true
    for _ in $(seq 50); do [ "$(hugetlb_cgroups)" = 1 ] && break; sleep 0.1; done
    umount "$HUGETLB_V1" 2>/dev/null || true
    sleep 0.3
  done
  rmdir "$HUGETLB_V1" 2>/dev/null || true
  if [ "$(hugetlb_hierarchy)" = 0 ]; then
    hugetlb_moved=
    hugetlb_reenable
    echo "bench: hugetlb is back on cgroup2 [$(cat /sys/fs/cgroup/unified/cgroup.controllers)]" >&2
  else
    echo "bench: WARNING: hugetlb is still on a v1 hierarchy; unmount $HUGETLB_V1 once its cgroups are gone" >&2
  fi
}
