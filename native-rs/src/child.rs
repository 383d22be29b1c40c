//! The child after clone: the set-up sequence, then execve.
//!
//! Bun is multithreaded, so this copy of it may hold a copy of a lock that some other
//! thread held at the moment of clone. Hence the rules here: no allocation, no
//! formatting, no panics, no glibc wrappers that take locks; only `Sys` calls on
//! memory prepared before clone. A failure writes one `ChildReport` and exits 125.
//!
//! The order follows DESIGN.md §2 (runc's and crun's order).

use core::ffi::CStr;
use libc::c_int;

use crate::plan::{Create, OpKind, Prepared, PreparedOp, Resolve, RootEntry, MAX_IDMAPS};
use crate::report::{ChildReport, Step, GO, NET_TAG, PID_TAG, READY_TAG, TTY_TAG};
use crate::resolve::{
    fd_path, is_dir, make_in_root, open_in_root, with_parent, Follow, PROC_SUPER_MAGIC, SYSFS_MAGIC,
};
use crate::sys::{Errno, Sys, SysResult};

/// How the sequence ended. A real execve never returns on success, so `Exec` is seen
/// only with the recording fake.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Exec,
    Failed(ChildReport),
    /// Exit with this code, no report: a process that handed its work to a sibling
    /// (0), a `start` that never came (0), or an exec that failed after READY, when
    /// nobody reads reports any more (127 or 126, its reason written to fd 2).
    Exit(c_int),
}

/// The fds the child is handed by spawn.
#[derive(Clone, Copy, Debug)]
pub struct ChildFds {
    /// The child's end of the SEQPACKET socket (CLOEXEC).
    pub sock: c_int,
    /// The host's /dev/null, for fd 0 when stdin is not kept.
    pub devnull: c_int,
    /// clone3 put this process in its cgroup v2 already (CLONE_INTO_CGROUP).
    pub in_cgroup: bool,
    /// A page shared with the parent (MAP_SHARED): the step the child is in, so that a
    /// set-up that hangs is named when the start times out. Null in tests.
    pub progress: *mut u32,
}

const PATH_MAX: usize = 4096;

/// Notes the step about to run in the shared page: two plain stores, no syscall.
fn mark(fds: &ChildFds, step: Step, index: usize) {
    if !fds.progress.is_null() {
        // SAFETY: spawn maps the page (two u32s at least) before clone, and the parent
        // only reads it.
        unsafe {
            core::ptr::write_volatile(fds.progress, step as u32);
            core::ptr::write_volatile(fds.progress.add(1), index as u32);
        }
    }
}
fn failed(step: Step, index: usize, errno: i32) -> Outcome {
    Outcome::Failed(ChildReport {
        step,
        index: index as u16,
        errno,
    })
}

macro_rules! step {
    ($e:expr, $step:expr, $index:expr) => {
        match $e {
            Ok(v) => v,
            Err(Errno(errno)) => return failed($step, $index as usize, errno),
        }
    };
}

/// The child's entry point: runs the sequence and never returns.
pub fn child_main<S: Sys>(p: &Prepared, sys: &S, fds: ChildFds) -> ! {
    // Before any path is looked up: no fd of Bun's (a cgroup directory, a state dir, a
    // log) may stay open where a path such as /proc/self/fd/N could reach it.
    if let Err(Errno(e)) = close_unneeded_fds(sys, p, &fds) {
        let report = ChildReport {
            step: Step::CloseFds,
            index: 2,
            errno: e,
        };
        let _ = sys.write(fds.sock, &report.encode());
        sys.exit(125)
    }
    if p.join_pid.is_some() {
        // `lite exec`: into the container's cgroups while the host's paths are still
        // this process's (the clone that join makes inherits them).
        if let Err(report) = join_cgroups(p, sys, fds) {
            let _ = sys.write(fds.sock, &report.encode());
            sys.exit(125)
        }
        match join(p, sys, fds) {
            Joined::InContainer => {}
            Joined::Handed => sys.exit(0),
            Joined::Failed(report) => {
                let _ = sys.write(fds.sock, &report.encode());
                sys.exit(125)
            }
        }
    }
    match run(p, sys, fds) {
        Outcome::Failed(report) => {
            let _ = sys.write(fds.sock, &report.encode());
        }
        Outcome::Exit(code) => sys.exit(code),
        Outcome::Exec => {}
    }
    sys.exit(125)
}

/// Into the cgroups, by the child itself: "0" written to a cgroup v1 `tasks` file moves
/// the calling thread without the global threadgroup lock, whose first write from
/// another process waits out an RCU grace period (5-14 ms measured). This
/// single-threaded process is all of the container (or of the exec) so far.
fn join_cgroups<S: Sys>(p: &Prepared, sys: &S, fds: ChildFds) -> Result<(), ChildReport> {
    let report = |index: usize, Errno(errno): Errno| ChildReport {
        step: Step::Cgroup,
        index: index as u16,
        errno,
    };
    for (i, tasks) in p.cgroup_tasks.iter().enumerate() {
        write_file(sys, tasks, b"0").map_err(|e| report(i, e))?;
    }
    if let (Some(procs), false) = (&p.cgroup_v2_procs, fds.in_cgroup) {
        write_file(sys, procs, b"0").map_err(|e| report(99, e))?;
    }
    Ok(())
}

pub enum Joined {
    /// This is the new process, inside every namespace of the container.
    InContainer,
    /// This is the joining child: its sibling's pid went to lite; it exits.
    Handed,
    Failed(ChildReport),
}

/// `lite exec`: setns into each namespace of the running container, then clone once
/// more so that the new process is inside its pid namespace too (setns of a pid
/// namespace applies to children only). CLONE_PARENT makes it lite's own child, which
/// lite (then the monitor) waits for; this child only reports its pid and exits.
pub fn join<S: Sys>(p: &Prepared, sys: &S, fds: ChildFds) -> Joined {
    // Not dumpable before the first setns: once in the container's user namespace, its
    // processes must not be able to ptrace this copy of lite (runc's CVE-2016-9962).
    if let Err(Errno(e)) = sys.prctl(libc::PR_SET_DUMPABLE, 0, 0) {
        return Joined::Failed(ChildReport {
            step: Step::Prctl,
            index: 1,
            errno: e,
        });
    }
    for (i, &(fd, kind)) in p.join.iter().enumerate() {
        if let Err(Errno(e)) = sys.setns(fd, kind) {
            return Joined::Failed(ChildReport {
                step: Step::JoinNs,
                index: i as u16,
                errno: e,
            });
        }
    }
    // Namespace fds are of no use inside; nothing of the host stays open.
    for &(fd, _) in p.join.iter() {
        let _ = sys.close(fd);
    }
    clone_into_pid_ns(sys, fds)
}

/// Clones a sibling (CLONE_PARENT: lite's own child), which is inside the pid namespace
/// this process joined; this one sends lite the sibling's pid and is done.
fn clone_into_pid_ns<S: Sys>(sys: &S, fds: ChildFds) -> Joined {
    clone_sibling_into(sys, fds, 0, 99)
}

