# Sourced by bench/run: how each runtime is prepared, started and measured, all on the
# same busybox rootfs (build/rootfs/busybox) with the same set-up:
#   namespaces: new pid, mount, uts, ipc, network (loopback only) and cgroup;
#   rootfs: the directory itself, read-only (podman and docker: their image, --read-only);
#   limits: memory $BENCH_MEMORY bytes and pids $BENCH_PIDS, so that every runtime creates cgroups.
# Per peer P:
#   prepare_P           writes its config/bundle/image; on failure sets $why and returns 1
#   true_P              prints the command line that runs /bin/true (for hyperfine -N)
#   sleep_start_P TOKEN starts `sleep TOKEN` in the background (see measure_memory)
#   sleep_stop_P        stops it and waits for the runtime to exit
#   limit_P BYTES       runs /bin/true under a memory limit; 0 if it exited 0
#   packages_P          the Debian packages that the runtime is made of
#   version_P           one line

BENCH_MEMORY=$((64 << 20))
BENCH_PIDS=64
NAME=litebench
# A start under a tight memory limit can hang (lxc-start waits for an init the OOM killer took).
LIMIT_TIMEOUT="timeout -k 5 30"

lite_config() { # FILE CMD [RAW_MEMORY_BYTES]: lite's config, the same set-up as the others
  {
    printf '[container]\nname = %s-lite\n[rootfs]\npath = %s\nreadonly = yes\n' "$NAME" "$rootfs"
    if [ -n "${3:-}" ]; then
      # The raw cgroup file, so that lite's own floor check does not stop the bisection.
      if [ "$lite_cgroup_mode" = v2 ]; then printf '[cgroup2]\nmemory.max = %s\n' "$3"
      else printf '[cgroup]\nmemory.limit_in_bytes = %s\n' "$3"; fi
      printf '[resources]\npids = %s\n' "$BENCH_PIDS"
    else
      printf '[resources]\nmemory = %s\npids = %s\n' "$BENCH_MEMORY" "$BENCH_PIDS"
    fi
    printf '[exec]\ncmd = %s\n' "$2"
  } > "$1"
}
prepare_lite() {
  lite="$work/lite"
  cp "$root/dist/lite" "$lite" # a private copy: a rebuild during the run would skew it
  lite_cgroup_mode=$("$lite" info --json | bun -e 'console.log(JSON.parse(await Bun.stdin.text()).cgroup.mode)')
  lite_config "$work/lite-true.ini" /bin/true
  "$lite" run "$work/lite-true.ini" </dev/null || { why="lite run exits $? here"; return 1; }
}
true_lite() { echo "$lite run $work/lite-true.ini"; }
# lite cold: the whole config-to-plan path at every run, as a cache miss takes it (without the store).
true_lite_cold() { echo "$lite run --no-cache $work/lite-true.ini"; }
sleep_start_lite() { lite_config "$work/lite-sleep.ini" "/bin/sleep $1"; "$lite" run "$work/lite-sleep.ini" </dev/null >/dev/null 2>&1 & sleep_pid=$!; }
sleep_stop_lite() { kill -TERM "$sleep_pid" 2>/dev/null; wait "$sleep_pid" 2>/dev/null || true; }
# exec_PEER: the command that runs /bin/true in the container sleep_start_PEER started.
exec_lite() { echo "$lite exec $NAME-lite -- /bin/true"; }
limit_lite() { lite_config "$work/lite-limit.ini" /bin/true "$1"; $LIMIT_TIMEOUT "$lite" run "$work/lite-limit.ini"; }
packages_lite() { :; }
version_lite() { echo "lite $(git -C "$root" describe --always --dirty 2>/dev/null) ($(stat -c %s "$root/dist/lite") bytes, Bun $(bun --version))"; }

