//! OCI layers applied onto a staging tree (DESIGN.md §11): a layer blob is decompressed
//! (decompress.rs), read as a tar stream (tar.rs) and applied in place (unpack.rs), with
//! whiteouts, hard links, owners, modes, mtimes and xattrs, and every path resolved
//! inside the staging root with no symlink on the way (resolve.rs).

pub mod decompress;
pub mod squashfs;
pub mod tar;
pub mod unpack;

use std::fmt;

pub use decompress::Compression;
pub use unpack::unpack_layer;

/// The default bound on a layer's entries.
pub const DEFAULT_MAX_ENTRIES: u64 = 1_000_000;

#[derive(Clone, Debug)]
pub struct UnpackOptions {
    /// None: sniff the blob's magic.
    pub compression: Option<Compression>,
    /// Create char and block devices; otherwise they are skipped and counted.
    pub allow_devices: bool,
    /// Uncompressed tar bytes at most.
    pub max_bytes: u64,
    pub max_entries: u64,
}

impl UnpackOptions {
    /// "gzip", "zstd", "none" or "auto".
    pub fn parse_compression(s: &str) -> Result<Option<Compression>, UnpackError> {
        match s {
            "gzip" => Ok(Some(Compression::Gzip)),
            "zstd" => Ok(Some(Compression::Zstd)),
            "none" => Ok(Some(Compression::None)),
            "auto" => Ok(None),
            other => Err(UnpackError::BadOption(format!(
                "unknown compression {other:?} (gzip, zstd, none or auto)"
            ))),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnpackSummary {
    /// "sha256:<hex>" of the uncompressed tar stream.
    pub diff_id: String,
    pub entries: u64,
    /// File data written.
    pub bytes: u64,
    pub skipped_devices: u64,
}

/// Why an entry is refused: the layer is unsafe or malformed, and nothing of it counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// `..` above the root.
    LeavesImage,
    /// A component on the way is a symlink. `planted`: this layer made it.
    SymlinkOnPath {
        component: String,
        planted: bool,
    },
    NotADirectory {
        component: String,
    },
    /// The root itself as something other than a directory.
    RootNotDirectory,
    PathTooLong,
    /// A NUL, or an empty name where one is needed.
    BadName,
    /// A whiteout's name that is not one component (`.wh.`, `.wh..`).
    BadWhiteout,
    HardLinkTarget {
        target: String,
        why: &'static str,
    },
    BadSymlinkTarget,
    IdOutOfRange,
    /// The directory tree to remove (replaced or whited out) is deeper than this.
    TreeTooDeep(u32),
    /// An xattr the staging tree's file system cannot hold (ext4 keeps one inode's
    /// xattrs in a block; any file system takes at most 64 KiB for a value).
    XattrTooLarge {
        name: String,
        bytes: usize,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::LeavesImage => write!(f, "the path leaves the image"),
            Refusal::SymlinkOnPath { component, planted } => write!(
                f,
                "{component:?} is a symbolic link {}",
                if *planted {
                    "planted by the layer"
                } else {
                    "from a lower layer"
                }
            ),
            Refusal::NotADirectory { component } => {
                write!(f, "{component:?} is not a directory")
            }
            Refusal::RootNotDirectory => write!(f, "the image's root must be a directory"),
            Refusal::PathTooLong => write!(f, "the path is longer than 4095 bytes"),
            Refusal::BadName => write!(f, "the name is empty or holds a NUL byte"),
            Refusal::BadWhiteout => write!(f, "the whiteout names no file"),
            Refusal::HardLinkTarget { target, why } => {
                write!(f, "hard link to {target:?}: {why}")
            }
            Refusal::BadSymlinkTarget => {
                write!(
                    f,
                    "the symbolic link's target is empty, too long or holds a NUL"
                )
            }
            Refusal::IdOutOfRange => write!(f, "the owner's uid or gid is out of range"),
            Refusal::TreeTooDeep(max) => write!(
                f,
                "the directory tree it removes is more than {max} levels deep"
            ),
            Refusal::XattrTooLarge { name, bytes } => write!(
                f,
                "its xattr {name:?} ({bytes} bytes) is more than the store's file system holds for one file"
            ),
        }
    }
}

#[derive(Debug)]
pub enum UnpackError {
    BadOption(String),
    /// Opening the blob or the staging dir.
    Open {
        what: &'static str,
        path: String,
        errno: i32,
    },
    Refused {
        entry: String,
        why: Refusal,
    },
    /// A syscall failed while applying an entry.
    Os {
        entry: String,
        what: &'static str,
        errno: i32,
    },
    /// Uncompressed bytes over `max_bytes`.
    TooLarge {
        max: u64,
    },
    TooManyEntries {
        max: u64,
    },
    /// The directories' paths, kept to set their mtimes at the end, take too much memory.
    TooManyDirectories {
        max_bytes: u64,
    },
    /// The decompression thread could not start.
    Thread {
        errno: i32,
    },
    /// The blob could not be read.
    BlobRead {
        errno: i32,
    },
    /// Invalid compressed data.
    Corrupt {
        format: &'static str,
        offset: u64,
        detail: String,
    },
    /// A malformed tar stream (tar.rs's message).
    Tar(String),
    /// A bug of the unpacker (a panic caught at the N-API layer).
    Internal(String),
}

impl UnpackError {
    /// The JS `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            UnpackError::BadOption(_) => "InvalidArg",
            UnpackError::Open { .. }
            | UnpackError::Os { .. }
            | UnpackError::BlobRead { .. }
            | UnpackError::Thread { .. } => "Os",
            UnpackError::Refused { .. } => "LayerRefused",
            UnpackError::TooLarge { .. }
            | UnpackError::TooManyEntries { .. }
            | UnpackError::TooManyDirectories { .. } => "LayerTooLarge",
            UnpackError::Corrupt { .. } | UnpackError::Tar(_) => "LayerCorrupt",
            UnpackError::Internal(_) => "Internal",
        }
    }

    pub fn errno(&self) -> i32 {
        match self {
            UnpackError::Open { errno, .. }
            | UnpackError::Os { errno, .. }
            | UnpackError::BlobRead { errno }
            | UnpackError::Thread { errno } => *errno,
            _ => 0,
        }
    }
}