/// Clones the sibling that is the container from then on, in new namespaces when
/// `ns_flags` has any, and sends lite its pid (the report {join-ns, `index`} if the
/// clone fails).
fn clone_sibling_into<S: Sys>(sys: &S, fds: ChildFds, ns_flags: u64, index: u16) -> Joined {
    match sys.clone_sibling(ns_flags) {
        Ok(0) => Joined::InContainer,
        Ok(pid) => {
            let mut msg = [0u8; 8];
            msg[..4].copy_from_slice(&PID_TAG);
            msg[4..].copy_from_slice(&pid.to_le_bytes());
            let _ = sys.write(fds.sock, &msg);
            Joined::Handed
        }
        Err(Errno(e)) => Joined::Failed(ChildReport {
            step: Step::JoinNs,
            index,
            errno: e,
        }),
    }
}

pub fn run<S: Sys>(p: &Prepared, sys: &S, fds: ChildFds) -> Outcome {
    // Into the cgroups first, while the host's paths are this process's own: a joined
    // mount namespace (an OCI path) would have its own /sys/fs/cgroup. `lite exec` did
    // this in child_main, before join.
    if p.join_pid.is_none() {
        if let Err(report) = join_cgroups(p, sys, fds) {
            return Outcome::Failed(report);
        }
    }
    // 0. Namespaces joined by fd (`[net] type = container:NAME | netns:PATH`, OCI's
    //    namespace paths), in order, before anything else, so every later step (the
    //    netlink socket, lo, the mounts) acts there. The fds are of no use afterwards
    //    and must not reach the app.
    for j in p.ns_joins.iter() {
        mark(&fds, Step::JoinNs, j.index as usize);
        step!(sys.setns(j.fd, j.nstype), Step::JoinNs, j.index);
    }
    for j in p.ns_joins.iter() {
        let _ = sys.close(j.fd);
    }
    // A joined pid namespace holds only the children of the process that joined it:
    // the set-up goes on in a sibling, whose pid lite takes as the container's.
    // (With a sibling to clone below, that one lands in the joined pid namespace too.)
    if p.join_pid_ns && !p.clone_in_sibling {
        mark(&fds, Step::JoinNs, 99);
        match clone_into_pid_ns(sys, fds) {
            Joined::InContainer => {}
            Joined::Handed => return Outcome::Exit(0),
            Joined::Failed(report) => return Outcome::Failed(report),
        }
    }
    mark(&fds, Step::WaitGo, 0);
    // 1. Die with the parent while still setting up (unless the container is to
    //    outlive it: OCI `create`), and keep /proc/<pid> of this copy of lite
    //    unreadable by others until exec.
    if p.pdeathsig {
        step!(
            sys.prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as _, 0),
            Step::Prctl,
            0
        );
    }
    // Rootless, lite is no root: it writes this process's maps as the owner of the
    // /proc files, which a non-dumpable process gives to root. Until GO nothing of the
    // container runs, so nothing else can look in.
    if !p.maps_by_unprivileged {
        step!(sys.prctl(libc::PR_SET_DUMPABLE, 0, 0), Step::Prctl, 1);
    }

    // A new user namespace is made by the host uid that is the container's root, not by
    // lite: the kernel charges what the container uses against per-user limits (inotify
    // instances, user namespaces...) to the namespace's creator, so root's own stay
    // root's. This process, still root and in the cgroups now, becomes that uid (keeping
    // its capabilities, which hosts that restrict unprivileged user namespaces ask for)
    // and clones the container in all its new namespaces at once; lite takes the
    // sibling's pid, and this one exits.
    // A joined user namespace (OCI path) is the same: the sibling's new namespaces
    // belong to it.
    if p.clone_in_sibling {
        mark(&fds, Step::JoinNs, 98);
        if let Some(owner) = p.user_ns_owner {
            step!(sys.setgroups(&[]), Step::Groups, 1);
            step!(sys.setresgid(owner.1), Step::Gid, 2);
            step!(sys.prctl(libc::PR_SET_KEEPCAPS, 1, 0), Step::Caps, 5);
            step!(sys.setresuid(owner.0), Step::Uid, 2);
            step!(sys.capset(p.all_caps, p.all_caps, 0), Step::Caps, 6);
        }
        match clone_sibling_into(sys, fds, p.clone_flags, 98) {
            Joined::InContainer => {}
            Joined::Handed => return Outcome::Exit(0),
            Joined::Failed(report) => return Outcome::Failed(report),
        }
        // The sibling is lite's child: it dies with lite on its own account.
        if p.pdeathsig {
            step!(
                sys.prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as _, 0),
                Step::Prctl,
                2
            );
        }
    }

    // The network: a NETLINK_ROUTE socket opened here acts in this (new) network
    // namespace; lite creates the veth peer in it and configures eth0 through this
    // socket while the child waits for GO, so the app finds eth0 ready and lite never
    // calls setns. Sent before GO because lite needs it to finish the set-up that GO
    // waits for.
    if p.net_socket {
        mark(&fds, Step::NetSocket, 0);
        let nl = step!(
            sys.socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::NETLINK_ROUTE
            ),
            Step::NetSocket,
            0
        );
        let sent = sys.send_fd(fds.sock, &NET_TAG, nl);
        // lite holds its own copy now (or the send failed): this one must not stay.
        let _ = sys.close(nl);
        step!(sent, Step::NetSocket, 1);
    }

    // Wait for GO: the parent has attached every cgroup hierarchy by then. EOF means the
    // parent is gone.
    let mut go = [0u8; 4];
    // With id-mapped mounts, their fds come with GO, in op order; then, where lite
    // cloned the root's tree (p.root_tree_op, a kernel with open_tree), that tree and
    // its mount point.
    let mut idmap_fds = [-1 as c_int; MAX_IDMAPS + 2];
    let received = if p.idmap_count > 0 || p.root_tree_op.is_some() {
        sys.recv_with_fds(fds.sock, &mut go, &mut idmap_fds)
    } else {
        sys.read(fds.sock, &mut go).map(|n| (n, 0))
    };
    let mut root_tree = None;
    match received {
        Ok((4, got)) if go == GO && got == p.idmap_count => {}
        Ok((4, got)) if go == GO && p.root_tree_op.is_some() && got == p.idmap_count + 2 => {
            root_tree = Some((idmap_fds[p.idmap_count], idmap_fds[p.idmap_count + 1]));
        }
        Ok((4, _)) if go == GO => return failed(Step::WaitGo, 1, libc::EPROTO),
        Ok(_) => return failed(Step::WaitGo, 0, libc::EPIPE),
        Err(Errno(e)) => return failed(Step::WaitGo, 0, e),
    }
    if p.maps_by_unprivileged {
        step!(sys.prctl(libc::PR_SET_DUMPABLE, 0, 0), Step::Prctl, 3);
    }
    // A new user namespace, its maps written by now: become its root, so that what the
    // set-up makes (tmpfs roots, the upper, /dev) belongs to the container's root.
    // A joined one (OCI path) likewise, as runc does: lite's host root is no id there,
    // and the kernel refuses to create a file (devpts, the tmpfs roots) for an unmapped
    // id (EOVERFLOW).
    let joined_user_ns = p.user_ns.is_none() && p.in_user_ns && p.join_pid.is_none();
    if let (Some(u), None) = (&p.user_ns, p.join_pid) {
        if u.root_mapped {
            step!(sys.setresgid(0), Step::Gid, 1);
            step!(sys.setresuid(0), Step::Uid, 1);
        }
    } else if joined_user_ns {
        step!(sys.setresgid(0), Step::Gid, 3);
        step!(sys.setresuid(0), Step::Uid, 3);
    }
    // `lite exec` joined the container's namespaces and root: nothing to build.
    if p.join_pid.is_none() {
        if p.new_cgroupns {
            step!(sys.unshare(libc::CLONE_NEWCGROUP), Step::CgroupNs, 0);
        }

        // Modes in the plan (device nodes, /dev/shm's 1777) are meant exactly.
        sys.umask(0);

        // 2-4. Filesystems: nothing propagates back to the host (MS_REC|MS_PRIVATE, or
        //      the plan's propagation; left alone without a mount namespace of the
        //      container's own), then the plan's ops in order (rootfs layers, /proc, /sys,
        //      /dev, [mount] entries, /etc files).
        if let Some(flags) = p.root_propagation {
            step!(
                sys.mount(None, c"/", None, flags, None),
                Step::MountPrivate,
                0
            );
        }
        // The root fd is opened at the first op inside the root, once the rootfs is
        // mounted on new_root; every path inside the root is resolved from it.
        let mut root = RootFd::new(&p.new_root);
        let mut idmaps = idmap_fds.iter();
        for (i, op) in p.ops.iter().enumerate() {
            if op.after_pivot {
                break; // prepare keeps these last
            }
            mark(&fds, Step::FsOp, i);
            if op.idmap {
                let fd = idmaps.next().copied().unwrap_or(-1);
                step!(idmapped_op(sys, op, fd, &mut root), Step::FsOp, i);
                continue;
            }
            if p.root_tree_op == Some(i) {
                if let Some((tree, at)) = root_tree.take() {
                    step!(attach_root_tree(sys, p, tree, at, &mut root), Step::FsOp, i);
                    continue;
                }
            }
            step!(fs_op(sys, p, op, &mut root), Step::FsOp, i);
        }
        if p.loopback_up {
            step!(loopback_up(sys), Step::LoopbackUp, 0);
        }

        // 5. Enter the new root without a put_old directory (crun's pivot_root(".", ".")),
        //    which also works on a read-only lower. Or, as runc does, move it onto "/"
        //    (--no-pivot) or chroot into it (no mount namespace of the container's own).
        //    A root that lite handed over as a tree is entered through its fd: its path
        //    may not be searchable here.
        let entered = match root.attached {
            true => root.get(sys).and_then(|fd| sys.fchdir(fd)),
            false => sys.chdir(&p.new_root),
        };
        root.close(sys);
        step!(entered, Step::PivotRoot, 0);
        match p.root_entry {
            RootEntry::Pivot => {
                step!(sys.pivot_root(c".", c"."), Step::PivotRoot, 1);
                step!(sys.umount2(c".", libc::MNT_DETACH), Step::UmountOld, 0);
            }
            RootEntry::Move => {
                step!(
                    sys.mount(Some(c"."), c"/", None, libc::MS_MOVE as _, None),
                    Step::PivotRoot,
                    3
                );
                step!(sys.chroot(c"."), Step::PivotRoot, 4);
            }
            RootEntry::Chroot => {
                step!(sys.chroot(c"."), Step::PivotRoot, 4);
            }
        }
        step!(sys.chdir(c"/"), Step::PivotRoot, 2);

        // 6. Inside the new root: the sysctls (while /proc/sys is still writable), then the
        //    masked paths and the read-only paths, in plan order.
        let mut root = RootFd::new(c"/");
        for (i, op) in p.ops.iter().enumerate() {
            if op.after_pivot {
                mark(&fds, Step::FsOp, i);
                step!(fs_op(sys, p, op, &mut root), Step::FsOp, i);
            }
        }
        root.close(sys);
    }

    // 7. Identity and limits.
    if let Some(name) = &p.hostname {
        step!(sys.sethostname(name), Step::Hostname, 0);
    }
    if let Some(name) = &p.domainname {
        step!(sys.setdomainname(name), Step::Domainname, 0);
    }
    // OCI applies the rlimits as given: here, while lite still holds CAP_SYS_RESOURCE,
    // a raise works too.
    if p.rlimits_early {
        for (i, r) in p.rlimits.iter().enumerate() {
            step!(sys.setrlimit(r.resource, r.soft, r.hard), Step::Rlimit, i);
        }
    }
    if let Some(adj) = &p.oom_score_adj {
        step!(
            write_file(sys, c"/proc/self/oom_score_adj", adj),
            Step::OomScore,
            0
        );
    }

    // 8. Without no_new_privs the kernel takes a filter only from a process with
    //    CAP_SYS_ADMIN: install it now, while the caps are all there. The filter must then
    //    allow the rest of this sequence (Docker's default does). The cwd is entered
    //    first: its check that it stayed inside the root uses getcwd, which a filter may
    //    refuse (runtime-tools' linux_seccomp makes getcwd fail).
    let mut cwd_entered = false;
    if !p.no_new_privs {
        if let Some(filter) = &p.seccomp {
            mark(&fds, Step::Chdir, 0);
            step!(chdir_in_root(sys, &p.cwd), Step::Chdir, 0);
            cwd_entered = true;
            step!(sys.seccomp_filter(filter), Step::Seccomp, 0);
        }
    }

    // 9. Capabilities and ids: bounding set, keep caps across the uid change, ids as raw
    //    syscalls, then permitted+effective with an empty inheritable set.
    for cap in 0..=p.last_cap.min(63) {
        if p.caps & (1u64 << cap) == 0 {
            match sys.prctl(libc::PR_CAPBSET_DROP, cap as _, 0) {
                Ok(_) => {}
                Err(Errno(libc::EINVAL)) => break, // the kernel knows no more caps
                Err(Errno(e)) => return failed(Step::CapBounding, cap as usize, e),
            }
        }
    }
    step!(sys.prctl(libc::PR_SET_KEEPCAPS, 1, 0), Step::Caps, 0);
    // With setgroups denied (rootless), there are no groups to set, and the call fails.
    if !(p.setgroups_denied && p.groups.is_empty()) {
        step!(sys.setgroups(&p.groups), Step::Groups, 0);
    }
    step!(sys.setresgid(p.gid), Step::Gid, 0);
    step!(sys.setresuid(p.uid), Step::Uid, 0);
    // Any uid keeps the configured set as permitted and effective (KEEPCAPS kept the
    // permitted set across setresuid). With empty inheritable and ambient sets, execve
    // by a non-root uid still leaves the app none: the kernel computes the new sets
    // from the file's capabilities, and a root uid's from the bounding set. OCI's
    // capSets give all five sets as they are.
    step!(
        sys.capset(p.cap_effective, p.cap_permitted, p.cap_inheritable),
        Step::Caps,
        1
    );
    step!(sys.prctl(libc::PR_SET_KEEPCAPS, 0, 0), Step::Caps, 2);
    match sys.prctl(libc::PR_CAP_AMBIENT, libc::PR_CAP_AMBIENT_CLEAR_ALL as _, 0) {
        Ok(_) => {}
        // No ambient set before 4.3: fine while none is asked for.
        Err(Errno(libc::EINVAL)) if p.cap_ambient.is_empty() => {}
        Err(Errno(e)) => return failed(Step::Caps, 3, e),
    }
    for (i, &cap) in p.cap_ambient.iter().enumerate() {
        if cap <= p.last_cap {
            step!(
                sys.prctl(
                    libc::PR_CAP_AMBIENT,
                    libc::PR_CAP_AMBIENT_RAISE as _,
                    cap as _
                ),
                Step::Caps,
                4 + i
            );
        }
    }

    // 10. no_new_privs.
    if p.no_new_privs {
        step!(
            sys.prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0),
            Step::NoNewPrivs,
            0
        );
    }

    // Terminal and stdio: a session of its own, so the outer terminal's job control
    // reaches the container only through lite.
    if p.tty {
        step!(attach_pty(sys, fds.sock), Step::Tty, 0);
    } else {
        step!(sys.setsid(), Step::Stdio, 0);
        if let Some(fd) = p.stdin_fd {
            // A pipe holding the OCI state, for a hook run through this path.
            step!(sys.dup3(fd, 0), Step::Stdio, 7);
            let _ = sys.close(fd);
        } else if !p.stdin {
            step!(sys.dup3(fds.devnull, 0), Step::Stdio, 1);
        }
        // Detached: the log pipe the monitor reads.
        if let Some(out) = p.output_fd {
            step!(sys.dup3(out, 1), Step::Stdio, 5);
            step!(sys.dup3(out, 2), Step::Stdio, 6);
        }
    }

    // [exec] init = yes: this process stays PID 1 as a reaper; the app goes on as PID 2.
    if p.stub_init {
        // The app waits until PID 1 has exec'd the monitor image: before that, PID 1 is
        // still this copy of lite, and /proc/1/environ and cmdline would show the app
        // lite's own environment and arguments. The write end is CLOEXEC, so the exec
        // closes it, and the app reads EOF (as does a PID 1 that fails and dies).
        let [exec_barrier, exec_barrier_w] = step!(sys.pipe_cloexec(), Step::StubInit, 3);
        let pid = step!(sys.fork(), Step::StubInit, 0);
        if pid == 0 {
            let _ = sys.close(exec_barrier_w);
            let mut byte = [0u8; 1];
            while let Ok(1) = sys.read(exec_barrier, &mut byte) {}
            let _ = sys.close(exec_barrier);
        }
        if pid > 0 {
            let _ = sys.close(exec_barrier);
            // The stub is a process of the container too: with no_new_privs the app
            // installs the filter just before exec (below), so the stub does it here,
            // while it can still report a failure.
            if p.no_new_privs {
                if let Some(filter) = &p.seccomp {
                    if let Err(Errno(e)) = sys.seccomp_filter(filter) {
                        let _ = sys.kill(pid, libc::SIGKILL);
                        return failed(Step::Seccomp, 1, e);
                    }
                }
            }
            // PID 1 becomes the monitor in init mode: a few KiB, where this copy of
            // lite would keep ~25 MB. Signals stay blocked through exec; it takes them
            // synchronously. Its image is CLOEXEC, like every fd of lite's.
            // No fd of lite's may live on in PID 1 (the state lock, a status pipe).
            if let Err(Errno(e)) = mark_fds_cloexec(sys, 3) {
                let _ = sys.kill(pid, libc::SIGKILL);
                return failed(Step::CloseFds, 1, e);
            }
            if let Some(image) = p.init_exe_fd {
                let mut digits = [0u8; 12];
                let argv: [*const libc::c_char; 3] = [
                    c"lite-init".as_ptr(),
                    decimal(pid, &mut digits).as_ptr() as *const libc::c_char,
                    core::ptr::null(),
                ];
                let envp: [*const libc::c_char; 1] = [core::ptr::null()];
                let Errno(e) = sys.execveat_empty(image, argv.as_ptr(), envp.as_ptr());
                let _ = sys.kill(pid, libc::SIGKILL);
                return failed(Step::StubInit, 1, e);
            }
            let _ = sys.kill(pid, libc::SIGKILL);
            return failed(Step::StubInit, 2, libc::ENOEXEC);
        }
    }

    // 11. A clean process for the app: default signal dispositions and an empty mask
    //     (Bun ignores SIGPIPE, and an ignored signal survives exec), blocking stdio,
    //     no inherited fds.
    for sig in 1..=64 {
        if sig == libc::SIGKILL || sig == libc::SIGSTOP {
            continue;
        }
        match sys.reset_signal(sig) {
            Ok(()) | Err(Errno(libc::EINVAL)) => {}
            Err(Errno(e)) => return failed(Step::Signals, sig as usize, e),
        }
    }
    step!(sys.unblock_all_signals(), Step::Signals, 0);
    for fd in 0..=2 {
        step!(clear_nonblock(sys, fd), Step::Stdio, 2 + fd);
    }
    step!(
        mark_fds_cloexec(sys, p.first_unpassed_fd),
        Step::CloseFds,
        0
    );
    for fd in 3..p.first_unpassed_fd {
        step!(
            sys.fcntl(fd as c_int, libc::F_SETFD, 0).map(|_| ()),
            Step::CloseFds,
            3
        );
    }
    if !cwd_entered {
        mark(&fds, Step::Chdir, 0);
        step!(chdir_in_root(sys, &p.cwd), Step::Chdir, 0);
    }
    // The app starts with Docker's umask, or the plan's.
    sys.umask(p.umask);
    // The rlimits last, as runc does: a small nofile must not fail lite's own set-up
    // (the pty, the cwd, the fd sweep) before the app runs.
    if !p.rlimits_early {
        for (i, r) in p.rlimits.iter().enumerate() {
            step!(sys.setrlimit(r.resource, r.soft, r.hard), Step::Rlimit, i);
        }
    }

    if let Some(ready_fd) = p.ready_fd {
        return wait_then_exec(sys, p, fds, ready_fd);
    }

    // 12. With no_new_privs, the filter goes on last, so that it need not allow lite's
    //     own set-up; only execve (and, if that fails, the report's write and exit)
    //     come after it.
    if p.no_new_privs {
        if let Some(filter) = &p.seccomp {
            step!(sys.seccomp_filter(filter), Step::Seccomp, 0);
        }
    }

    // 13. execve over the PATH candidates computed before clone (execvp may allocate).
    exec_candidates(sys, p)
}

