//! User namespaces against the recording fake: the plan's checks, the child's GO with
//! id-mapped mount fds and its switch to the namespace's root, and lite's half (maps,
//! id-mapped mounts) with the kernel-too-old answers.

use crate::child::{run, ChildFds, Outcome};
use crate::fake::{pos, pos_prefix, RecordingSys};
use crate::plan::{prepare, tests::sample_plan, FsOp, IdMapping, Plan, UserNsPlan};
use crate::report::{ChildReport, Step};
use crate::userns::{idmap_mounts, root_tree, set_up, write_maps, IdmapSource};

const FDS: ChildFds = ChildFds {
    sock: 3,
    devnull: 4,
    in_cgroup: false,
    progress: std::ptr::null_mut(),
};

fn range(c: u32, h: u32, n: u32) -> IdMapping {
    IdMapping {
        container_id: c,
        host_id: h,
        size: n,
    }
}

fn mapped_plan() -> Plan {
    let mut plan = sample_plan();
    plan.namespaces.push("user".into());
    plan.user_ns = Some(UserNsPlan {
        uid_map: vec![range(0, 100000, 65536)],
        gid_map: vec![range(0, 100000, 65536)],
        deny_setgroups: None,
        maps_by_helper: None,
    });
    // The bind of /data becomes id-mapped; an image lower too.
    plan.ops[2].idmap = Some(true);
    plan.ops.insert(
        2,
        FsOp {
            kind: "mount".into(),
            source: Some("@loop".into()),
            target: "/run/lite/t/layers/lower".into(),
            fstype: Some("squashfs".into()),
            flags: (libc::MS_RDONLY | libc::MS_NODEV) as u32,
            idmap: Some(true),
            ..Default::default()
        },
    );
    plan.loop_image = Some("/images/a.sqfs".into());
    plan
}

#[test]
fn a_user_namespace_is_cloned_with_the_others_and_needs_its_maps() {
    let p = prepare(&mapped_plan(), 40).unwrap();
    assert_ne!(p.clone_flags & libc::CLONE_NEWUSER as u64, 0);
    let u = p.user_ns.as_ref().unwrap();
    assert_eq!(u.uid_map, b"0 100000 65536\n");
    assert!(u.root_mapped && !u.deny_setgroups);
    assert_eq!(p.idmap_count, 2);

    let mut no_maps = mapped_plan();
    no_maps.user_ns = None;
    let e = prepare(&no_maps, 40).unwrap_err().to_string();
    assert!(e.contains("needs userNs"), "{e}");

    let mut maps_only = sample_plan();
    maps_only.user_ns = mapped_plan().user_ns;
    assert!(prepare(&maps_only, 40).is_err());

    let mut zero = mapped_plan();
    zero.user_ns.as_mut().unwrap().gid_map = vec![range(0, 100000, 0)];
    assert!(prepare(&zero, 40)
        .unwrap_err()
        .to_string()
        .contains("out of range"));
    let mut wraps = mapped_plan();
    wraps.user_ns.as_mut().unwrap().uid_map = vec![range(0, u32::MAX - 10, 65536)];
    assert!(prepare(&wraps, 40).is_err());

    let mut no_root = mapped_plan();
    no_root.user_ns.as_mut().unwrap().uid_map = vec![range(1000, 100000, 1)];
    assert!(!prepare(&no_root, 40).unwrap().user_ns.unwrap().root_mapped);
}

#[test]
fn only_binds_and_the_image_can_be_id_mapped_and_only_with_a_user_namespace() {
    let mut not_bind = mapped_plan();
    not_bind.ops[0].idmap = Some(true); // the tmpfs
    assert!(prepare(&not_bind, 40)
        .unwrap_err()
        .to_string()
        .contains("idmap"));

    let mut without_ns = sample_plan();
    without_ns.ops[2].idmap = Some(true);
    let e = prepare(&without_ns, 40).unwrap_err().to_string();
    assert!(e.contains("needs a new user namespace"), "{e}");

    let mut many = mapped_plan();
    for i in 0..16 {
        many.ops.push(FsOp {
            kind: "mount".into(),
            source: Some("/data".into()),
            target: format!("/run/lite/t/root/d{i}"),
            flags: libc::MS_BIND as u32,
            idmap: Some(true),
            ..Default::default()
        });
    }
    assert!(prepare(&many, 40)
        .unwrap_err()
        .to_string()
        .contains("at most 16"));
}