# crun and runc share one generator (bench/lib/oci-bundle.ts) and the default spec of crun.
oci_bundle() { # DIR [--memory B] ... -- CMD...
  local dir=$1; shift
  bun "$root/bench/lib/oci-bundle.ts" "$work/oci-base.json" "$dir" "$rootfs" --pids "$BENCH_PIDS" "$@"
}
prepare_oci() { # RUNTIME
  [ -f "$work/oci-base.json" ] || (cd "$work" && rm -f config.json && crun spec && mv config.json oci-base.json)
  oci_bundle "$work/$1-true" --memory "$BENCH_MEMORY" -- /bin/true
  "$1" delete -f "$NAME-$1" >/dev/null 2>&1 || true
  local out; out=$("$1" run -b "$work/$1-true" "$NAME-$1" </dev/null 2>&1) || { why="$1 run fails: $(tail -1 <<<"$out")"; return 1; }
}
sleep_start_oci() { # RUNTIME TOKEN
  oci_bundle "$work/$1-sleep" --memory "$BENCH_MEMORY" -- /bin/sleep "$2"
  "$1" run -b "$work/$1-sleep" "$NAME-$1-sleep" </dev/null >/dev/null 2>&1 & sleep_pid=$!
}
sleep_stop_oci() { "$1" kill "$NAME-$1-sleep" KILL 2>/dev/null; wait "$sleep_pid" 2>/dev/null || true; "$1" delete -f "$NAME-$1-sleep" >/dev/null 2>&1 || true; }
limit_oci() { oci_bundle "$work/$1-limit" --memory "$2" -- /bin/true; $LIMIT_TIMEOUT "$1" run -b "$work/$1-limit" "$NAME-$1-limit" </dev/null; local rc=$?; "$1" delete -f "$NAME-$1-limit" >/dev/null 2>&1; return $rc; }

prepare_crun() { prepare_oci crun; }
true_crun() { echo "crun run -b $work/crun-true $NAME-crun"; }
sleep_start_crun() { sleep_start_oci crun "$1"; }
sleep_stop_crun() { sleep_stop_oci crun; }
exec_crun() { echo "crun exec $NAME-crun-sleep /bin/true"; }
limit_crun() { limit_oci crun "$1"; }
packages_crun() { echo crun; }
version_crun() { crun --version | head -1; }

prepare_runc() { prepare_oci runc; }
true_runc() { echo "runc run -b $work/runc-true $NAME-runc"; }
sleep_start_runc() { sleep_start_oci runc "$1"; }
sleep_stop_runc() { sleep_stop_oci runc; }
exec_runc() { echo "runc exec $NAME-runc-sleep /bin/true"; }
limit_runc() { limit_oci runc "$1"; }
packages_runc() { echo runc; }
version_runc() { runc --version | head -1; }