/// OCI `create` then `start` (crun's exec fifo): the exec candidate is chosen now, so
/// that a missing command fails `create`; READY tells lite that set-up is done; then
/// the wait for `start`'s byte on `ready_fd`, then the filter and execve. Nobody reads
/// reports after READY: a failure from then on is a line on fd 2 and an exit code.
fn wait_then_exec<S: Sys>(sys: &S, p: &Prepared, fds: ChildFds, ready_fd: c_int) -> Outcome {
    let chosen = match resolve_candidate(sys, p) {
        Ok(i) => i,
        Err(report) => return Outcome::Failed(report),
    };
    let Some(path) = p.exec_candidates.get(chosen) else {
        return failed(Step::Exec, chosen, libc::ENOENT);
    };
    mark(&fds, Step::Ready, 0);
    step!(sys.write(fds.sock, &READY_TAG), Step::Ready, 0);
    let mut byte = [0u8; 1];
    loop {
        match sys.poll_in(ready_fd) {
            Ok(revents) if revents & libc::POLLNVAL != 0 => {
                return late_failure(sys, b"wait for start", libc::EBADF, 125)
            }
            Ok(_) => {}
            Err(Errno(libc::EINTR)) => continue,
            Err(Errno(e)) => return late_failure(sys, b"wait for start", e, 125),
        }
        match sys.read(ready_fd, &mut byte) {
            Ok(0) => return Outcome::Exit(0), // the writer closed without a word
            Ok(_) => break,
            Err(Errno(libc::EAGAIN)) | Err(Errno(libc::EINTR)) => continue,
            Err(Errno(e)) => return late_failure(sys, b"wait for start", e, 125),
        }
    }
    let _ = sys.close(ready_fd);
    if p.no_new_privs {
        if let Some(filter) = &p.seccomp {
            if let Err(Errno(e)) = sys.seccomp_filter(filter) {
                return late_failure(sys, b"seccomp", e, 125);
            }
        }
    }
    match sys.execve(path, p.argv_ptrs.as_ptr(), p.envp_ptrs.as_ptr()) {
        Errno(0) => Outcome::Exec,
        Errno(e) => {
            let code = if e == libc::ENOENT { 127 } else { 126 };
            let mut what = [0u8; 160];
            let n = concat(&mut what, &[b"exec \"", p.argv0().to_bytes(), b"\""]);
            late_failure(sys, &what[..n], e, code)
        }
    }
}