#[test]
fn exec_joins_the_user_namespace_first() {
    let mut plan = sample_plan();
    plan.ops.clear();
    plan.namespaces.push("user".into());
    plan.join_pid = Some(42);
    let p = prepare(&plan, 40).unwrap();
    assert_eq!(p.join_kinds.first(), Some(&"user"));
    assert_eq!(p.clone_flags, 0);
    assert!(p.user_ns.is_none());
    assert!(!p.setgroups_denied);
}

#[test]
fn exec_into_a_rootless_container_keeps_its_groups() {
    let mut plan = sample_plan();
    plan.ops.clear();
    plan.groups.clear();
    plan.namespaces.push("user".into());
    plan.join_pid = Some(42);
    plan.join_setgroups_denied = Some(true);
    let p = prepare(&plan, 40).unwrap();
    assert!(p.setgroups_denied);
    let sys = RecordingSys::default();
    assert_eq!(run(&p, &sys, FDS), Outcome::Exec);
    let calls = sys.calls();
    assert!(
        !calls.iter().any(|c| c.starts_with("setgroups")),
        "setgroups is denied there: {calls:#?}"
    );
}

#[test]
fn the_child_takes_the_mount_fds_with_go_becomes_root_inside_and_moves_them_into_place() {
    let sys = RecordingSys::default();
    sys.set_go_fds(2);
    let mut p = prepare(&mapped_plan(), 40).unwrap();
    p.loop_device = Some(c"/dev/loop7".into());
    assert_eq!(run(&p, &sys, FDS), Outcome::Exec);
    let calls = sys.calls();
    let at = |prefix: &str| pos_prefix(&calls, prefix);
    assert!(at("recv_with_fds 3 18") < at("setresgid 0"));
    assert!(at("setresgid 0") < at("setresuid 0"));
    assert!(
        at("setresuid 0") < at("mount tmpfs"),
        "root inside before the first mount"
    );
    // The image and the bind come from the fds, in op order, not from mount(2).
    assert!(at("move_mount 300") < at("move_mount 301"));
    assert!(!calls
        .iter()
        .any(|c| c.starts_with("mount /dev/loop7") || c.starts_with("mount /data")));
    assert!(calls.iter().any(|c| c == "close 300") && calls.iter().any(|c| c == "close 301"));
    // The app's own ids come later, as always.
    assert!(calls.iter().any(|c| c == "setresuid 1000"));
}

#[test]
fn go_without_every_mount_fd_is_a_protocol_failure() {
    let sys = RecordingSys::default();
    sys.set_go_fds(1);
    let mut p = prepare(&mapped_plan(), 40).unwrap();
    p.loop_device = Some(c"/dev/loop7".into());
    assert_eq!(
        run(&p, &sys, FDS),
        Outcome::Failed(ChildReport {
            step: Step::WaitGo,
            index: 1,
            errno: libc::EPROTO
        })
    );
}

#[test]
fn a_failed_move_names_the_op() {
    let sys = RecordingSys::default();
    sys.set_go_fds(2);
    sys.fail_nth("move_mount", 1, libc::EPERM);
    let mut p = prepare(&mapped_plan(), 40).unwrap();
    p.loop_device = Some(c"/dev/loop7".into());
    assert_eq!(
        run(&p, &sys, FDS),
        Outcome::Failed(ChildReport {
            step: Step::FsOp,
            index: 3,
            errno: libc::EPERM
        })
    );
}

fn mounts_of(plan: &Plan) -> (crate::plan::PreparedUserNs, Vec<crate::userns::IdmapMount>) {
    let mut p = prepare(plan, 40).unwrap();
    p.loop_device = Some(c"/dev/loop7".into());
    (p.user_ns.clone().unwrap(), idmap_mounts(&p).unwrap())
}