# LXC: the same directory as the rootfs, mounted read-only; lxc-start -F stays in the
# foreground (as lite, crun and runc do); for memory the monitor is what remains.
lxc_config() { # NAME CMD MEMORY_BYTES
  mkdir -p "$work/lxc/$1"
  cat > "$work/lxc/$1/config" <<CFG
lxc.uts.name = $1
lxc.rootfs.path = dir:$rootfs
lxc.rootfs.options = ro
lxc.namespace.clone = mnt pid uts ipc net cgroup
lxc.net.0.type = empty
lxc.init.cmd = $2
lxc.mount.auto = proc:mixed sys:mixed
lxc.autodev = 1
lxc.console.path = none
lxc.tty.max = 0
lxc.pty.max = 0
lxc.cgroup.memory.limit_in_bytes = $3
lxc.cgroup.pids.max = $BENCH_PIDS
CFG
}
prepare_lxc() {
  lxc_config "$NAME" /bin/true "$BENCH_MEMORY"
  local out; out=$(lxc-start -P "$work/lxc" -n "$NAME" -F </dev/null 2>&1) || { why="lxc-start fails: $(tail -1 <<<"$out")"; return 1; }
}
true_lxc() { echo "lxc-start -P $work/lxc -n $NAME -F"; }
sleep_start_lxc() { lxc_config "$NAME-sleep" "/bin/sleep $1" "$BENCH_MEMORY"; lxc-start -P "$work/lxc" -n "$NAME-sleep" -d </dev/null >/dev/null 2>&1; }
sleep_stop_lxc() { lxc-stop -P "$work/lxc" -n "$NAME-sleep" -k >/dev/null 2>&1 || true; }
exec_lxc() { echo "lxc-attach -P $work/lxc -n $NAME-sleep -- /bin/true"; }
# lxc-start -F exits 0 even when the init fails ("Child <pid> ended on error (1)" in its log).
limit_lxc() {
  lxc_config "$NAME-limit" /bin/true "$1"
  rm -f "$work/lxc-limit.log"
  $LIMIT_TIMEOUT lxc-start -P "$work/lxc" -n "$NAME-limit" -F -l INFO -o "$work/lxc-limit.log" </dev/null || { lxc-stop -P "$work/lxc" -n "$NAME-limit" -k >/dev/null 2>&1; return 1; }
  ! grep -qE 'ERROR|ended on (error|signal)' "$work/lxc-limit.log"
}
packages_lxc() { echo lxc; }
version_lxc() { echo "lxc $(lxc-start --version)"; }

# podman: its own storage and run dirs under the work dir, cgroupfs, its default runtime.
podman_() { podman --root "$work/podman/root" --runroot "$work/podman/run" --tmpdir "$work/podman/tmp" --cgroup-manager=cgroupfs --events-backend=file --storage-driver=overlay "$@"; }
# The sandbox's hard limits are below podman's default rlimits and root lacks CAP_SYS_RESOURCE.
PODMAN_RUN="run --rm --network none --read-only --pids-limit $BENCH_PIDS --ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
prepare_podman() {
  local out
  out=$(podman_ import -q "$work/rootfs.tar" localhost/$NAME:busybox 2>&1) || { why="podman import fails: $(tail -1 <<<"$out")"; return 1; }
  out=$(podman_ $PODMAN_RUN --memory "$BENCH_MEMORY" localhost/$NAME:busybox /bin/true </dev/null 2>&1) || { why="podman run fails: $(tail -1 <<<"$out")"; return 1; }
}
true_podman() {
  echo "podman --root $work/podman/root --runroot $work/podman/run --tmpdir $work/podman/tmp --cgroup-manager=cgroupfs --events-backend=file --storage-driver=overlay $PODMAN_RUN --memory $BENCH_MEMORY localhost/$NAME:busybox /bin/true"
}
sleep_start_podman() { podman_ ${PODMAN_RUN/--rm/-d} --name "$NAME-sleep" --memory "$BENCH_MEMORY" localhost/$NAME:busybox /bin/sleep "$1" </dev/null >/dev/null; }
sleep_stop_podman() { podman_ rm -f -t 0 "$NAME-sleep" >/dev/null 2>&1 || true; }
exec_podman() { echo "podman --root $work/podman/root --runroot $work/podman/run --tmpdir $work/podman/tmp --cgroup-manager=cgroupfs --events-backend=file --storage-driver=overlay exec $NAME-sleep /bin/true"; }
limit_podman() { $LIMIT_TIMEOUT podman --root "$work/podman/root" --runroot "$work/podman/run" --tmpdir "$work/podman/tmp" --cgroup-manager=cgroupfs --events-backend=file --storage-driver=overlay $PODMAN_RUN --memory "$1" localhost/$NAME:busybox /bin/true </dev/null; }
packages_podman() { echo podman conmon crun; }
version_podman() { echo "podman $(podman --version | awk '{print $3}'), conmon $(conmon --version | awk 'NR==1{print $3}')"; }