/// The exec candidate that exists as an executable regular file, searched as execvp
/// searches (ENOENT and ENOTDIR go on; a candidate that is there but not executable is
/// remembered); stat and access only, nothing allocated.
fn resolve_candidate<S: Sys>(sys: &S, p: &Prepared) -> Result<usize, ChildReport> {
    let mut eacces: Option<usize> = None;
    for (i, path) in p.exec_candidates.iter().enumerate() {
        let found = sys.stat(path).and_then(|st| {
            if st.mode & libc::S_IFMT != libc::S_IFREG {
                return Err(Errno(libc::EACCES)); // what execve says of a directory
            }
            sys.access(path, libc::X_OK)
        });
        match found {
            Ok(()) => return Ok(i),
            Err(Errno(libc::ENOENT)) | Err(Errno(libc::ENOTDIR)) => {}
            Err(Errno(libc::EACCES)) => {
                eacces.get_or_insert(i);
            }
            Err(Errno(errno)) => {
                return Err(ChildReport {
                    step: Step::Exec,
                    index: i as u16,
                    errno,
                })
            }
        }
    }
    Err(match eacces {
        Some(i) => ChildReport {
            step: Step::Exec,
            index: i as u16,
            errno: libc::EACCES,
        },
        None => ChildReport {
            step: Step::Exec,
            index: 0,
            errno: libc::ENOENT,
        },
    })
}

