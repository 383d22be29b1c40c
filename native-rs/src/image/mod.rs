//! Container images: turning image content into what lite mounts.

pub mod squashfs;
