//! lite's half of a container's user namespace, between clone and GO (runc's order):
//! "deny" to setgroups when asked, uid_map, gid_map; then the id-mapped mounts that the
//! child cannot make itself (a squashfs can't be mounted inside a user namespace, and
//! an id-mapped mount needs the namespace's fd), sent to it with GO.
//!
//! Each id-mapped mount is detached: open_tree(OPEN_TREE_CLONE) of a bind source, or
//! fsopen/fsmount of the image's loop device, then mount_setattr(MOUNT_ATTR_IDMAP). Whether
//! a filesystem can be id-mapped depends on the kernel and the filesystem (ext4 and xfs
//! 5.12, btrfs 5.15, erofs 5.19, squashfs 6.2, tmpfs 6.3): lite asks the kernel, and an
//! EINVAL means "not this one".

use std::ffi::CString;

use libc::c_int;

use crate::error::{Error, Result};
use crate::plan::{Prepared, PreparedUserNs};
use crate::sys::{
    Errno, Sys, MOUNT_ATTR_IDMAP, MOUNT_ATTR_NODEV, MOUNT_ATTR_NOEXEC, MOUNT_ATTR_NOSUID,
    MOUNT_ATTR_RDONLY,
};

/// Where an id-mapped mount comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdmapSource {
    /// A bind of this host path (lite's rootfs directory, a [mount] source).
    Tree { path: CString, recursive: bool },
    /// A new superblock of the image on its loop device.
    Device { fstype: CString, device: CString },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdmapMount {
    /// The plan op it is for (errors name it).
    pub op: usize,
    pub source: IdmapSource,
    /// MOUNT_ATTR_* from the op's MS_* flags (read-only, nosuid, nodev, noexec).
    pub attrs: u64,
}

/// The id-mapped mounts a prepared plan asks for, in op order (the child takes the fds
/// in that order). Taken before clone: the child's copy of `Prepared` is its own.
pub fn idmap_mounts(p: &Prepared) -> Result<Vec<IdmapMount>> {
    let mut out = Vec::new();
    for (i, op) in p.ops.iter().enumerate().filter(|(_, op)| op.idmap) {
        let f = op.flags;
        let mut attrs = 0;
        for (ms, attr) in [
            (libc::MS_RDONLY, MOUNT_ATTR_RDONLY),
            (libc::MS_NOSUID, MOUNT_ATTR_NOSUID),
            (libc::MS_NODEV, MOUNT_ATTR_NODEV),
            (libc::MS_NOEXEC, MOUNT_ATTR_NOEXEC),
        ] {
            if f & ms != 0 {
                attrs |= attr;
            }
        }
        let source = if op.uses_loop {
            let (Some(fstype), Some(device)) = (&op.fstype, &p.loop_device) else {
                return Err(Error::InvalidPlan(format!(
                    "ops[{i}]: an id-mapped image needs its fstype and loop device"
                )));
            };
            IdmapSource::Device {
                fstype: fstype.clone(),
                device: device.clone(),
            }
        } else {
            let Some(path) = &op.source else {
                return Err(Error::InvalidPlan(format!("ops[{i}]: no source to id-map")));
            };
            IdmapSource::Tree {
                path: path.clone(),
                recursive: f & libc::MS_REC != 0,
            }
        };
        out.push(IdmapMount {
            op: i,
            source,
            attrs,
        });
    }
    Ok(out)
}

fn proc_file(pid: libc::pid_t, name: &str) -> CString {
    CString::new(format!("/proc/{pid}/{name}")).expect("no NUL")
}

fn write_proc<S: Sys>(sys: &S, pid: libc::pid_t, name: &str, data: &[u8]) -> Result<()> {
    let path = proc_file(pid, name);
    let fd = sys
        .open(&path, libc::O_WRONLY | libc::O_CLOEXEC, 0)
        .map_err(|Errno(e)| user_ns_error(format!("open {}", path.to_string_lossy()), e))?;
    // Each map must go in one write.
    let r = sys.write(fd, data);
    let _ = sys.close(fd);
    match r {
        Ok(n) if n == data.len() => Ok(()),
        Ok(_) => Err(user_ns_error(
            format!("write {}: short write", path.to_string_lossy()),
            libc::EIO,
        )),
        Err(Errno(e)) => Err(user_ns_error(
            format!(
                "write {:?} to {}",
                String::from_utf8_lossy(data).trim_end(),
                path.to_string_lossy()
            ),
            e,
        )),
    }
}

fn user_ns_error(what: String, errno: i32) -> Error {
    Error::UserNs(format!(
        "{what}: {}",
        std::io::Error::from_raw_os_error(errno)
    ))
}

/// Writes the maps of the child's new user namespace.
pub fn write_maps<S: Sys>(sys: &S, pid: libc::pid_t, u: &PreparedUserNs) -> Result<()> {
    if u.maps_by_helper {
        return Ok(());
    }
    if u.deny_setgroups {
        write_proc(sys, pid, "setgroups", b"deny")?;
    }
    write_proc(sys, pid, "uid_map", &u.uid_map)?;
    write_proc(sys, pid, "gid_map", &u.gid_map)
}