/// Writes "lite: <what>: <reason>\n" to fd 2 (a stack buffer, no formatting) and
/// ends with `code`.
fn late_failure<S: Sys>(sys: &S, what: &[u8], errno: i32, code: c_int) -> Outcome {
    let mut digits = [0u8; 12];
    let number = decimal(errno, &mut digits);
    let number = &number[..number.len().saturating_sub(1)]; // without the NUL
    let (text, n): (&[u8], &[u8]) = match errno_text(errno) {
        Some(t) => (t, b""),
        None => (b"errno ", number),
    };
    let mut line = [0u8; 256];
    let len = concat(&mut line, &[b"lite: ", what, b": ", text, n, b"\n"]);
    let _ = sys.write(2, &line[..len]);
    Outcome::Exit(code)
}

/// Copies `parts` one after the other into `buf` as far as it goes; the length used.
fn concat(buf: &mut [u8], parts: &[&[u8]]) -> usize {
    let mut len = 0;
    for part in parts {
        let room = buf.len() - len;
        let n = part.len().min(room);
        if let (Some(dst), Some(src)) = (buf.get_mut(len..len + n), part.get(..n)) {
            dst.copy_from_slice(src);
        }
        len += n;
    }
    len
}

/// The reasons an exec most often fails for, as strerror says them (lower case).
fn errno_text(errno: i32) -> Option<&'static [u8]> {
    Some(match errno {
        libc::ENOENT => b"no such file or directory",
        libc::EACCES => b"permission denied",
        libc::EPERM => b"operation not permitted",
        libc::ENOEXEC => b"exec format error",
        libc::ENOTDIR => b"not a directory",
        libc::EISDIR => b"is a directory",
        libc::ELOOP => b"too many levels of symbolic links",
        libc::E2BIG => b"argument list too long",
        libc::ENOMEM => b"cannot allocate memory",
        libc::ETXTBSY => b"text file busy",
        libc::EINVAL => b"invalid argument",
        libc::EBADF => b"bad file descriptor",
        _ => return None,
    })
}

fn exec_candidates<S: Sys>(sys: &S, p: &Prepared) -> Outcome {
    let mut eacces: Option<usize> = None;
    for (i, path) in p.exec_candidates.iter().enumerate() {
        let e = sys.execve(path, p.argv_ptrs.as_ptr(), p.envp_ptrs.as_ptr());
        match e.0 {
            0 => return Outcome::Exec,
            libc::ENOENT | libc::ENOTDIR => continue,
            // As execvp does: remember a candidate that exists but is not executable,
            // and keep looking.
            libc::EACCES => {
                eacces.get_or_insert(i);
            }
            errno => {
                return Outcome::Failed(ChildReport {
                    step: Step::Exec,
                    index: i as u16,
                    errno,
                })
            }
        }
    }
    match eacces {
        Some(i) => failed(Step::Exec, i, libc::EACCES),
        None => failed(Step::Exec, 0, libc::ENOENT),
    }
}

/// The container's root as an fd, opened at its first use (or the tree lite attached).
struct RootFd<'a> {
    path: &'a CStr,
    fd: Option<c_int>,
    /// `fd` is the root's tree that lite cloned (attach_root_tree), not opened by path.
    attached: bool,
}

impl<'a> RootFd<'a> {
    fn new(path: &'a CStr) -> Self {
        RootFd {
            path,
            fd: None,
            attached: false,
        }
    }
    fn get<S: Sys>(&mut self, sys: &S) -> SysResult<c_int> {
        if let Some(fd) = self.fd {
            return Ok(fd);
        }
        let fd = sys.open(
            self.path,
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
            0,
        )?;
        self.fd = Some(fd);
        Ok(fd)
    }
    fn close<S: Sys>(&mut self, sys: &S) {
        if let Some(fd) = self.fd.take() {
            let _ = sys.close(fd);
        }
    }
}

fn fs_op<S: Sys>(sys: &S, p: &Prepared, op: &PreparedOp, root: &mut RootFd) -> SysResult<()> {
    let result = match op.resolve {
        Resolve::Host => host_op(sys, p, op),
        Resolve::InRoot(follow) => root
            .get(sys)
            .and_then(|root| op_in_root(sys, p, op, root, follow)),
    };
    match result {
        // `optional`: a source or target that is not there is skipped, not an error.
        Err(Errno(libc::ENOENT)) if op.optional => Ok(()),
        r => r,
    }
}