#[test]
fn lite_writes_the_maps_then_makes_each_id_mapped_mount() {
    let (u, mounts) = mounts_of(&mapped_plan());
    assert_eq!(
        mounts[0].source,
        IdmapSource::Device {
            fstype: c"squashfs".into(),
            device: c"/dev/loop7".into()
        }
    );
    assert_eq!(mounts[0].attrs, 0x1 | 0x4, "read-only, nodev");
    let sys = RecordingSys::default();
    let fds = set_up(&sys, 77, &u, &mounts, None).unwrap();
    assert_eq!(fds.len(), 2);
    let calls = sys.calls();
    let expected_prefixes = [
        "open /proc/77/uid_map",
        "write 100 \"0 100000 65536\\n\"",
        "open /proc/77/gid_map",
        "open /proc/77/ns/user",
        "fsopen squashfs",
        "fsconfig 210 source=/dev/loop7",
        "fsconfig 210 ro",
        "fsconfig 210 create",
        "fsmount 210 0x5",
        "mount_setattr 211 false 0x100005 100",
        "open_tree /data false",
        "mount_setattr 200 false 0x100000 100",
    ];
    let mut at = 0;
    for want in expected_prefixes {
        let found = calls[at..]
            .iter()
            .position(|c| c.starts_with(want))
            .unwrap_or_else(|| panic!("no {want} after {at} in {calls:#?}"));
        at += found + 1;
    }
    assert!(
        !calls.iter().any(|c| c.contains("setgroups")),
        "root keeps setgroups"
    );

    let mut rootless = mapped_plan();
    rootless.user_ns.as_mut().unwrap().deny_setgroups = Some(true);
    let (u, _) = mounts_of(&rootless);
    let sys = RecordingSys::default();
    set_up(&sys, 77, &u, &[], None).unwrap();
    let calls = sys.calls();
    assert!(calls[0].starts_with("open /proc/77/setgroups") && calls[1].contains("deny"));
    assert_eq!(calls[2], "close 100");
    assert!(calls[3].starts_with("open /proc/77/uid_map"));
}

#[test]
fn a_kernel_without_id_mapped_mounts_gets_an_error_that_says_so_and_nothing_stays_open() {
    let (u, mounts) = mounts_of(&mapped_plan());
    for (call, errno, says) in [
        ("open_tree", libc::ENOSYS, "Linux 5.12"),
        ("fsopen", libc::ENOSYS, "Linux 5.12"),
        ("mount_setattr", libc::ENOSYS, "Linux 5.12"),
        ("mount_setattr", libc::EINVAL, "squashfs 6.2"),
        ("fsmount", libc::EPERM, "fsmount: Operation not permitted"),
    ] {
        let sys = RecordingSys::default();
        sys.fail_all(call, errno);
        let e = set_up(&sys, 77, &u, &mounts, None).unwrap_err();
        assert_eq!(e.code(), "UserNs");
        let text = e.to_string();
        assert!(text.contains(says), "{call} {errno}: {text}");
        assert!(text.starts_with("cannot id-map "), "{text}");
        // Every fd opened along the way is closed again: the user namespace (100) and
        // any mount made before the failure.
        let calls = sys.calls();
        assert!(calls.iter().any(|c| c == "close 100"), "{calls:#?}");
        if call == "open_tree" {
            assert!(calls.iter().any(|c| c == "close 211"), "{calls:#?}");
        }
    }
    let sys = RecordingSys::default();
    sys.fail_nth("write", 0, libc::EPERM);
    let e = set_up(&sys, 77, &u, &mounts, None).unwrap_err().to_string();
    assert!(
        e.contains("uid_map") && e.contains("Operation not permitted"),
        "{e}"
    );
}

#[test]
fn the_host_uid_of_container_root_makes_the_user_namespace_not_lite() {
    let p = prepare(&mapped_plan(), 40).unwrap();
    assert_eq!(p.user_ns_owner, Some((100000, 100000)));
    let sys = RecordingSys::default();
    sys.set_go_fds(2);
    let mut p = p;
    p.loop_device = Some(c"/dev/loop7".into());
    assert_eq!(run(&p, &sys, FDS), Outcome::Exec);
    let calls = sys.calls();
    let at = |call: &str| pos(&calls, call);
    let clone = format!("clone_sibling {:#x}", p.clone_flags);
    assert_ne!(p.clone_flags & libc::CLONE_NEWUSER as u64, 0);
    // Root, in its cgroups, becomes the owner (keeping its caps), then clones.
    assert!(at("setgroups []") < at("setresgid 100000"));
    assert!(at("setresgid 100000") < at("setresuid 100000"));
    assert!(at("setresuid 100000") < at(&clone));
    assert!(calls[at(&clone) - 1].starts_with("capset"));
    // The sibling, lite's child, asks to die with lite, then waits for GO.
    assert_eq!(
        calls[at(&clone) + 1],
        format!("prctl {} 9", libc::PR_SET_PDEATHSIG)
    );
    assert!(at(&clone) < at("recv_with_fds 3 18"));

    // The first child hands the sibling's pid to lite and is done.
    let first = RecordingSys::default();
    first.set_fork_result(4242);
    assert_eq!(run(&p, &first, FDS), Outcome::Exit(0));
    assert!(first.calls().iter().any(|c| c.starts_with("write 3")));

    let failing = RecordingSys::default();
    failing.fail_all("clone_sibling", libc::EPERM);
    assert_eq!(
        run(&p, &failing, FDS),
        Outcome::Failed(ChildReport {
            step: Step::JoinNs,
            index: 98,
            errno: libc::EPERM
        })
    );
}