/// "8 GiB", "512 MiB", "1000 bytes": exact values only get a unit.
pub fn show_bytes(n: u64) -> String {
    for (unit, name) in [
        (1u64 << 40, "TiB"),
        (1 << 30, "GiB"),
        (1 << 20, "MiB"),
        (1 << 10, "KiB"),
    ] {
        if n >= unit && n.is_multiple_of(unit) {
            return format!("{} {name}", n / unit);
        }
    }
    format!("{n} bytes")
}

fn strerror(errno: i32) -> String {
    let s = std::io::Error::from_raw_os_error(errno).to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

impl fmt::Display for UnpackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnpackError::BadOption(m) => write!(f, "unpackLayer: {m}"),
            UnpackError::Open { what, path, errno } => {
                write!(f, "open the {what} {path:?}: {}", strerror(*errno))
            }
            UnpackError::Refused { entry, why } => write!(f, "layer entry {entry:?}: {why}"),
            UnpackError::Os { entry, what, errno } => {
                write!(f, "layer entry {entry:?}: {what}: {}", strerror(*errno))
            }
            UnpackError::TooLarge { max } => write!(
                f,
                "the layer unpacks to more than {} (max_layer_size)",
                show_bytes(*max)
            ),
            UnpackError::TooManyEntries { max } => {
                write!(f, "the layer has more than {max} entries")
            }
            UnpackError::TooManyDirectories { max_bytes } => write!(
                f,
                "the layer's directories take more than {} to track",
                show_bytes(*max_bytes)
            ),
            UnpackError::Thread { errno } => {
                write!(f, "start the decompression thread: {}", strerror(*errno))
            }
            UnpackError::BlobRead { errno } => {
                write!(f, "read the layer blob: {}", strerror(*errno))
            }
            UnpackError::Corrupt {
                format,
                offset,
                detail,
            } => write!(f, "{format}: invalid data at byte {offset} ({detail})"),
            UnpackError::Tar(m) => write!(f, "{m}"),
            UnpackError::Internal(m) => write!(f, "internal error of the layer unpacker: {m}"),
        }
    }
}

impl std::error::Error for UnpackError {}