/// The root's tree that lite cloned and sent with GO (userns::root_tree), in place of
/// binding the root onto itself: moved onto its mount point (which lite opened through
/// /proc/PID/root), then made a slave at once, since a clone of a shared host mount is the
/// host's peer and a mount made on it would show on the host. That is what the kernel
/// does to the copies it makes for a less privileged mount namespace (shared to slave),
/// so the plan's propagation then means the same as on a root bound by path. The tree's
/// fd becomes the root fd.
fn attach_root_tree<S: Sys>(
    sys: &S,
    p: &Prepared,
    tree: c_int,
    at: c_int,
    root: &mut RootFd,
) -> SysResult<()> {
    let moved = sys.move_mount_fd(tree, at);
    let _ = sys.close(at);
    let propagation = p
        .root_propagation
        .unwrap_or((libc::MS_REC | libc::MS_PRIVATE) as libc::c_ulong);
    let slave = (libc::MS_REC | libc::MS_SLAVE) as libc::c_ulong;
    let r = moved
        .and_then(|()| sys.fchdir(tree))
        .and_then(|()| sys.mount(None, c".", None, slave, None))
        .and_then(|()| sys.mount(None, c".", None, propagation, None));
    if r.is_err() {
        let _ = sys.close(tree);
        return r;
    }
    root.close(sys);
    root.fd = Some(tree);
    root.attached = true;
    Ok(())
}

/// An id-mapped mount that lite made and sent with GO: moved onto its target, which
/// is looked up as any other op's (a host path of lite's state, or inside the root).
fn idmapped_op<S: Sys>(
    sys: &S,
    op: &PreparedOp,
    mount_fd: c_int,
    root: &mut RootFd,
) -> SysResult<()> {
    let target = match op.resolve {
        Resolve::Host => create_target(sys, op)
            .and_then(|()| sys.open(&op.target, libc::O_PATH | libc::O_CLOEXEC, 0)),
        Resolve::InRoot(follow) => root.get(sys).and_then(|root| match op.create {
            Create::None => open_in_root(sys, root, &op.target, libc::O_PATH, follow),
            create => make_in_root(sys, root, &op.target, create, follow),
        }),
    };
    let r = target.and_then(|target| {
        let r = sys.move_mount_fd(mount_fd, target);
        let _ = sys.close(target);
        r
    });
    let _ = sys.close(mount_fd);
    match r {
        Err(Errno(libc::ENOENT)) if op.optional => Ok(()),
        r => r,
    }
}

/// The flags a bind remount may not drop in a user namespace (runc and crun keep them
/// the same way): those the kernel locked on a mount that came from a more privileged
/// namespace.
const LOCKED_FLAGS: libc::c_ulong = libc::MS_RDONLY
    | libc::MS_NOSUID
    | libc::MS_NODEV
    | libc::MS_NOEXEC
    | libc::MS_NOATIME
    | libc::MS_NODIRATIME
    | libc::MS_RELATIME;

/// An op's mount flags: in a user namespace, a bind remount adds what the mount at
/// `target_fd` has of LOCKED_FLAGS.
fn mount_flags<S: Sys>(
    sys: &S,
    p: &Prepared,
    op: &PreparedOp,
    target_fd: c_int,
) -> SysResult<libc::c_ulong> {
    let bind_remount = libc::MS_REMOUNT | libc::MS_BIND;
    if !p.in_user_ns || op.flags & bind_remount != bind_remount {
        return Ok(op.flags);
    }
    let mut kept = sys.fstatfs_flags(target_fd)? as libc::c_ulong & LOCKED_FLAGS;
    // An atime mode asked for replaces the mount's own.
    let atime = libc::MS_NOATIME | libc::MS_RELATIME | libc::MS_STRICTATIME;
    if op.flags & atime != 0 {
        kept &= !(atime | libc::MS_NODIRATIME);
    }
    Ok(op.flags | kept)
}

/// lite's own paths in the state dir (the layers, the overlay), before the root exists.
fn host_op<S: Sys>(sys: &S, p: &Prepared, op: &PreparedOp) -> SysResult<()> {
    match op.kind {
        OpKind::Mount if p.in_user_ns && op.flags & libc::MS_REMOUNT != 0 => {
            let fd = sys.open(&op.target, libc::O_PATH | libc::O_CLOEXEC, 0)?;
            let flags = mount_flags(sys, p, op, fd);
            let _ = sys.close(fd);
            sys.mount(None, &op.target, None, flags?, op.data.as_deref())
        }
        OpKind::Mount => create_target(sys, op).and_then(|()| {
            let source = if op.uses_loop {
                p.loop_device.as_deref()
            } else if op.source.is_none() && op.flags & libc::MS_BIND != 0 {
                // A bind with no source binds the target onto itself (an OCI root).
                Some(op.target.as_c_str())
            } else {
                op.source.as_deref()
            };
            sys.mount(
                source,
                &op.target,
                op.fstype.as_deref(),
                op.flags,
                op.data.as_deref(),
            )
        }),
        OpKind::Mkdir => ignore_exists(sys.mkdir(&op.target, op.mode)),
        OpKind::Mknod => ignore_exists(sys.mknod(&op.target, op.mode, op.dev)),
        OpKind::Symlink => match &op.source {
            Some(content) => ignore_exists(sys.symlink(content, &op.target)),
            None => Err(Errno(libc::EINVAL)),
        },
        // Masks and sysctls are inside the root by construction (prepare checks it).
        OpKind::Mask | OpKind::Write => Err(Errno(libc::EINVAL)),
    }
}

/// A path inside the container: resolved from the root fd, and the mount made on the fd
/// that came back (/proc/self/fd/N), so the path is never looked up a second time.
fn op_in_root<S: Sys>(
    sys: &S,
    p: &Prepared,
    op: &PreparedOp,
    root: c_int,
    follow: Follow,
) -> SysResult<()> {
    match op.kind {
        OpKind::Mount => {
            let target = match op.create {
                Create::None => open_in_root(sys, root, &op.target, libc::O_PATH, follow)?,
                create => make_in_root(sys, root, &op.target, create, follow)?,
            };
            let mut buf = [0u8; 32];
            let at = fd_path(target, &mut buf);
            let self_bind = op.source.is_none()
                && !op.uses_loop
                && op.flags & libc::MS_BIND != 0
                && op.flags & libc::MS_REMOUNT == 0;
            let source = if op.uses_loop {
                p.loop_device.as_deref()
            } else if self_bind {
                Some(at)
            } else {
                op.source.as_deref()
            };
            let r = mount_flags(sys, p, op, target).and_then(|flags| {
                sys.mount(source, at, op.fstype.as_deref(), flags, op.data.as_deref())
            });
            let _ = sys.close(target);
            r
        }
        OpKind::Mkdir => {
            let fd = make_in_root(sys, root, &op.target, Create::Dir, follow)?;
            sys.close(fd)
        }
        OpKind::Mknod => with_parent(sys, root, &op.target, follow, |dir, name| {
            ignore_exists(sys.mknodat(dir, name, op.mode, op.dev))?;
            match op.owner {
                Some((uid, gid)) => sys.fchownat_nofollow(dir, name, uid, gid),
                None => Ok(()),
            }
        }),
        OpKind::Symlink => match &op.source {
            Some(content) => with_parent(sys, root, &op.target, follow, |dir, name| {
                ignore_exists(sys.symlinkat(content, dir, name))
            }),
            None => Err(Errno(libc::EINVAL)),
        },
        OpKind::Mask => mask_path(sys, root, &op.target, op.mask_anywhere),
        OpKind::Write => match &op.data {
            Some(data) => write_sysctl(sys, root, &op.target, data.to_bytes()),
            None => Err(Errno(libc::EINVAL)),
        },
    }
}