#[test]
fn a_joined_user_namespace_owns_the_new_namespaces_made_after_joining_it() {
    let mut plan = sample_plan();
    plan.join_ns = Some(vec![crate::plan::NamespaceJoin {
        kind: "user".into(),
        fd: 20,
    }]);
    let p = prepare(&plan, 40).unwrap();
    assert!(p.clone_in_sibling && p.user_ns_owner.is_none() && p.user_ns.is_none());
    let sys = RecordingSys::default();
    assert_eq!(run(&p, &sys, FDS), Outcome::Exec);
    let calls = sys.calls();
    let clone = format!("clone_sibling {:#x}", p.clone_flags);
    assert!(pos(&calls, &format!("setns 20 {:#x}", libc::CLONE_NEWUSER)) < pos(&calls, &clone));
    assert!(
        !calls.iter().any(|c| c == "setresuid 100000"),
        "no id change"
    );
    // After GO it becomes root in the joined namespace, before the first mount: host
    // root is no id there, and devpts or a tmpfs root would be EOVERFLOW.
    let go = pos(&calls, &format!("read {}", FDS.sock));
    assert!(
        go < pos(&calls, "setresgid 0") && pos(&calls, "setresgid 0") < pos(&calls, "setresuid 0")
    );
    assert!(pos(&calls, "setresuid 0") < pos_prefix(&calls, "mount "));

    // Joining only a user namespace, with no new one: nothing to clone again.
    let mut only = plan.clone();
    only.namespaces.clear();
    only.ops.clear();
    only.mount_private = Some(false);
    only.root_entry = Some("chroot".into());
    assert!(!prepare(&only, 40).unwrap().clone_in_sibling);
}

#[test]
fn a_bind_remount_in_a_user_namespace_keeps_the_flags_the_kernel_locked() {
    let mut plan = mapped_plan();
    plan.ops.push(FsOp {
        kind: "mount".into(),
        target: "/etc/hostname".into(),
        resolve: Some("root".into()),
        flags: (libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY) as u32,
        ..Default::default()
    });
    let mut p = prepare(&plan, 40).unwrap();
    p.loop_device = Some(c"/dev/loop7".into());
    let sys = RecordingSys::default();
    sys.set_go_fds(2);
    assert_eq!(run(&p, &sys, FDS), Outcome::Exec);
    let want = libc::MS_REMOUNT
        | libc::MS_BIND
        | libc::MS_RDONLY
        | libc::MS_NOSUID
        | libc::MS_NODEV
        | libc::MS_RELATIME;
    let calls = sys.calls();
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("mount ") && c.contains(&format!("{want:#x}"))),
        "{calls:#?}"
    );
    // Without a user namespace, the op's flags as they are.
    let mut plain = sample_plan();
    plain.ops.push(plan.ops.last().unwrap().clone());
    let sys = RecordingSys::default();
    assert_eq!(run(&prepare(&plain, 40).unwrap(), &sys, FDS), Outcome::Exec);
    assert!(!sys.calls().iter().any(|c| c.starts_with("fstatfs_flags")));
}