/// Why an id-mapped mount could not be made, in the words a user needs.
fn idmap_error(m: &IdmapMount, call: &str, errno: i32) -> Error {
    let what = match &m.source {
        IdmapSource::Tree { path, .. } => path.to_string_lossy().into_owned(),
        IdmapSource::Device { fstype, device } => format!(
            "the {} image on {}",
            fstype.to_string_lossy(),
            device.to_string_lossy()
        ),
    };
    let why = match (call, errno) {
        (_, libc::ENOSYS) => {
            "this kernel has no id-mapped mounts (open_tree, fsmount and mount_setattr: Linux 5.12 or later)".to_string()
        }
        ("mount_setattr", libc::EINVAL) => {
            "this kernel can't id-map that filesystem (ext4 and xfs need Linux 5.12, btrfs 5.15, erofs 5.19, squashfs 6.2, tmpfs 6.3)".to_string()
        }
        _ => format!("{call}: {}", std::io::Error::from_raw_os_error(errno)),
    };
    Error::UserNs(format!(
        "cannot id-map {what} for the user namespace (plan op {}): {why}",
        m.op
    ))
}

/// One detached, id-mapped mount (a CLOEXEC fd the caller owns), ready for the child's
/// move_mount.
pub fn make_idmapped<S: Sys>(sys: &S, m: &IdmapMount, userns_fd: c_int) -> Result<c_int> {
    let (fd, recursive) = match &m.source {
        IdmapSource::Tree { path, recursive } => (
            sys.open_tree_clone(path, *recursive)
                .map_err(|Errno(e)| idmap_error(m, "open_tree", e))?,
            *recursive,
        ),
        IdmapSource::Device { fstype, device } => {
            let ctx = sys
                .fsopen(fstype)
                .map_err(|Errno(e)| idmap_error(m, "fsopen", e))?;
            // Read-only: the loop device is attached read-only, and a superblock that
            // is not "ro" would open it for writing.
            let mounted = sys
                .fsconfig_string(ctx, c"source", device)
                .and_then(|()| sys.fsconfig_flag(ctx, c"ro"))
                .and_then(|()| sys.fsconfig_create(ctx))
                .and_then(|()| sys.fsmount(ctx, m.attrs & !MOUNT_ATTR_IDMAP));
            let _ = sys.close(ctx);
            (
                mounted.map_err(|Errno(e)| idmap_error(m, "fsmount", e))?,
                false,
            )
        }
    };
    match sys.mount_setattr(fd, recursive, MOUNT_ATTR_IDMAP | m.attrs, userns_fd) {
        Ok(()) => Ok(fd),
        Err(Errno(e)) => {
            let _ = sys.close(fd);
            Err(idmap_error(m, "mount_setattr", e))
        }
    }
}

/// The container's root as lite hands it to a child in a new user namespace (see
/// plan::root_tree_op): a detached clone of the tree at `path`, and its mount point as
/// the child's mount namespace sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootTree {
    pub path: CString,
    pub recursive: bool,
}

/// The root tree a prepared plan asks lite for (taken before clone, as idmap_mounts is).
pub fn root_tree(p: &Prepared) -> Option<RootTree> {
    p.root_tree_op.map(|i| RootTree {
        path: p.new_root.clone(),
        recursive: p.ops[i].flags & libc::MS_REC != 0,
    })
}

/// The root's tree and its mount point in the child's mount namespace (reached through
/// /proc/PID/root by lite, host root, where the child's mapped root could not search
/// the directories above it). None on a kernel before 5.2 (no open_tree): the child
/// then binds the root by path, as before.
fn clone_root_tree<S: Sys>(
    sys: &S,
    pid: libc::pid_t,
    r: &RootTree,
) -> Result<Option<(c_int, c_int)>> {
    let tree = match sys.open_tree_clone(&r.path, r.recursive) {
        Ok(fd) => fd,
        Err(Errno(libc::ENOSYS)) => return Ok(None),
        Err(Errno(e)) => {
            return Err(user_ns_error(
                format!("open_tree {}", r.path.to_string_lossy()),
                e,
            ))
        }
    };
    let mut at = format!("/proc/{pid}/root").into_bytes();
    at.extend_from_slice(r.path.to_bytes());
    let at = CString::new(at).expect("no NUL");
    match sys.open(&at, libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC, 0) {
        Ok(target) => Ok(Some((tree, target))),
        Err(Errno(e)) => {
            let _ = sys.close(tree);
            Err(user_ns_error(format!("open {}", at.to_string_lossy()), e))
        }
    }
}

/// The whole step for a child that waits for GO: its maps, then its id-mapped mounts
/// (the fds to send with GO, in op order) and the root's tree with its mount point when
/// `root` asks for it. The caller owns the fds; on an error none is left open.
pub fn set_up<S: Sys>(
    sys: &S,
    pid: libc::pid_t,
    u: &PreparedUserNs,
    mounts: &[IdmapMount],
    root: Option<&RootTree>,
) -> Result<Vec<c_int>> {
    write_maps(sys, pid, u)?;
    let mut fds = Vec::with_capacity(mounts.len() + 2);
    let close_all = |fds: Vec<c_int>| {
        for fd in fds {
            let _ = sys.close(fd);
        }
    };
    if !mounts.is_empty() {
        let ns = proc_file(pid, "ns/user");
        let userns = sys
            .open(&ns, libc::O_RDONLY | libc::O_CLOEXEC, 0)
            .map_err(|Errno(e)| user_ns_error(format!("open {}", ns.to_string_lossy()), e))?;
        for m in mounts {
            match make_idmapped(sys, m, userns) {
                Ok(fd) => fds.push(fd),
                Err(e) => {
                    close_all(fds);
                    let _ = sys.close(userns);
                    return Err(e);
                }
            }
        }
        let _ = sys.close(userns);
    }
    if let Some(r) = root {
        match clone_root_tree(sys, pid, r) {
            Ok(Some((tree, target))) => fds.extend([tree, target]),
            Ok(None) => {}
            Err(e) => {
                close_all(fds);
                return Err(e);
            }
        }
    }
    Ok(fds)
}