/// Hides a path of /proc or /sys as runc does: the null device bound over a file, an
/// empty read-only tmpfs over a directory. The null device is the node lite made in
/// its own /dev, checked to be char 1:3 (CVE-2025-31133: a /dev/null that the rootfs
/// made a symlink would turn the mask into a bind of whatever it points to). A mask
/// that cannot be applied is an error; only a path this kernel lacks is skipped.
fn mask_path<S: Sys>(sys: &S, root: c_int, target: &CStr, anywhere: bool) -> SysResult<()> {
    let fd = open_in_root(sys, root, target, libc::O_PATH, Follow::Never)?;
    let r = mask_fd(sys, root, fd, anywhere);
    let _ = sys.close(fd);
    r
}

fn mask_fd<S: Sys>(sys: &S, root: c_int, fd: c_int, anywhere: bool) -> SysResult<()> {
    let st = sys.fstat(fd)?;
    if !anywhere {
        let fs = sys.fstatfs_type(fd)?;
        if fs != PROC_SUPER_MAGIC && fs != SYSFS_MAGIC {
            return Err(Errno(libc::EXDEV));
        }
    }
    let mut buf = [0u8; 32];
    let at = fd_path(fd, &mut buf);
    if is_dir(&st) {
        return sys.mount(
            Some(c"tmpfs"),
            at,
            Some(c"tmpfs"),
            (libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC) as _,
            None,
        );
    }
    // A missing null device is not a missing mask target: never skipped as optional.
    let null =
        open_in_root(sys, root, c"/dev/null", libc::O_PATH, Follow::Never).map_err(
            |e| match e {
                Errno(libc::ENOENT) => Errno(libc::ENODEV),
                e => e,
            },
        )?;
    let r = match sys.fstat(null) {
        Ok(n) if n.mode & libc::S_IFMT == libc::S_IFCHR && n.rdev == libc::makedev(1, 3) => {
            let mut nbuf = [0u8; 32];
            sys.mount(
                Some(fd_path(null, &mut nbuf)),
                at,
                None,
                libc::MS_BIND as _,
                None,
            )
        }
        Ok(_) => Err(Errno(libc::ENODEV)),
        Err(e) => Err(e),
    };
    let _ = sys.close(null);
    r
}

/// A sysctl is a regular file of procfs, reached with no symlink on the way; anything
/// else (a FIFO bound over it, a file of the rootfs) is refused before it is opened
/// for writing, so a write can neither hang nor land elsewhere.
fn write_sysctl<S: Sys>(sys: &S, root: c_int, target: &CStr, data: &[u8]) -> SysResult<()> {
    let fd = open_in_root(sys, root, target, libc::O_PATH, Follow::Never)?;
    let checked = sys.fstat(fd).and_then(|st| {
        let fs = sys.fstatfs_type(fd)?;
        if st.mode & libc::S_IFMT != libc::S_IFREG || fs != PROC_SUPER_MAGIC {
            return Err(Errno(libc::EXDEV));
        }
        let mut buf = [0u8; 32];
        sys.open(
            fd_path(fd, &mut buf),
            libc::O_WRONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC,
            0,
        )
    });
    let _ = sys.close(fd);
    let wfd = checked?;
    let r = sys.write(wfd, data).map(drop);
    let _ = sys.close(wfd);
    r
}

/// The app's cwd, resolved inside the container's root (no magic links: a cwd of
/// /proc/self/fd/N must never reach an fd), entered by fd, then checked: the kernel
/// names a cwd outside the root "(unreachable)...".
fn chdir_in_root<S: Sys>(sys: &S, cwd: &CStr) -> SysResult<()> {
    let root = sys.open(c"/", libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC, 0)?;
    let dir = open_in_root(
        sys,
        root,
        cwd,
        libc::O_PATH | libc::O_DIRECTORY,
        Follow::InRoot,
    );
    let _ = sys.close(root);
    let dir = dir?;
    let r = sys.fchdir(dir);
    let _ = sys.close(dir);
    r?;
    let mut buf = [0u8; PATH_MAX];
    match sys.getcwd(&mut buf) {
        Ok(n) if n > 0 && buf[0] == b'/' => Ok(()),
        Ok(_) => Err(Errno(libc::EXDEV)),
        Err(e) => Err(e),
    }
}