#[test]
fn rootless_lite_makes_the_user_namespace_itself_and_sets_no_groups() {
    let mut plan = mapped_plan();
    // What a rootless run plans: its own ids only, nothing id-mapped, no groups.
    plan.user_ns = Some(UserNsPlan {
        uid_map: vec![range(0, 1000, 1)],
        gid_map: vec![range(0, 1000, 1)],
        deny_setgroups: Some(true),
        maps_by_helper: None,
    });
    plan.ops.retain(|op| op.idmap.is_none());
    plan.loop_image = None;
    plan.groups.clear();
    plan.uid = 0;
    plan.gid = 0;
    let p = prepare(&plan, 40).unwrap();
    assert_eq!(
        p.user_ns_owner, None,
        "no id change: lite is the user already"
    );
    assert!(!p.clone_in_sibling, "the first clone makes every namespace");
    assert_ne!(p.clone_flags & libc::CLONE_NEWUSER as u64, 0);
    let sys = RecordingSys::default();
    assert_eq!(run(&p, &sys, FDS), Outcome::Exec);
    let calls = sys.calls();
    assert!(!calls.iter().any(|c| c.starts_with("clone_sibling")));
    assert!(
        !calls.iter().any(|c| c.starts_with("setgroups")),
        "setgroups is denied: {calls:#?}"
    );
    assert!(calls.iter().any(|c| c == "setresuid 0"));
    // lite, no root, writes the maps while the child waits for GO: the child's /proc
    // files stay the user's (dumpable) until then.
    let not_dumpable = format!("prctl {} 0", libc::PR_SET_DUMPABLE);
    assert!(pos(&calls, &format!("read {}", FDS.sock)) < pos(&calls, &not_dumpable));
}

#[test]
fn rootless_with_subordinate_ids_leaves_the_maps_to_newuidmap() {
    let mut plan = mapped_plan();
    plan.user_ns = Some(UserNsPlan {
        uid_map: vec![range(0, 1000, 1), range(1, 100_000, 65_535)],
        gid_map: vec![range(0, 1000, 1), range(1, 100_000, 65_535)],
        deny_setgroups: None,
        maps_by_helper: Some(true),
    });
    plan.ops.retain(|op| op.idmap.is_none());
    plan.loop_image = None;
    let p = prepare(&plan, 40).unwrap();
    assert!(p.user_ns_owner.is_none() && !p.clone_in_sibling && !p.setgroups_denied);
    let sys = RecordingSys::default();
    write_maps(&sys, 42, p.user_ns.as_ref().unwrap()).unwrap();
    assert!(
        sys.calls().is_empty(),
        "lite writes no map: {:?}",
        sys.calls()
    );
    let sys = RecordingSys::default();
    assert_eq!(run(&p, &sys, FDS), Outcome::Exec);
    let calls = sys.calls();
    let not_dumpable = format!("prctl {} 0", libc::PR_SET_DUMPABLE);
    assert!(pos(&calls, &format!("read {}", FDS.sock)) < pos(&calls, &not_dumpable));
    assert!(
        calls.iter().any(|c| c.starts_with("setgroups")),
        "setgroups is allowed"
    );
}

/// An OCI bundle's plan: the root bound onto itself (no source), in a new user namespace.
fn self_bound_root_plan() -> Plan {
    let mut plan = sample_plan();
    plan.namespaces.push("user".into());
    plan.user_ns = mapped_plan().user_ns;
    plan.ops.insert(
        0,
        FsOp {
            kind: "mount".into(),
            target: plan.new_root.clone(),
            flags: (libc::MS_BIND | libc::MS_REC) as u32,
            ..Default::default()
        },
    );
    plan
}

#[test]
fn lite_hands_over_the_root_only_where_it_is_root_and_pivots() {
    let p = prepare(&self_bound_root_plan(), 40).unwrap();
    assert_eq!(p.root_tree_op, Some(0));
    let tree = root_tree(&p).unwrap();
    assert_eq!(tree.path.as_c_str(), c"/run/lite/t/root");
    assert!(tree.recursive);

    // Rootless: lite could not clone a tree (no CAP_SYS_ADMIN in the host's namespace).
    let mut rootless = self_bound_root_plan();
    rootless.user_ns.as_mut().unwrap().deny_setgroups = Some(true);
    assert_eq!(prepare(&rootless, 40).unwrap().root_tree_op, None);
    // No user namespace: the child reaches the root by path as lite would.
    let mut no_userns = self_bound_root_plan();
    no_userns.user_ns = None;
    no_userns.namespaces.retain(|n| n != "user");
    assert_eq!(prepare(&no_userns, 40).unwrap().root_tree_op, None);
    // chroot entry (no pivot_root): left to the path.
    let mut chroot = self_bound_root_plan();
    chroot.root_entry = Some("chroot".into());
    assert_eq!(prepare(&chroot, 40).unwrap().root_tree_op, None);
}

