/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`test/unit/config-reference.test.ts > TAP > the images.ini reference (lite help-config --images) > markdown 1`] = `
- The image settings of a board: /etc/lite/images.ini, or the file LITE_IMAGES_CONFIG or --images-config names (which must then exist). Without the default file, every key has its default.
- It is read like a container config (the same ini rules, the same FILE:LINE errors). Relative paths are relative to its directory.
- LITE_STORE or --store replace [store] path; REGISTRY_AUTH_FILE replaces [store] auth.
- A registry is not a section of its own: ini would split a header such as [registry "10.0.0.1:5000"] at its dots. Each [registry] list item starts with the host instead.

### \`[store]\` (images.ini)

The image store on this board, and what unpacking a layer may do.

| key | value | default | description |
| --- | --- | --- | --- |
| \`path\` | path | /var/lib/lite | The store's root: blobs, built images, refs and container records. Absolute, or relative to images.ini's directory; made at the first pull. LITE_STORE and --store replace it. Put it on a data partition: images are written there with fsync and rename. |
| \`keep_blobs\` | bool | yes | no deletes a pulled image's layer blobs once its image file is built: blobs, the staging tree and the image together would triple the flash used. A later pull of an image that shares layers fetches them again. |
| \`allow_devices\` | bool | no | yes makes the device nodes that layers hold; by default they are skipped (an image has no business shipping /dev/sda). |
| \`max_layer_size\` | size | 8G | The most one layer may unpack to (512M, 8G): a compression bomb stops here with an error. |
| \`auth\` | path | /etc/lite/auth.json | A Docker-style auth.json ("auths": {HOST: {"auth": base64 of USER:PASSWORD}}) for registries that need a login; a missing file means anonymous. REGISTRY_AUTH_FILE replaces it. |

### \`[registry]\` (images.ini)

How registries are reached. Each item starts with a registry host as images name it (docker.io, ghcr.io, 127.0.0.1:5000); a host may appear in several lists.

| key | value | default | description |
| --- | --- | --- | --- |
| \`insecure[]\` | HOST | none (HTTPS only) | Plain HTTP to HOST: for a registry on the board's own network without TLS. Certificates are never skipped; a registry is either HTTPS and checked, or HTTP. |
| \`ca[]\` | HOST PEM-FILE | the system's CAs | CA certificates (a PEM file, absolute or relative to images.ini) trusted for HOST on top of the system's. One file per host. |
| \`mirror[]\` | HOST MIRROR-HOST | none | Pulls from HOST try MIRROR-HOST first, in the order written, then HOST itself. Digests are checked whatever answers. A mirror reached over HTTP needs its own insecure[] line. |

`

exports[`test/unit/config-reference.test.ts > TAP > the images.ini reference (lite help-config --images) > text 1`] = `
lite image settings reference (images.ini)

- The image settings of a board: /etc/lite/images.ini, or the file
  LITE_IMAGES_CONFIG or --images-config names (which must then exist). Without
  the default file, every key has its default.
- It is read like a container config (the same ini rules, the same FILE:LINE
  errors). Relative paths are relative to its directory.
- LITE_STORE or --store replace [store] path; REGISTRY_AUTH_FILE replaces
  [store] auth.
- A registry is not a section of its own: ini would split a header such as
  [registry "10.0.0.1:5000"] at its dots. Each [registry] list item starts
  with the host instead.

[store]
  The image store on this board, and what unpacking a layer may do.

  path = path
      default: /var/lib/lite
      The store's root: blobs, built images, refs and container records.
      Absolute, or relative to images.ini's directory; made at the first pull.
      LITE_STORE and --store replace it. Put it on a data partition: images
      are written there with fsync and rename.

  keep_blobs = bool
      default: yes
      no deletes a pulled image's layer blobs once its image file is built:
      blobs, the staging tree and the image together would triple the flash
      used. A later pull of an image that shares layers fetches them again.

  allow_devices = bool
      default: no
      yes makes the device nodes that layers hold; by default they are skipped
      (an image has no business shipping /dev/sda).

  max_layer_size = size
      default: 8G
      The most one layer may unpack to (512M, 8G): a compression bomb stops
      here with an error.

  auth = path
      default: /etc/lite/auth.json
      A Docker-style auth.json ("auths": {HOST: {"auth": base64 of
      USER:PASSWORD}}) for registries that need a login; a missing file means
      anonymous. REGISTRY_AUTH_FILE replaces it.

[registry]
  How registries are reached. Each item starts with a registry host as images
  name it (docker.io, ghcr.io, 127.0.0.1:5000); a host may appear in several
  lists.

  insecure[] = HOST
      default: none (HTTPS only)
      Plain HTTP to HOST: for a registry on the board's own network without
      TLS. Certificates are never skipped; a registry is either HTTPS and
      checked, or HTTP.

  ca[] = HOST PEM-FILE
      default: the system's CAs
      CA certificates (a PEM file, absolute or relative to images.ini) trusted
      for HOST on top of the system's. One file per host.

  mirror[] = HOST MIRROR-HOST
      default: none
      Pulls from HOST try MIRROR-HOST first, in the order written, then HOST
      itself. Digests are checked whatever answers. A mirror reached over HTTP
      needs its own insecure[] line.

`