/// Closes every fd but stdio, the handshake socket, /dev/null and the few the plan
/// hands over (the log pipe, the monitor image, the namespaces to join, the ready
/// FIFO, the stdin pipe). Run first thing after clone. close_range needs 5.9; older
/// kernels walk /proc/self/fd (still the host's /proc here, before any mount).
pub(crate) fn close_unneeded_fds<S: Sys>(sys: &S, p: &Prepared, fds: &ChildFds) -> SysResult<()> {
    let mut keep = [-1 as c_int; 24];
    let mut n = 0;
    let mut add = |fd: c_int| {
        if fd > 2 && n < keep.len() && !keep[..n].contains(&fd) {
            keep[n] = fd;
            n += 1;
        }
    };
    add(fds.sock);
    add(fds.devnull);
    if let Some(fd) = p.output_fd {
        add(fd);
    }
    if let Some(fd) = p.init_exe_fd {
        add(fd);
    }
    for &(fd, _) in p.join.iter() {
        add(fd);
    }
    for j in p.ns_joins.iter() {
        add(j.fd);
    }
    if let Some(fd) = p.ready_fd {
        add(fd);
    }
    if let Some(fd) = p.stdin_fd {
        add(fd);
    }
    let keep = &mut keep[..n];
    keep.sort_unstable();
    // --preserve-fds: the caller's 3..first stay; none of lite's own may be among them.
    let first = p.first_unpassed_fd;
    if keep.iter().any(|&k| (k as u32) < first) {
        return Err(Errno(libc::EBADF));
    }
    let mut from: u32 = first;
    let mut ranges_ok = true;
    for &k in keep.iter().chain(core::iter::once(&c_int::MAX)) {
        let k = k as u32;
        if k > from {
            match sys.close_range(from, k - 1, 0) {
                Ok(()) => {}
                Err(Errno(libc::ENOSYS)) | Err(Errno(libc::EINVAL)) => {
                    ranges_ok = false;
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        from = k.saturating_add(1);
    }
    if ranges_ok {
        return Ok(());
    }
    let dir = sys.open(
        c"/proc/self/fd",
        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        0,
    )?;
    let r = for_each_fd(sys, dir, |fd| {
        if fd >= first as c_int && fd != dir && !keep.contains(&fd) {
            let _ = sys.close(fd);
        }
    });
    let _ = sys.close(dir);
    r
}

fn ignore_exists(r: SysResult<()>) -> SysResult<()> {
    match r {
        Err(Errno(libc::EEXIST)) => Ok(()),
        r => r,
    }
}

/// `create=dir|file`: makes the mount target and its parents when they are missing.
fn create_target<S: Sys>(sys: &S, op: &PreparedOp) -> SysResult<()> {
    if op.create == Create::None {
        return Ok(());
    }
    // Already there (possibly on a read-only lower): nothing to create.
    if let Ok(fd) = sys.open(&op.target, libc::O_PATH | libc::O_CLOEXEC, 0) {
        let _ = sys.close(fd);
        return Ok(());
    }
    let mut buf = [0u8; PATH_MAX];
    let path = op.target.to_bytes();
    if path.len() >= PATH_MAX {
        return Err(Errno(libc::ENAMETOOLONG));
    }
    buf[..path.len()].copy_from_slice(path);
    // Parents first: cut the path at each '/' in place and mkdir the prefix.
    for end in 1..path.len() {
        if buf[end] == b'/' {
            buf[end] = 0;
            ignore_exists(sys.mkdir(cstr_in(&buf[..=end]), 0o755))?;
            buf[end] = b'/';
        }
    }
    match op.create {
        Create::Dir => ignore_exists(sys.mkdir(&op.target, 0o755)),
        _ => {
            let fd = sys.open(
                &op.target,
                libc::O_CREAT | libc::O_WRONLY | libc::O_NOCTTY | libc::O_CLOEXEC,
                0o644,
            )?;
            sys.close(fd)
        }
    }
}

/// A NUL-terminated slice of a stack buffer as a CStr, without allocating.
fn cstr_in(bytes_with_nul: &[u8]) -> &CStr {
    // The caller writes the NUL at the end; from_bytes_until_nul cannot fail then.
    CStr::from_bytes_until_nul(bytes_with_nul).unwrap_or(c"/")
}

fn write_file<S: Sys>(sys: &S, path: &CStr, data: &[u8]) -> SysResult<()> {
    let fd = sys.open(path, libc::O_WRONLY | libc::O_CLOEXEC, 0)?;
    let r = sys.write(fd, data).map(drop);
    let _ = sys.close(fd);
    r
}

/// A new network namespace has `lo` down; most programs expect 127.0.0.1 to work.
fn loopback_up<S: Sys>(sys: &S) -> SysResult<()> {
    #[repr(C)]
    struct IfreqFlags {
        name: [u8; libc::IFNAMSIZ],
        flags: libc::c_short,
        _pad: [u8; 22],
    }
    let mut req = IfreqFlags {
        name: [0; libc::IFNAMSIZ],
        flags: 0,
        _pad: [0; 22],
    };
    req.name[..2].copy_from_slice(b"lo");
    let fd = sys.socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0)?;
    let ptr = &mut req as *mut IfreqFlags as *mut libc::c_void;
    let r = sys.ioctl(fd, libc::SIOCGIFFLAGS, ptr).and_then(|_| {
        req.flags |= libc::IFF_UP as libc::c_short;
        sys.ioctl(fd, libc::SIOCSIFFLAGS, ptr)
    });
    let _ = sys.close(fd);
    r.map(drop)
}

/// Opens a pty in the container's own devpts (so `tty` names a node that exists
/// inside), makes it the controlling terminal on 0-2, and sends the master back.
fn attach_pty<S: Sys>(sys: &S, sock: c_int) -> SysResult<()> {
    let master = sys.open(
        c"/dev/ptmx",
        libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        0,
    )?;
    let mut unlock: c_int = 0;
    sys.ioctl(
        master,
        libc::TIOCSPTLCK,
        &mut unlock as *mut c_int as *mut libc::c_void,
    )?;
    // TIOCGPTPEER (4.13) opens the peer without formatting a /dev/pts/N path.
    let flags = (libc::O_RDWR | libc::O_NOCTTY) as usize;
    let slave = sys.ioctl(master, libc::TIOCGPTPEER, flags as *mut libc::c_void)?;
    // The outer terminal's size (fd 0 is still lite's) before the app can ask for it:
    // the monitor's copy comes only at the handover, after the app has started, and a
    // `stty size` run first saw 0x0. Without a terminal on stdin the pty stays 0x0.
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let size_ptr = &mut size as *mut libc::winsize as *mut libc::c_void;
    if sys.ioctl(0, libc::TIOCGWINSZ, size_ptr).is_ok() {
        let _ = sys.ioctl(master, libc::TIOCSWINSZ, size_ptr);
    }
    sys.setsid()?;
    sys.ioctl(slave, libc::TIOCSCTTY, core::ptr::null_mut())?;
    for fd in 0..=2 {
        sys.dup3(slave, fd)?;
    }
    if slave > 2 {
        let _ = sys.close(slave);
    }
    sys.send_fd(sock, &TTY_TAG, master)?;
    sys.close(master)
}

fn clear_nonblock<S: Sys>(sys: &S, fd: c_int) -> SysResult<()> {
    match sys.fcntl(fd, libc::F_GETFL, 0) {
        Ok(flags) if flags & libc::O_NONBLOCK != 0 => sys
            .fcntl(fd, libc::F_SETFL, (flags & !libc::O_NONBLOCK) as _)
            .map(drop),
        Ok(_) | Err(Errno(libc::EBADF)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Marks every fd from 3 up close-on-exec. close_range(CLOEXEC) needs 5.11; older
/// kernels walk /proc/self/fd (the container's own /proc by now).
fn mark_fds_cloexec<S: Sys>(sys: &S, first: u32) -> SysResult<()> {
    const CLOSE_RANGE_CLOEXEC: u32 = 1 << 2;
    match sys.close_range(first, u32::MAX, CLOSE_RANGE_CLOEXEC) {
        Ok(()) => return Ok(()),
        // Before 5.11; EPERM: a seccomp filter (installed early, without no_new_privs)
        // that does not allow it.
        Err(Errno(libc::ENOSYS)) | Err(Errno(libc::EINVAL)) | Err(Errno(libc::EPERM)) => {}
        Err(e) => return Err(e),
    }
    let dir = match sys.open(
        c"/proc/self/fd",
        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        0,
    ) {
        Ok(fd) => fd,
        // No /proc in this container: fall back to a bounded sweep.
        Err(_) => {
            for fd in first as c_int..1024 {
                let _ = sys.fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC as _);
            }
            return Ok(());
        }
    };
    let r = for_each_fd(sys, dir, |fd| {
        if fd >= first as c_int && fd != dir {
            let _ = sys.fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC as _);
        }
    });
    let _ = sys.close(dir);
    r
}

/// Calls `f` with each fd number listed in the open directory `dir` (/proc/self/fd).
fn for_each_fd<S: Sys>(sys: &S, dir: c_int, mut f: impl FnMut(c_int)) -> SysResult<()> {
    let mut buf = [0u8; 1024];
    // A process has a bounded number of fds; so has this loop (each pass reads at
    // least one entry or ends).
    for _ in 0..1_000_000 {
        let n = sys.getdents64(dir, &mut buf)?;
        if n == 0 {
            return Ok(());
        }
        let mut off = 0;
        while off + 19 <= n {
            // struct linux_dirent64 { u64 ino; i64 off; u16 reclen; u8 type; char name[]; }
            let reclen = u16::from_ne_bytes([buf[off + 16], buf[off + 17]]) as usize;
            if reclen == 0 {
                break;
            }
            let mut fd: c_int = 0;
            let mut digits = 0;
            for &b in &buf[off + 19..(off + reclen).min(n)] {
                if !b.is_ascii_digit() {
                    break;
                }
                fd = fd.saturating_mul(10).saturating_add((b - b'0') as c_int);
                digits += 1;
            }
            if digits > 0 {
                f(fd);
            }
            off += reclen;
        }
    }
    Ok(())
}

/// `n` as NUL-terminated decimal text in `buf`, without allocating.
pub(crate) fn decimal(n: libc::pid_t, buf: &mut [u8; 12]) -> &[u8] {
    let mut i = buf.len() - 1;
    buf[i] = 0;
    let mut v = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 || i == 0 {
            break;
        }
    }
    &buf[i..]
}

/// A wait status as a shell reports it: the exit code, or 128 + the signal.
pub fn exit_code(status: c_int) -> c_int {
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        125
    }
}