# docker: a dockerd started by the bench (data and exec roots under the work dir, no
# iptables, no bridge), with its own containerd; stopped and removed at the end.
docker_() { /usr/bin/docker -H "unix://$work/docker/docker.sock" "$@"; }
DOCKER_RUN="run --rm --network none --read-only --pids-limit $BENCH_PIDS"
# start_docker_daemon [STORAGE_DRIVER]: dockerd under $work/docker; on failure sets $why.
start_docker_daemon() {
  [ -x /usr/sbin/dockerd ] && [ -x /usr/bin/docker ] || { why="docker.io is not installed (docker-ce from Docker's own repository conflicts with it)"; return 1; }
  mkdir -p "$work/docker"
  dockerd --data-root "$work/docker/data" --exec-root "$work/docker/exec" --pidfile "$work/docker/dockerd.pid" \
    -H "unix://$work/docker/docker.sock" --iptables=false --ip6tables=false --ip-masq=false --bridge=none \
    --userland-proxy=false ${1:+--storage-driver "$1"} </dev/null >"$work/docker/dockerd.log" 2>&1 &
  dockerd_pid=$!
  local i
  for i in $(seq 300); do
    docker_ version >/dev/null 2>&1 && break
    kill -0 "$dockerd_pid" 2>/dev/null || { why="dockerd exits: $(tail -1 "$work/docker/dockerd.log")"; dockerd_pid=; return 1; }
    sleep 0.1
  done
  docker_ version >/dev/null 2>&1 || { why="dockerd did not answer within 30 s: $(tail -1 "$work/docker/dockerd.log")"; return 1; }
}
prepare_docker() {
  start_docker_daemon || return 1
  local out
  out=$(docker_ import "$work/rootfs.tar" $NAME:busybox 2>&1) || { why="docker import fails: $(tail -1 <<<"$out")"; return 1; }
  out=$(docker_ $DOCKER_RUN --memory "$BENCH_MEMORY" $NAME:busybox /bin/true </dev/null 2>&1) || { why="docker run fails: $(tail -1 <<<"$out")"; return 1; }
}
true_docker() { echo "/usr/bin/docker -H unix://$work/docker/docker.sock $DOCKER_RUN --memory $BENCH_MEMORY $NAME:busybox /bin/true"; }
sleep_start_docker() { docker_ ${DOCKER_RUN/--rm/-d} --name "$NAME-sleep" --memory "$BENCH_MEMORY" $NAME:busybox /bin/sleep "$1" </dev/null >/dev/null; }
sleep_stop_docker() { docker_ rm -f "$NAME-sleep" >/dev/null 2>&1 || true; }
exec_docker() { echo "/usr/bin/docker -H unix://$work/docker/docker.sock exec $NAME-sleep /bin/true"; }
limit_docker() { $LIMIT_TIMEOUT /usr/bin/docker -H "unix://$work/docker/docker.sock" $DOCKER_RUN --memory "$1" $NAME:busybox /bin/true </dev/null; }
packages_docker() { echo docker.io; }
version_docker() { echo "docker $(docker_ version -f '{{.Server.Version}}' 2>/dev/null), containerd $(containerd --version | awk '{print $3}'), runc $(runc --version | awk 'NR==1{print $3}')"; }
# The daemons whose memory counts for every docker container.
daemons_docker() { [ -n "${dockerd_pid:-}" ] && echo "$dockerd_pid" $(pgrep -P "$dockerd_pid" -x containerd); }

stop_docker_daemon() {
  [ -n "${dockerd_pid:-}" ] || return 0
  docker_ ps -aq 2>/dev/null | xargs -r /usr/bin/docker -H "unix://$work/docker/docker.sock" rm -f >/dev/null 2>&1 || true
  kill -TERM "$dockerd_pid" 2>/dev/null || true
  local i
  for i in $(seq 150); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$dockerd_pid" 2>/dev/null || true
  wait "$dockerd_pid" 2>/dev/null || true
  dockerd_pid=
}