exports[`test/unit/config-reference.test.ts > TAP > the markdown reference (README table) > must match snapshot 1`] = `
- A config is an ini file: [section] headers, then "key = value" lines. Unknown sections and keys are errors.
- A list is written "key[] = item", one item per line; any other key may appear once per section.
- Lines starting with ; or # are comments. An inline comment needs whitespace before its ; or #, as in "size = 32M  ; cap".
- Any other ; or # in a value must be escaped as \\\\; or \\\\#, or the whole value quoted, as in cmd = "sh -c 'a; b'".
- A value quoted as a whole with "..." is a JSON string (\\\\" \\\\\\\\ \\\\n work); with '...' it is taken literally.
- Booleans: yes/no, true/false, on/off, 1/0. Sizes: bytes, or 512K, 64M, 1G (powers of 1024).
- Durations: seconds (30, 0.5), or numbers with the units ms, s, m and h, largest first (500ms, 2m, 1m30s).
- Relative paths on the host are relative to the directory of the config file.
- A config is a regular file of at most 1 MiB; a section or key name is at most 128 characters.

### \`[container]\`

The container's identity.

| key | value | default | description | LXC | nspawn |
| --- | --- | --- | --- | --- | --- |
| \`name\` | name | the config file's name without ".ini" | Names the container in lite ps and the state directory /run/lite/NAME. 1 to 63 of a-z 0-9 _ . -, starting with a letter or digit. A name given on the command line wins. | (container directory name) | \`--machine\` |
| \`hostname\` | hostname | the container name | The host name inside the container (RFC 1123, at most 64 characters). Not set when [namespaces] keep has uts. | \`lxc.uts.name\` | \`Exec.Hostname\` |
| \`localtime\` | host \\| none | \`host\` | host bind-mounts the host's /etc/localtime read-only into the container; none leaves the rootfs's own. | — | \`Exec.Timezone\` |

### \`[rootfs]\`

The root file system: a read-only lower layer (a directory, or a squashfs or erofs image mounted through a loop device) under a writable overlay upper layer, which is a size-capped tmpfs unless a directory is given.

| key | value | default | description | LXC | nspawn |
| --- | --- | --- | --- | --- | --- |
| \`path\` | path | **required, unless image is set** | The read-only lower layer: a directory, or a squashfs or erofs image file (recognised by its magic number). Absolute, or relative to the config file's directory. It must exist. Not with image. | \`lxc.rootfs.path\` | \`--directory\`, \`--image\` |
| \`image\` | image reference | none | An image from lite's store (lite image pull / import) as the lower layer: NAME[:TAG] (busybox, 127.0.0.1:5000/app:1.2, normalised as Docker does), NAME@sha256:DIGEST or sha256:DIGEST. Its config gives defaults that this file's keys override: Env (env[]), Entrypoint and Cmd (entrypoint, cmd, -- CMD), WorkingDir (cwd), User (user, groups), StopSignal (stop_signal), Healthcheck ([health]); ExposedPorts are shown by lite status. The store is /var/lib/lite unless /etc/lite/images.ini, LITE_STORE or --store says otherwise. A running container keeps the image it started from, even when the tag moves. Not with path. | — | \`--image\` |
| \`upper\` | tmpfs \\| path | \`tmpfs\` | The writable layer: tmpfs (lost at exit; no flash wear) or an existing directory that keeps changes (absolute, or relative to the config file); lite makes root/ and work/ in it. Not with readonly = yes. | \`lxc.rootfs.path = overlayfs:LOWER:UPPER\` | \`Files.Overlay\`, \`--volatile=overlay\` |
| \`size\` | size | \`16M\` | The size cap of a tmpfs upper layer. Not with a directory upper or readonly = yes. | — | — |
| \`readonly\` | bool | \`no\` | yes mounts the lower layer read-only with no overlay: the smallest footprint. Not with upper. | \`lxc.rootfs.options = ro\` | \`Files.ReadOnly\` |

### \`[exec]\`

The process started in the container.

| key | value | default | description | LXC | nspawn |
| --- | --- | --- | --- | --- | --- |
| \`entrypoint\` | command line | the image's Entrypoint; none without an image | Put before cmd: the program of an image that takes its arguments from cmd (Docker's ENTRYPOINT). Written like cmd. Setting it (even to "") drops the image's Entrypoint and its Cmd, as docker run --entrypoint does; cmd or -- CMD then gives the arguments. lite exec runs its command without it. | (lxc.execute.cmd) | \`Exec.Parameters\` |
| \`cmd\` | command line | **the image's Cmd (unless entrypoint is set); required without an image or entrypoint, unless given on the command line** | The program and its arguments, split like a shell would without expanding anything: '...' is literal, "..." allows \\\\" and \\\\\\\\, a backslash quotes the next character. A program without a '/' is looked up in the container's PATH. A command given on the command line wins. With an entrypoint (this file's or the image's), these are its arguments. | \`lxc.init.cmd\`, \`lxc.execute.cmd\` | \`Exec.Parameters\` |
| \`env[]\` | KEY=VALUE | PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin and HOME=/, each unless set | An environment variable. Each KEY may be set once. With an image, its Env comes too, and env[] overrides it by KEY. | \`lxc.environment\` | \`Exec.Environment\` |
| \`cwd\` | path | the image's WorkingDir, else / | The working directory, an absolute path inside the container. | \`lxc.init.cwd\` | \`Exec.WorkingDirectory\` |
| \`user\` | uid[:gid], or user[:group] with an image | the image's User, else 0:0 | The user and group ids. Without an image they are numbers, and gid defaults to uid. With an image, names are looked up in the image's /etc/passwd and /etc/group as Docker does: a user's primary group and home (HOME, unless env[] sets it) come from passwd, and its supplementary groups (the groups default) from group; a uid passwd lacks gets gid = uid when written here, gid 0 when it is the image's User (Docker's rule). | \`lxc.init.uid\`, \`lxc.init.gid\` | \`Exec.User\` |
| \`groups\` | gid list | none; with an image, the user's groups in its /etc/group | Supplementary group ids, separated by spaces or commas; replaces the ones an image's /etc/group gives. | \`lxc.init.groups\` | — |
| \`init\` | bool | \`no\` | yes starts a small PID 1 (lite-init: the monitor program in init mode, about 25 KiB resident) that reaps zombies and forwards signals; the program runs as PID 2. Without it the program is PID 1, and the kernel drops a signal such as SIGTERM sent to a PID 1 that has no handler for it. | (lxc-execute, with init.lxc) | \`Exec.ProcessTwo\` |
| \`stop_signal\` | signal | the image's StopSignal, else SIGTERM | The signal that asks the container to stop: a name (SIGTERM, TERM, SIGRTMIN+3) or a number. | \`lxc.signal.stop\` | \`Exec.KillSignal\` |
| \`stop_timeout\` | seconds, 0..3600 | \`10\` | How long to wait after stop_signal before SIGKILL. | (lxc-stop --timeout) | — |

### \`[mount]\`

Extra mounts, made in order after /proc, /sys and /dev are set up (so a device such as /dev/i2c-1 is not hidden by the /dev tmpfs).

| key | value | default | description | LXC | nspawn |
| --- | --- | --- | --- | --- | --- |
| \`entry[]\` | SOURCE TARGET TYPE [OPTIONS] | none | An fstab-like line. TARGET is inside the container, absolute or relative to its root, without "..". OPTIONS are mount options plus lite's own create=dir\\|file (make the target first) and optional (skip the mount if SOURCE is missing). A bind mount is the option bind or rbind with the type none or bind; its SOURCE may be relative to the config file. Spaces in a field are written \\\\040. Types that show the host's kernel state unmasked are refused: proc, sysfs, cgroup, cgroup2, devtmpfs, securityfs, debugfs, tracefs, bpf, configfs, efivarfs, pstore, binfmt_misc and the like. | \`lxc.mount.entry\` | \`Files.Bind\`, \`Files.TemporaryFileSystem\` |

### \`[namespaces]\`

Namespaces are all new by default: mount, pid, uts, ipc, cgroup and net (see [net]). Mount and pid are always new.

| key | value | default | description | LXC | nspawn |
| --- | --- | --- | --- | --- | --- |
| \`keep\` | list of ipc uts cgroup | none | Namespaces shared with the host instead of new ones, separated by spaces. For the network use [net] type = host; the mount and pid namespaces are always new. | \`lxc.namespace.keep\` | — |

### \`[user]\`

A user namespace of the container's own: root inside is an unprivileged id on the host, and the image's files keep their owners (an id-mapped lower layer).

| key | value | default | description | LXC | nspawn |
| --- | --- | --- | --- | --- | --- |
| \`map\` | none \\| auto \\| CONTAINER:HOST:COUNT[,...] | \`none\` | none: no user namespace. auto: 65536 ids from the pool (the \`lite\` entries of /etc/subuid and /etc/subgid, else lite's default pool, shown by lite info), the same range for a name that keeps files on the host (a directory upper, a writable bind) until lite rm. Ranges: container ids CONTAINER.. are host ids HOST.. for COUNT ids, for uids and (unless gid_map) gids. Container root (0) must be mapped. | \`lxc.idmap\` | — |
| \`gid_map\` | CONTAINER:HOST:COUNT[,...] | the map ranges | The gid ranges, when they differ from the uid ranges of map. | \`lxc.idmap = g ...\` | — |

### \`[net]\`

Networking, and the container's /etc/resolv.conf and /etc/hosts.

| key | value | default | description | LXC | nspawn |
| --- | --- | --- | --- | --- | --- |
| \`type\` | none \\| host \\| bridge \\| macvlan \\| ipvlan \\| container:NAME \\| netns:PATH | \`none\` | none: a new network namespace with only lo up. host: the host's network. bridge: eth0 on a bridge with NAT and published ports. macvlan, ipvlan: eth0 with its own address on parent's LAN. container:NAME: the network of a running container. netns:PATH: a named network namespace such as /run/netns/x. | \`lxc.net.0.type\` | \`Network.Private\` |
| \`bridge\` | interface name | \`lite0\` | type = bridge: the host bridge, created on first use with the subnet's gateway and kept, as docker0 is. | \`lxc.net.0.link\` | — |
| \`subnet\` | IPv4 CIDR | \`10.111.0.0/16\` | type = bridge: the bridge's subnet; its .1 is the gateway. Every container on one bridge must give the same subnet. | — | — |
| \`address\` | IPv4 [/prefix] | leased (bridge) | bridge: a fixed address in the subnet, else one is leased. macvlan, ipvlan: the address with its prefix (required), e.g. 192.168.1.50/24. | \`lxc.net.0.ipv4.address\` | — |
| \`gateway\` | IPv4 | none (bridge: the subnet's .1) | macvlan, ipvlan: the default route's gateway on the parent's LAN. | \`lxc.net.0.ipv4.gateway\` | — |
| \`parent\` | interface name | none | macvlan, ipvlan: the host interface the container's eth0 sits on (required). | \`lxc.net.0.link\` | — |
| \`publish[]\` | [HOSTIP:]HOSTPORT:PORT[/tcp\\|udp] | none | type = bridge: a port of the host forwarded to the container (DNAT), from other hosts and from the host itself (127.0.0.1 included). tcp unless /udp is given. | — | — |
| \`link[]\` | container name | none | type = bridge: a running container on the same bridge whose name and address go into this container's /etc/hosts at start (one-way: start it first). | — | — |
| \`resolv_conf\` | host \\| rootfs \\| path | \`host\` | The container's /etc/resolv.conf: host copies the host's, rootfs keeps the image's, or a file (absolute, or relative to the config file). dns[] replaces it with a generated one. | — | \`Exec.ResolvConf\` |
| \`dns[]\` | IP address | none | A nameserver (IPv4 or IPv6). Setting any generates resolv.conf; not with resolv_conf = rootfs or a file. | — | — |
| \`hosts[]\` | ADDRESS NAME [NAME...] | none | An extra /etc/hosts line. | — | — |

### \`[limits]\`

Resource limits (setrlimit) and the OOM score. Nothing is set unless configured. A value may only lower the limit lite itself runs with, since the host may lack CAP_SYS_RESOURCE.

| key | value | default | description | LXC | nspawn |
| --- | --- | --- | --- | --- | --- |
| \`<rlimit>\` | soft[:hard] | inherited | &lt;rlimit> is one of as, core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack. Each limit is a non-negative integer or unlimited; one value sets both soft and hard, e.g. nofile = 1024:4096. | \`lxc.prlimit.<rlimit>\` | \`Exec.Limit<RLIMIT>\` |
| \`oom_score_adj\` | integer, -1000..1000 | inherited | Added to the OOM killer's score of the container's processes; -1000 exempts them. | \`lxc.proc.oom_score_adj\` | \`Exec.OOMScoreAdjust\` |

### \`[resources]\`

cgroup limits that work on v1, v2 and hybrid hosts alike: lite writes each to the file of the hierarchy that holds its controller on this host. The container is placed in PARENT/NAME of every hierarchy and sees its own limits in /sys/fs/cgroup.

| key | value | default | description | LXC | nspawn |
| --- | --- | --- | --- | --- | --- |
| \`memory\` | size | no limit | The memory limit (v2 memory.max, v1 memory.limit_in_bytes). When it kills the program, lite says so and exits 137. At least the measured floor (see "Memory floor"). | \`lxc.cgroup2.memory.max\` | (MemoryMax=) |
| \`swap\` | size | the host's default | Swap allowed on top of memory (v2 memory.swap.max; v1 memory.memsw.limit_in_bytes = memory + swap). 0 forbids swap. | \`lxc.cgroup2.memory.swap.max\` | — |
| \`cpus\` | CPUs, e.g. 0.5 | no limit | CPU time per 100 ms period, in CPUs (v2 cpu.max, v1 cpu.cfs_quota_us and cpu.cfs_period_us). | \`lxc.cgroup2.cpu.max\` | (CPUQuota=) |
| \`weight\` | integer, 1..10000 | 100 (the kernel's) | The CPU share against other cgroups (v2 cpu.weight; v1 cpu.shares, converted as crun does). | \`lxc.cgroup2.cpu.weight\` | (CPUWeight=) |
| \`cpuset\` | CPU list, e.g. 0-1,3 | the parent's | The CPUs the container may run on (cpuset.cpus). | \`lxc.cgroup2.cpuset.cpus\` | \`Exec.CPUAffinity\` |
| \`mems\` | node list, e.g. 0 | the parent's | The memory nodes the container may use (cpuset.mems). | \`lxc.cgroup2.cpuset.mems\` | — |
| \`pids\` | integer, or max | no limit | The most processes and threads the container may have (pids.max). | \`lxc.cgroup2.pids.max\` | (TasksMax=) |
| \`io_read_bps[]\` | DEVICE SIZE | none | A read limit for one block device, in bytes per second (v2 io.max; v1 blkio.throttle.read_bps_device), e.g. /dev/mmcblk0 10M. | \`lxc.cgroup2.io.max\` | — |
| \`io_write_bps[]\` | DEVICE SIZE | none | A write limit for one block device, in bytes per second (v2 io.max; v1 blkio.throttle.write_bps_device), e.g. /dev/mmcblk0 10M. | \`lxc.cgroup2.io.max\` | — |
| \`io_read_iops[]\` | DEVICE COUNT | none | A read limit for one block device, in operations per second (v2 io.max; v1 blkio.throttle.read_iops_device), e.g. /dev/mmcblk0 500. | \`lxc.cgroup2.io.max\` | — |
| \`io_write_iops[]\` | DEVICE COUNT | none | A write limit for one block device, in operations per second (v2 io.max; v1 blkio.throttle.write_iops_device), e.g. /dev/mmcblk0 500. | \`lxc.cgroup2.io.max\` | — |
| \`io_weight\` | integer, 1..10000 | the kernel's | The I/O share against other cgroups (v2 io.weight; v1 blkio.bfq.weight, 1..1000, only with the BFQ scheduler). | \`lxc.cgroup2.io.weight\` | — |
| \`rt_runtime\` | microseconds | 0 on v1 (no SCHED_FIFO/RR) | Real-time CPU time per second for SCHED_FIFO/SCHED_RR threads (v1 cpu.rt_runtime_us). A new v1 cgroup gets 0, so real-time threads fail with EPERM without it. v2 has no real-time group scheduling. | \`lxc.cgroup.cpu.rt_runtime_us\` | — |

### \`[cgroup]\`

Placement, and raw cgroup v1 files written as they are (for what [resources] does not cover). A raw key is refused on a host without cgroup v1.

| key | value | default | description | LXC | nspawn |
| --- | --- | --- | --- | --- | --- |
| \`parent\` | cgroup path | \`lite\` | Where the container's cgroup goes in each hierarchy: PARENT/NAME. | — | — |
| \`<controller>.<file>\` | value | none | A cgroup v1 file of the container's cgroup, written as is, e.g. memory.swappiness = 10. The controller must be on v1 on this host. Only limits: the files that move, kill or freeze processes, or change the hierarchy or device access, are refused (cgroup.procs, cgroup.threads, tasks, cgroup.kill, cgroup.freeze, freezer.\\*, cgroup.subtree_control, cgroup.type, notify_on_release, release_agent, devices.\\*: use [devices]), and of the other cgroup.\\* files only cgroup.max.depth and cgroup.max.descendants are allowed. | \`lxc.cgroup.<controller>.<file>\` | — |

### \`[cgroup2]\`

Raw cgroup v2 files written as they are, e.g. memory.high = 32M. Refused on a host without cgroup v2 controllers.

| key | value | default | description | LXC | nspawn |
| --- | --- | --- | --- | --- | --- |
| \`<file>\` | value | none | A cgroup v2 file of the container's cgroup, written as is, e.g. memory.high = 32M. The controller must be on v2 on this host. Only limits: the files that move, kill or freeze processes, or change the hierarchy or device access, are refused (cgroup.procs, cgroup.threads, tasks, cgroup.kill, cgroup.freeze, freezer.\\*, cgroup.subtree_control, cgroup.type, notify_on_release, release_agent, devices.\\*: use [devices]), and of the other cgroup.\\* files only cgroup.max.depth and cgroup.max.descendants are allowed. | \`lxc.cgroup2.<file>\` | — |

### \`[devices]\`

Device access. Only the minimal /dev nodes exist, and the cgroup (v1 devices controller, or a v2 device BPF program) allows opening only them (null zero full random urandom tty console ptmx, the pts, tun). A device passed here gets its node in the container's /dev and is allowed.

| key | value | default | description | LXC | nspawn |
| --- | --- | --- | --- | --- | --- |
| \`allow[]\` | DEVICE [rwm] | none | A host character or block device (e.g. /dev/i2c-1 rw, /dev/ttyS1 rw): its node is made at the same path in the container's /dev, with the host's numbers and mode, and access is allowed (r read, w write, m mknod; default rw). | \`lxc.cgroup.devices.allow\` | \`--bind= (DeviceAllow=)\` |

### \`[security]\`

Confinement. By default a container gets Docker's: 14 capabilities, no_new_privs, and Docker's default seccomp profile. Whatever is set here, /proc and /sys paths that show or change the host (/proc/kcore, /proc/keys, /sys/firmware, ...) are masked and others (/proc/sys, /proc/sysrq-trigger, /proc/irq, /proc/bus, /proc/fs) made read-only, as runc does.

| key | value | default | description | LXC | nspawn |
| --- | --- | --- | --- | --- | --- |
| \`cap.keep\` | capability list | Docker's 14: CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE | The capabilities the program keeps in its bounding, permitted and effective sets, replacing the default ones: names separated by spaces, with or without CAP_, in any case; ALL is every one the kernel has. Not with cap.drop. The inheritable and ambient sets stay empty, so a program running as a non-root user has none of them after exec unless its file has capabilities (which no_new_privs refuses). | \`lxc.cap.keep\` | \`Exec.Capability\` |
| \`cap.drop\` | capability list | none | Capabilities taken out of the default ones, written like cap.keep (ALL drops them all). Not with cap.keep. | \`lxc.cap.drop\` | \`Exec.DropCapability\` |
| \`no_new_privs\` | bool | \`yes\` | yes: execve can never grant privileges (setuid bits and file capabilities are ignored), and the seccomp filter is installed just before exec. no: the filter is installed before the capabilities are dropped, and must then allow lite's own set-up (Docker's default does). | \`lxc.no_new_privs\` | \`Exec.NoNewPrivileges\` |
| \`seccomp\` | default \\| unconfined \\| path | \`default\` | The seccomp filter: default is Docker's default profile (an allowlist; keyctl, add_key, mount, unshare and clone with namespace flags without CAP_SYS_ADMIN, ... get EPERM), unconfined is none, or a Docker-format JSON profile file (absolute, or relative to the config file), checked now. Rules are resolved for the container's arch and capabilities; names the arch lacks are skipped. | \`lxc.seccomp.profile\` | \`Exec.SystemCallFilter\` |

### \`[sysctl]\`

Kernel parameters of the container's own namespaces, e.g. net.ipv4.ip_forward = 1, written into /proc/sys inside the container before it is made read-only. Only namespaced ones: net.\\* (with a new network namespace), kernel.shm\\*, kernel.msg\\*, kernel.sem and fs.mqueue.\\* (with a new IPC namespace).

| key | value | default | description | LXC | nspawn |
| --- | --- | --- | --- | --- | --- |
| \`<name>\` | value | the kernel's | &lt;name> is a sysctl such as net.ipv4.ip_forward or kernel.shmmax; its value is written as it is. | \`lxc.sysctl.<name>\` | — |

### \`[hook]\`

Host programs run by lite around the container, with LITE_NAME, LITE_ROOTFS, LITE_PID and LITE_CONFIG in their environment.

| key | value | default | description | LXC | nspawn |
| --- | --- | --- | --- | --- | --- |
| \`pre-start[]\` | command line | none | Runs on the host before the container's program starts. The program is an absolute path or relative to the config file; arguments are split like [exec] cmd. | \`lxc.hook.pre-start\` | — |
| \`post-stop[]\` | command line | none | Runs on the host after the container has exited. Written like pre-start[]. | \`lxc.hook.post-stop\` | — |

### \`[start]\`

Starting at boot (lite boot DIR, in order, with a delay) and restarting after an exit: the monitor that lite run leaves beside the container applies the restart policy, with no daemon.

| key | value | default | description | LXC | nspawn |
| --- | --- | --- | --- | --- | --- |
| \`auto\` | bool | \`no\` | yes: lite boot DIR starts this container (detached) when DIR holds its config; lite shutdown DIR stops it. | \`lxc.start.auto\` | — |
| \`order\` | integer | \`0\` | lite boot starts lower orders first (equal orders by name); lite shutdown stops in the reverse order. | \`lxc.start.order\` | — |
| \`delay\` | seconds, 0..3600 | \`0\` | How long lite boot waits after starting this container before it starts the next one (e.g. 0.5). | \`lxc.start.delay\` | — |
| \`restart\` | no \\| on-failure[:N] \\| always | \`no\` | What the monitor does when the container exits by itself: no; on-failure restarts it after a non-zero exit or a signal, at most N times (unlimited without :N); always restarts it after any exit. The back-off before a restart starts at 100 ms and doubles up to 10 s; a run of 10 s or more starts it over. The same monitor pid restarts lite with the config (an init system sees no change). A container stopped with lite stop (or SIGTERM to its monitor) is never restarted. | — | (systemd Restart=) |

### \`[health]\`

A health check, as Docker's HEALTHCHECK: the monitor runs cmd inside the container (as lite exec does) every interval. The container is starting until a check passes (healthy); retries failures in a row make it unhealthy, and a pass makes it healthy again. lite ps and lite status show the state. An image's Healthcheck is the default of every key; a key written here replaces its part.

| key | value | default | description | LXC | nspawn |
| --- | --- | --- | --- | --- | --- |
| \`cmd\` | shell command \\| none | the image's Healthcheck (CMD, CMD-SHELL or NONE), else none | The check: a command line run inside the container by /bin/sh -c (Docker's CMD-SHELL form), with the container's user, environment and confinement, as lite exec runs one; exit status 0 means healthy. Quote the whole value if it has ; or #, as in cmd = "wget -q -O /dev/null http://127.0.0.1/ \\|\\| exit 1". none turns off a health check that the image defines. The image's CMD form runs its program without a shell. | — | — |
| \`interval\` | duration, 100ms..24h | the image's Healthcheck Interval, else 30s | How often cmd runs: the first check one interval after the start, each next one an interval after the previous one ended. | — | — |
| \`timeout\` | duration, 100ms..24h | the image's Healthcheck Timeout, else 30s | How long one check may run: a check still running then is killed and counts as a failure. | — | — |
| \`retries\` | integer, 1..100 | the image's Healthcheck Retries, else 3 | How many failed checks in a row make the container unhealthy. | — | — |
| \`start_period\` | duration, 0..24h | the image's Healthcheck StartPeriod, else 0 | Time for the program to start: a failure within it does not count while the container is still starting, and a pass makes it healthy at once. | — | — |
| \`on_unhealthy\` | none \\| restart | \`none\` | What the monitor does when the container becomes unhealthy. none: it only shows the state. restart: it stops the container ([exec] stop_signal, then SIGKILL after stop_timeout) and starts it again whatever [start] restart says, with the same back-off and within its on-failure:N limit. lite stop always wins. | — | — |

### \`[update]\`

How lite update replaces the image this container runs (lite update NAME REF\\|FILE): the new image enters the store, the monitor restarts the container on it, and the update is committed once the container is healthy, or rolled back on its own.

| key | value | default | description | LXC | nspawn |
| --- | --- | --- | --- | --- | --- |
| \`health_timeout\` | duration, 1s..1h | \`60s\` | How long lite update waits for the new container to be healthy before it rolls back: with [health], healthy is what the check says; without it, the new container must run for 5 s (or health_timeout, if shorter) without exiting. | — | — |
| \`keep\` | integer, 0..16 | \`1\` | How many previous images lite update keeps for lite rollback; an image that drops out of them is removed from the store with its tags, unless another container uses it. | — | — |

### \`[log]\`

Where the stdout and stderr of a detached container (lite run -d) go; read them with lite logs. A foreground run keeps the terminal of lite run.

| key | value | default | description | LXC | nspawn |
| --- | --- | --- | --- | --- | --- |
| \`target\` | file \\| syslog \\| none | \`file\` | file: /run/lite/NAME/log, a ring of two files on /run (RAM, no flash wear) read by lite logs; syslog: the system log (/dev/log, facility user, severity info), one message per line tagged lite/NAME; none: discarded. A foreground lite run writes to its own stdout and stderr instead. | \`lxc.console.logfile\` | — |
| \`size\` | size, at least 16K | \`1M\` | The most a file log keeps: when log reaches half of it, it becomes log.1 (replacing the older one). | \`lxc.console.size\` | — |

`