#[test]
fn lite_clones_the_root_and_opens_its_mount_point_through_the_childs_root() {
    let p = prepare(&self_bound_root_plan(), 40).unwrap();
    let (u, tree) = (p.user_ns.clone().unwrap(), root_tree(&p).unwrap());
    let sys = RecordingSys::default();
    let fds = set_up(&sys, 77, &u, &[], Some(&tree)).unwrap();
    let calls = sys.calls();
    let at = |prefix: &str| pos_prefix(&calls, prefix);
    assert!(at("open /proc/77/gid_map") < at("open_tree /run/lite/t/root true"));
    assert!(at("open_tree") < at("open /proc/77/root/run/lite/t/root 0x290000"));
    assert_eq!(fds.len(), 2);
    assert_eq!(fds[0], 200, "the tree first, then its mount point");

    // A kernel before 5.2: nothing to hand over, the child binds by path.
    let old = RecordingSys::default();
    old.fail_all("open_tree", libc::ENOSYS);
    assert_eq!(
        set_up(&old, 77, &u, &[], Some(&tree)).unwrap(),
        Vec::<i32>::new()
    );

    // The mount point can't be opened: the tree is closed, the error names the path.
    let gone = RecordingSys::default();
    gone.fail_nth("open", 2, libc::ENOENT);
    let e = set_up(&gone, 77, &u, &[], Some(&tree))
        .unwrap_err()
        .to_string();
    assert!(e.contains("/proc/77/root/run/lite/t/root"), "{e}");
    assert!(gone.calls().iter().any(|c| c == "close 200"));
}

#[test]
fn the_child_attaches_the_root_tree_makes_it_private_and_enters_it_by_fd() {
    let sys = RecordingSys::default();
    sys.set_go_fds(2);
    let p = prepare(&self_bound_root_plan(), 40).unwrap();
    assert_eq!(run(&p, &sys, FDS), Outcome::Exec);
    let calls = sys.calls();
    let at = |prefix: &str| pos(&calls, prefix);
    // fds 300 (the tree) and 301 (its mount point) came with GO; the fake names an fd
    // it did not open "/".
    assert!(at("move_mount 300 301") < at("close 301"));
    assert!(at("close 301") < at("fchdir /"));
    assert!(
        at("fchdir /") < at("mount - . - 0x84000 -"),
        "no longer the host's peer"
    );
    assert!(
        at("mount - . - 0x84000 -") < at("mount - . - 0x44000 -"),
        "then the plan's propagation: private"
    );
    assert!(at("mount - . - 0x44000 -") < at("mount tmpfs /run/lite/t/layers tmpfs 0x0 size=16m"));
    assert!(
        !calls
            .iter()
            .any(|c| c.starts_with("mount - /run/lite/t/root")
                || c.starts_with("open /run/lite/t/root ")
                || c == "chdir /run/lite/t/root"),
        "no path lookup of the root: {calls:#?}"
    );
    // Entered through the tree's fd, which closes before pivot_root.
    assert_eq!(calls[at("close 300") - 1], "fchdir /");
    assert!(at("close 300") < at("pivot_root . ."));
}

#[test]
fn the_root_tree_waits_for_its_own_op() {
    let mut plan = self_bound_root_plan();
    let first = plan.ops.remove(0);
    plan.ops.insert(1, first);
    let p = prepare(&plan, 40).unwrap();
    assert_eq!(p.root_tree_op, Some(1));
    let sys = RecordingSys::default();
    sys.set_go_fds(2);
    assert_eq!(run(&p, &sys, FDS), Outcome::Exec);
    let calls = sys.calls();
    assert!(pos_prefix(&calls, "mount tmpfs") < pos(&calls, "move_mount 300 301"));
}

#[test]
fn without_the_root_tree_the_child_binds_the_root_by_path() {
    let sys = RecordingSys::default();
    sys.set_go_fds(0);
    let p = prepare(&self_bound_root_plan(), 40).unwrap();
    assert_eq!(run(&p, &sys, FDS), Outcome::Exec);
    let calls = sys.calls();
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("mount /run/lite/t/root /run/lite/t/root")),
        "{calls:#?}"
    );
    assert!(calls.iter().any(|c| c == "chdir /run/lite/t/root"));
    assert!(!calls.iter().any(|c| c.starts_with("move_mount")));

    let one = RecordingSys::default();
    one.set_go_fds(1);
    assert_eq!(
        run(&p, &one, FDS),
        Outcome::Failed(ChildReport {
            step: Step::WaitGo,
            index: 1,
            errno: libc::EPROTO
        })
    );
}