exports[`test/unit/config-reference.test.ts > TAP > the text reference (lite help-config) > must match snapshot 1`] = `
lite configuration reference

- A config is an ini file: [section] headers, then "key = value" lines.
  Unknown sections and keys are errors.
- A list is written "key[] = item", one item per line; any other key may
  appear once per section.
- Lines starting with ; or # are comments. An inline comment needs whitespace
  before its ; or #, as in "size = 32M ; cap".
- Any other ; or # in a value must be escaped as \\; or \\#, or the whole value
  quoted, as in cmd = "sh -c 'a; b'".
- A value quoted as a whole with "..." is a JSON string (\\" \\\\ \\n work); with
  '...' it is taken literally.
- Booleans: yes/no, true/false, on/off, 1/0. Sizes: bytes, or 512K, 64M, 1G
  (powers of 1024).
- Durations: seconds (30, 0.5), or numbers with the units ms, s, m and h,
  largest first (500ms, 2m, 1m30s).
- Relative paths on the host are relative to the directory of the config file.
- A config is a regular file of at most 1 MiB; a section or key name is at
  most 128 characters.

[container]
  The container's identity.

  name = name
      default: the config file's name without ".ini"
      Names the container in lite ps and the state directory /run/lite/NAME. 1
      to 63 of a-z 0-9 _ . -, starting with a letter or digit. A name given on
      the command line wins.
      LXC: (container directory name); nspawn: --machine

  hostname = hostname
      default: the container name
      The host name inside the container (RFC 1123, at most 64 characters).
      Not set when [namespaces] keep has uts.
      LXC: lxc.uts.name; nspawn: Exec.Hostname

  localtime = host | none
      default: host
      host bind-mounts the host's /etc/localtime read-only into the container;
      none leaves the rootfs's own.
      nspawn: Exec.Timezone

[rootfs]
  The root file system: a read-only lower layer (a directory, or a squashfs or
  erofs image mounted through a loop device) under a writable overlay upper
  layer, which is a size-capped tmpfs unless a directory is given.

  path = path
      required, unless image is set
      The read-only lower layer: a directory, or a squashfs or erofs image
      file (recognised by its magic number). Absolute, or relative to the
      config file's directory. It must exist. Not with image.
      LXC: lxc.rootfs.path; nspawn: --directory, --image

  image = image reference
      default: none
      An image from lite's store (lite image pull / import) as the lower
      layer: NAME[:TAG] (busybox, 127.0.0.1:5000/app:1.2, normalised as Docker
      does), NAME@sha256:DIGEST or sha256:DIGEST. Its config gives defaults
      that this file's keys override: Env (env[]), Entrypoint and Cmd
      (entrypoint, cmd, -- CMD), WorkingDir (cwd), User (user, groups),
      StopSignal (stop_signal), Healthcheck ([health]); ExposedPorts are shown
      by lite status. The store is /var/lib/lite unless /etc/lite/images.ini,
      LITE_STORE or --store says otherwise. A running container keeps the
      image it started from, even when the tag moves. Not with path.
      nspawn: --image

  upper = tmpfs | path
      default: tmpfs
      The writable layer: tmpfs (lost at exit; no flash wear) or an existing
      directory that keeps changes (absolute, or relative to the config file);
      lite makes root/ and work/ in it. Not with readonly = yes.
      LXC: lxc.rootfs.path = overlayfs:LOWER:UPPER; nspawn: Files.Overlay,
      --volatile=overlay

  size = size
      default: 16M
      The size cap of a tmpfs upper layer. Not with a directory upper or
      readonly = yes.

  readonly = bool
      default: no
      yes mounts the lower layer read-only with no overlay: the smallest
      footprint. Not with upper.
      LXC: lxc.rootfs.options = ro; nspawn: Files.ReadOnly

[exec]
  The process started in the container.

  entrypoint = command line
      default: the image's Entrypoint; none without an image
      Put before cmd: the program of an image that takes its arguments from
      cmd (Docker's ENTRYPOINT). Written like cmd. Setting it (even to "")
      drops the image's Entrypoint and its Cmd, as docker run --entrypoint
      does; cmd or -- CMD then gives the arguments. lite exec runs its command
      without it.
      LXC: (lxc.execute.cmd); nspawn: Exec.Parameters

  cmd = command line
      the image's Cmd (unless entrypoint is set); required without an image or
      entrypoint, unless given on the command line
      The program and its arguments, split like a shell would without
      expanding anything: '...' is literal, "..." allows \\" and \\\\, a
      backslash quotes the next character. A program without a '/' is looked
      up in the container's PATH. A command given on the command line wins.
      With an entrypoint (this file's or the image's), these are its
      arguments.
      LXC: lxc.init.cmd, lxc.execute.cmd; nspawn: Exec.Parameters

  env[] = KEY=VALUE
      default:
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin and
      HOME=/, each unless set
      An environment variable. Each KEY may be set once. With an image, its
      Env comes too, and env[] overrides it by KEY.
      LXC: lxc.environment; nspawn: Exec.Environment

  cwd = path
      default: the image's WorkingDir, else /
      The working directory, an absolute path inside the container.
      LXC: lxc.init.cwd; nspawn: Exec.WorkingDirectory

  user = uid[:gid], or user[:group] with an image
      default: the image's User, else 0:0
      The user and group ids. Without an image they are numbers, and gid
      defaults to uid. With an image, names are looked up in the image's
      /etc/passwd and /etc/group as Docker does: a user's primary group and
      home (HOME, unless env[] sets it) come from passwd, and its
      supplementary groups (the groups default) from group; a uid passwd lacks
      gets gid = uid when written here, gid 0 when it is the image's User
      (Docker's rule).
      LXC: lxc.init.uid, lxc.init.gid; nspawn: Exec.User

  groups = gid list
      default: none; with an image, the user's groups in its /etc/group
      Supplementary group ids, separated by spaces or commas; replaces the
      ones an image's /etc/group gives.
      LXC: lxc.init.groups

  init = bool
      default: no
      yes starts a small PID 1 (lite-init: the monitor program in init mode,
      about 25 KiB resident) that reaps zombies and forwards signals; the
      program runs as PID 2. Without it the program is PID 1, and the kernel
      drops a signal such as SIGTERM sent to a PID 1 that has no handler for
      it.
      LXC: (lxc-execute, with init.lxc); nspawn: Exec.ProcessTwo

  stop_signal = signal
      default: the image's StopSignal, else SIGTERM
      The signal that asks the container to stop: a name (SIGTERM, TERM,
      SIGRTMIN+3) or a number.
      LXC: lxc.signal.stop; nspawn: Exec.KillSignal

  stop_timeout = seconds, 0..3600
      default: 10
      How long to wait after stop_signal before SIGKILL.
      LXC: (lxc-stop --timeout)

[mount]
  Extra mounts, made in order after /proc, /sys and /dev are set up (so a
  device such as /dev/i2c-1 is not hidden by the /dev tmpfs).

  entry[] = SOURCE TARGET TYPE [OPTIONS]
      default: none
      An fstab-like line. TARGET is inside the container, absolute or relative
      to its root, without "..". OPTIONS are mount options plus lite's own
      create=dir|file (make the target first) and optional (skip the mount if
      SOURCE is missing). A bind mount is the option bind or rbind with the
      type none or bind; its SOURCE may be relative to the config file. Spaces
      in a field are written \\040. Types that show the host's kernel state
      unmasked are refused: proc, sysfs, cgroup, cgroup2, devtmpfs,
      securityfs, debugfs, tracefs, bpf, configfs, efivarfs, pstore,
      binfmt_misc and the like.
      LXC: lxc.mount.entry; nspawn: Files.Bind, Files.TemporaryFileSystem

[namespaces]
  Namespaces are all new by default: mount, pid, uts, ipc, cgroup and net (see
  [net]). Mount and pid are always new.

  keep = list of ipc uts cgroup
      default: none
      Namespaces shared with the host instead of new ones, separated by
      spaces. For the network use [net] type = host; the mount and pid
      namespaces are always new.
      LXC: lxc.namespace.keep

[user]
  A user namespace of the container's own: root inside is an unprivileged id
  on the host, and the image's files keep their owners (an id-mapped lower
  layer).

  map = none | auto | CONTAINER:HOST:COUNT[,...]
      default: none
      none: no user namespace. auto: 65536 ids from the pool (the \`lite\`
      entries of /etc/subuid and /etc/subgid, else lite's default pool, shown
      by lite info), the same range for a name that keeps files on the host (a
      directory upper, a writable bind) until lite rm. Ranges: container ids
      CONTAINER.. are host ids HOST.. for COUNT ids, for uids and (unless
      gid_map) gids. Container root (0) must be mapped.
      LXC: lxc.idmap

  gid_map = CONTAINER:HOST:COUNT[,...]
      default: the map ranges
      The gid ranges, when they differ from the uid ranges of map.
      LXC: lxc.idmap = g ...

[net]
  Networking, and the container's /etc/resolv.conf and /etc/hosts.

  type = none | host | bridge | macvlan | ipvlan | container:NAME | netns:PATH
      default: none
      none: a new network namespace with only lo up. host: the host's network.
      bridge: eth0 on a bridge with NAT and published ports. macvlan, ipvlan:
      eth0 with its own address on parent's LAN. container:NAME: the network
      of a running container. netns:PATH: a named network namespace such as
      /run/netns/x.
      LXC: lxc.net.0.type; nspawn: Network.Private

  bridge = interface name
      default: lite0
      type = bridge: the host bridge, created on first use with the subnet's
      gateway and kept, as docker0 is.
      LXC: lxc.net.0.link

  subnet = IPv4 CIDR
      default: 10.111.0.0/16
      type = bridge: the bridge's subnet; its .1 is the gateway. Every
      container on one bridge must give the same subnet.

  address = IPv4 [/prefix]
      default: leased (bridge)
      bridge: a fixed address in the subnet, else one is leased. macvlan,
      ipvlan: the address with its prefix (required), e.g. 192.168.1.50/24.
      LXC: lxc.net.0.ipv4.address

  gateway = IPv4
      default: none (bridge: the subnet's .1)
      macvlan, ipvlan: the default route's gateway on the parent's LAN.
      LXC: lxc.net.0.ipv4.gateway

  parent = interface name
      default: none
      macvlan, ipvlan: the host interface the container's eth0 sits on
      (required).
      LXC: lxc.net.0.link

  publish[] = [HOSTIP:]HOSTPORT:PORT[/tcp|udp]
      default: none
      type = bridge: a port of the host forwarded to the container (DNAT),
      from other hosts and from the host itself (127.0.0.1 included). tcp
      unless /udp is given.

  link[] = container name
      default: none
      type = bridge: a running container on the same bridge whose name and
      address go into this container's /etc/hosts at start (one-way: start it
      first).

  resolv_conf = host | rootfs | path
      default: host
      The container's /etc/resolv.conf: host copies the host's, rootfs keeps
      the image's, or a file (absolute, or relative to the config file). dns[]
      replaces it with a generated one.
      nspawn: Exec.ResolvConf

  dns[] = IP address
      default: none
      A nameserver (IPv4 or IPv6). Setting any generates resolv.conf; not with
      resolv_conf = rootfs or a file.

  hosts[] = ADDRESS NAME [NAME...]
      default: none
      An extra /etc/hosts line.

[limits]
  Resource limits (setrlimit) and the OOM score. Nothing is set unless
  configured. A value may only lower the limit lite itself runs with, since
  the host may lack CAP_SYS_RESOURCE.

  <rlimit> = soft[:hard]
      default: inherited
      <rlimit> is one of as, core, cpu, data, fsize, locks, memlock, msgqueue,
      nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack. Each limit
      is a non-negative integer or unlimited; one value sets both soft and
      hard, e.g. nofile = 1024:4096.
      LXC: lxc.prlimit.<rlimit>; nspawn: Exec.Limit<RLIMIT>

  oom_score_adj = integer, -1000..1000
      default: inherited
      Added to the OOM killer's score of the container's processes; -1000
      exempts them.
      LXC: lxc.proc.oom_score_adj; nspawn: Exec.OOMScoreAdjust

[resources]
  cgroup limits that work on v1, v2 and hybrid hosts alike: lite writes each
  to the file of the hierarchy that holds its controller on this host. The
  container is placed in PARENT/NAME of every hierarchy and sees its own
  limits in /sys/fs/cgroup.

  memory = size
      default: no limit
      The memory limit (v2 memory.max, v1 memory.limit_in_bytes). When it
      kills the program, lite says so and exits 137. At least the measured
      floor (see "Memory floor").
      LXC: lxc.cgroup2.memory.max; nspawn: (MemoryMax=)

  swap = size
      default: the host's default
      Swap allowed on top of memory (v2 memory.swap.max; v1
      memory.memsw.limit_in_bytes = memory + swap). 0 forbids swap.
      LXC: lxc.cgroup2.memory.swap.max

  cpus = CPUs, e.g. 0.5
      default: no limit
      CPU time per 100 ms period, in CPUs (v2 cpu.max, v1 cpu.cfs_quota_us and
      cpu.cfs_period_us).
      LXC: lxc.cgroup2.cpu.max; nspawn: (CPUQuota=)

  weight = integer, 1..10000
      default: 100 (the kernel's)
      The CPU share against other cgroups (v2 cpu.weight; v1 cpu.shares,
      converted as crun does).
      LXC: lxc.cgroup2.cpu.weight; nspawn: (CPUWeight=)

  cpuset = CPU list, e.g. 0-1,3
      default: the parent's
      The CPUs the container may run on (cpuset.cpus).
      LXC: lxc.cgroup2.cpuset.cpus; nspawn: Exec.CPUAffinity

  mems = node list, e.g. 0
      default: the parent's
      The memory nodes the container may use (cpuset.mems).
      LXC: lxc.cgroup2.cpuset.mems

  pids = integer, or max
      default: no limit
      The most processes and threads the container may have (pids.max).
      LXC: lxc.cgroup2.pids.max; nspawn: (TasksMax=)

  io_read_bps[] = DEVICE SIZE
      default: none
      A read limit for one block device, in bytes per second (v2 io.max; v1
      blkio.throttle.read_bps_device), e.g. /dev/mmcblk0 10M.
      LXC: lxc.cgroup2.io.max

  io_write_bps[] = DEVICE SIZE
      default: none
      A write limit for one block device, in bytes per second (v2 io.max; v1
      blkio.throttle.write_bps_device), e.g. /dev/mmcblk0 10M.
      LXC: lxc.cgroup2.io.max

  io_read_iops[] = DEVICE COUNT
      default: none
      A read limit for one block device, in operations per second (v2 io.max;
      v1 blkio.throttle.read_iops_device), e.g. /dev/mmcblk0 500.
      LXC: lxc.cgroup2.io.max

  io_write_iops[] = DEVICE COUNT
      default: none
      A write limit for one block device, in operations per second (v2 io.max;
      v1 blkio.throttle.write_iops_device), e.g. /dev/mmcblk0 500.
      LXC: lxc.cgroup2.io.max

  io_weight = integer, 1..10000
      default: the kernel's
      The I/O share against other cgroups (v2 io.weight; v1 blkio.bfq.weight,
      1..1000, only with the BFQ scheduler).
      LXC: lxc.cgroup2.io.weight

  rt_runtime = microseconds
      default: 0 on v1 (no SCHED_FIFO/RR)
      Real-time CPU time per second for SCHED_FIFO/SCHED_RR threads (v1
      cpu.rt_runtime_us). A new v1 cgroup gets 0, so real-time threads fail
      with EPERM without it. v2 has no real-time group scheduling.
      LXC: lxc.cgroup.cpu.rt_runtime_us

[cgroup]
  Placement, and raw cgroup v1 files written as they are (for what [resources]
  does not cover). A raw key is refused on a host without cgroup v1.

  parent = cgroup path
      default: lite
      Where the container's cgroup goes in each hierarchy: PARENT/NAME.

  <controller>.<file> = value
      default: none
      A cgroup v1 file of the container's cgroup, written as is, e.g.
      memory.swappiness = 10. The controller must be on v1 on this host. Only
      limits: the files that move, kill or freeze processes, or change the
      hierarchy or device access, are refused (cgroup.procs, cgroup.threads,
      tasks, cgroup.kill, cgroup.freeze, freezer.*, cgroup.subtree_control,
      cgroup.type, notify_on_release, release_agent, devices.*: use
      [devices]), and of the other cgroup.* files only cgroup.max.depth and
      cgroup.max.descendants are allowed.
      LXC: lxc.cgroup.<controller>.<file>

[cgroup2]
  Raw cgroup v2 files written as they are, e.g. memory.high = 32M. Refused on
  a host without cgroup v2 controllers.

  <file> = value
      default: none
      A cgroup v2 file of the container's cgroup, written as is, e.g.
      memory.high = 32M. The controller must be on v2 on this host. Only
      limits: the files that move, kill or freeze processes, or change the
      hierarchy or device access, are refused (cgroup.procs, cgroup.threads,
      tasks, cgroup.kill, cgroup.freeze, freezer.*, cgroup.subtree_control,
      cgroup.type, notify_on_release, release_agent, devices.*: use
      [devices]), and of the other cgroup.* files only cgroup.max.depth and
      cgroup.max.descendants are allowed.
      LXC: lxc.cgroup2.<file>

[devices]
  Device access. Only the minimal /dev nodes exist, and the cgroup (v1 devices
  controller, or a v2 device BPF program) allows opening only them (null zero
  full random urandom tty console ptmx, the pts, tun). A device passed here
  gets its node in the container's /dev and is allowed.

  allow[] = DEVICE [rwm]
      default: none
      A host character or block device (e.g. /dev/i2c-1 rw, /dev/ttyS1 rw):
      its node is made at the same path in the container's /dev, with the
      host's numbers and mode, and access is allowed (r read, w write, m
      mknod; default rw).
      LXC: lxc.cgroup.devices.allow; nspawn: --bind= (DeviceAllow=)

[security]
  Confinement. By default a container gets Docker's: 14 capabilities,
  no_new_privs, and Docker's default seccomp profile. Whatever is set here,
  /proc and /sys paths that show or change the host (/proc/kcore, /proc/keys,
  /sys/firmware, ...) are masked and others (/proc/sys, /proc/sysrq-trigger,
  /proc/irq, /proc/bus, /proc/fs) made read-only, as runc does.

  cap.keep = capability list
      default: Docker's 14: CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW
      SETGID SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL
      AUDIT_WRITE
      The capabilities the program keeps in its bounding, permitted and
      effective sets, replacing the default ones: names separated by spaces,
      with or without CAP_, in any case; ALL is every one the kernel has. Not
      with cap.drop. The inheritable and ambient sets stay empty, so a program
      running as a non-root user has none of them after exec unless its file
      has capabilities (which no_new_privs refuses).
      LXC: lxc.cap.keep; nspawn: Exec.Capability

  cap.drop = capability list
      default: none
      Capabilities taken out of the default ones, written like cap.keep (ALL
      drops them all). Not with cap.keep.
      LXC: lxc.cap.drop; nspawn: Exec.DropCapability

  no_new_privs = bool
      default: yes
      yes: execve can never grant privileges (setuid bits and file
      capabilities are ignored), and the seccomp filter is installed just
      before exec. no: the filter is installed before the capabilities are
      dropped, and must then allow lite's own set-up (Docker's default does).
      LXC: lxc.no_new_privs; nspawn: Exec.NoNewPrivileges

  seccomp = default | unconfined | path
      default: default
      The seccomp filter: default is Docker's default profile (an allowlist;
      keyctl, add_key, mount, unshare and clone with namespace flags without
      CAP_SYS_ADMIN, ... get EPERM), unconfined is none, or a Docker-format
      JSON profile file (absolute, or relative to the config file), checked
      now. Rules are resolved for the container's arch and capabilities; names
      the arch lacks are skipped.
      LXC: lxc.seccomp.profile; nspawn: Exec.SystemCallFilter

[sysctl]
  Kernel parameters of the container's own namespaces, e.g.
  net.ipv4.ip_forward = 1, written into /proc/sys inside the container before
  it is made read-only. Only namespaced ones: net.* (with a new network
  namespace), kernel.shm*, kernel.msg*, kernel.sem and fs.mqueue.* (with a new
  IPC namespace).

  <name> = value
      default: the kernel's
      <name> is a sysctl such as net.ipv4.ip_forward or kernel.shmmax; its
      value is written as it is.
      LXC: lxc.sysctl.<name>

[hook]
  Host programs run by lite around the container, with LITE_NAME, LITE_ROOTFS,
  LITE_PID and LITE_CONFIG in their environment.

  pre-start[] = command line
      default: none
      Runs on the host before the container's program starts. The program is
      an absolute path or relative to the config file; arguments are split
      like [exec] cmd.
      LXC: lxc.hook.pre-start

  post-stop[] = command line
      default: none
      Runs on the host after the container has exited. Written like
      pre-start[].
      LXC: lxc.hook.post-stop

[start]
  Starting at boot (lite boot DIR, in order, with a delay) and restarting
  after an exit: the monitor that lite run leaves beside the container applies
  the restart policy, with no daemon.

  auto = bool
      default: no
      yes: lite boot DIR starts this container (detached) when DIR holds its
      config; lite shutdown DIR stops it.
      LXC: lxc.start.auto

  order = integer
      default: 0
      lite boot starts lower orders first (equal orders by name); lite
      shutdown stops in the reverse order.
      LXC: lxc.start.order

  delay = seconds, 0..3600
      default: 0
      How long lite boot waits after starting this container before it starts
      the next one (e.g. 0.5).
      LXC: lxc.start.delay

  restart = no | on-failure[:N] | always
      default: no
      What the monitor does when the container exits by itself: no; on-failure
      restarts it after a non-zero exit or a signal, at most N times
      (unlimited without :N); always restarts it after any exit. The back-off
      before a restart starts at 100 ms and doubles up to 10 s; a run of 10 s
      or more starts it over. The same monitor pid restarts lite with the
      config (an init system sees no change). A container stopped with lite
      stop (or SIGTERM to its monitor) is never restarted.
      nspawn: (systemd Restart=)

[health]
  A health check, as Docker's HEALTHCHECK: the monitor runs cmd inside the
  container (as lite exec does) every interval. The container is starting
  until a check passes (healthy); retries failures in a row make it unhealthy,
  and a pass makes it healthy again. lite ps and lite status show the state.
  An image's Healthcheck is the default of every key; a key written here
  replaces its part.

  cmd = shell command | none
      default: the image's Healthcheck (CMD, CMD-SHELL or NONE), else none
      The check: a command line run inside the container by /bin/sh -c
      (Docker's CMD-SHELL form), with the container's user, environment and
      confinement, as lite exec runs one; exit status 0 means healthy. Quote
      the whole value if it has ; or #, as in cmd = "wget -q -O /dev/null
      http://127.0.0.1/ || exit 1". none turns off a health check that the
      image defines. The image's CMD form runs its program without a shell.

  interval = duration, 100ms..24h
      default: the image's Healthcheck Interval, else 30s
      How often cmd runs: the first check one interval after the start, each
      next one an interval after the previous one ended.

  timeout = duration, 100ms..24h
      default: the image's Healthcheck Timeout, else 30s
      How long one check may run: a check still running then is killed and
      counts as a failure.

  retries = integer, 1..100
      default: the image's Healthcheck Retries, else 3
      How many failed checks in a row make the container unhealthy.

  start_period = duration, 0..24h
      default: the image's Healthcheck StartPeriod, else 0
      Time for the program to start: a failure within it does not count while
      the container is still starting, and a pass makes it healthy at once.

  on_unhealthy = none | restart
      default: none
      What the monitor does when the container becomes unhealthy. none: it
      only shows the state. restart: it stops the container ([exec]
      stop_signal, then SIGKILL after stop_timeout) and starts it again
      whatever [start] restart says, with the same back-off and within its
      on-failure:N limit. lite stop always wins.

[update]
  How lite update replaces the image this container runs (lite update NAME
  REF|FILE): the new image enters the store, the monitor restarts the
  container on it, and the update is committed once the container is healthy,
  or rolled back on its own.

  health_timeout = duration, 1s..1h
      default: 60s
      How long lite update waits for the new container to be healthy before it
      rolls back: with [health], healthy is what the check says; without it,
      the new container must run for 5 s (or health_timeout, if shorter)
      without exiting.

  keep = integer, 0..16
      default: 1
      How many previous images lite update keeps for lite rollback; an image
      that drops out of them is removed from the store with its tags, unless
      another container uses it.

[log]
  Where the stdout and stderr of a detached container (lite run -d) go; read
  them with lite logs. A foreground run keeps the terminal of lite run.

  target = file | syslog | none
      default: file
      file: /run/lite/NAME/log, a ring of two files on /run (RAM, no flash
      wear) read by lite logs; syslog: the system log (/dev/log, facility
      user, severity info), one message per line tagged lite/NAME; none:
      discarded. A foreground lite run writes to its own stdout and stderr
      instead.
      LXC: lxc.console.logfile

  size = size, at least 16K
      default: 1M
      The most a file log keeps: when log reaches half of it, it becomes log.1
      (replacing the older one).
      LXC: lxc.console.size

`
