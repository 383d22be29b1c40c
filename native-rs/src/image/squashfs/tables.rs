//! The tables besides the inodes: directory listings (with their lookup index), the
//! uid/gid table, the xattr tables, and the "indexed" form that the id, fragment and
//! xattr-id tables share.

use std::collections::HashMap;

use super::metadata::{Compressor, MetaPos, MetaWriter};

/// Entries in one directory header at most (the kernel refuses more).
pub const DIR_HEADER_MAX: usize = 256;

/// Lays out fixed-size entries as metadata blocks followed by the index that the
/// superblock points at: one u64 per block, the block's absolute position. `start` is
/// where the blocks will be written. Returns the bytes and the index's position.
pub fn indexed_table(z: &mut Compressor, entries: &[u8], start: u64) -> (Vec<u8>, u64) {
    let mut w = MetaWriter::new();
    w.write(z, entries);
    let (mut bytes, starts) = w.finish(z);
    let index_pos = start + bytes.len() as u64;
    for s in starts {
        bytes.extend_from_slice(&(start + s).to_le_bytes());
    }
    (bytes, index_pos)
}

/// One entry of a directory listing, for `write_listing`.
pub struct ListEntry<'a> {
    pub name: &'a [u8],
    /// Where the child's inode is, in the inode table.
    pub inode: MetaPos,
    pub number: u32,
    /// The basic inode type (1..=7), whatever the inode's own (extended) type.
    pub kind: u16,
}

/// An entry of an extended directory inode's index: where, in the listing, a header
/// begins in a new metadata block, and that header's first name.
#[derive(Debug, PartialEq, Eq)]
pub struct DirIndex {
    /// Byte offset in the listing (the "." and ".." the kernel adds not counted).
    pub index: u32,
    /// The metadata block holding that header, from the directory table's start.
    pub start: u32,
    pub name: Vec<u8>,
}

/// A directory's listing, as written to the directory table.
pub struct Listing {
    pub pos: MetaPos,
    /// Bytes in the listing; the inode's file_size is this plus 3.
    pub size: u32,
    pub index: Vec<DirIndex>,
}

/// Writes one directory's entries (sorted by name, as the kernel's lookup expects).
/// A header starts a run of at most 256 entries whose inodes sit in the same inode
/// metadata block and whose numbers are within an i16 of the header's.
pub fn write_listing(w: &mut MetaWriter, z: &mut Compressor, entries: &[ListEntry]) -> Listing {
    let pos = w.pos();
    let mut size = 0usize;
    let mut index: Vec<DirIndex> = Vec::new();
    let mut buf = Vec::with_capacity(64);
    let mut i = 0;
    while i < entries.len() {
        let base = &entries[i];
        let mut j = i + 1;
        while j < entries.len()
            && j - i < DIR_HEADER_MAX
            && entries[j].inode.block == base.inode.block
            && i16::try_from(i64::from(entries[j].number) - i64::from(base.number)).is_ok()
        {
            j += 1;
        }
        let here = w.pos();
        let last_block = index.last().map_or(pos.block, |x| u64::from(x.start));
        if here.block != last_block {
            index.push(DirIndex {
                index: size as u32,
                start: here.block as u32,
                name: base.name.to_vec(),
            });
        }
        buf.clear();
        buf.extend_from_slice(&((j - i - 1) as u32).to_le_bytes());
        buf.extend_from_slice(&(base.inode.block as u32).to_le_bytes());
        buf.extend_from_slice(&base.number.to_le_bytes());
        for e in &entries[i..j] {
            let delta = (i64::from(e.number) - i64::from(base.number)) as i16;
            buf.extend_from_slice(&e.inode.offset.to_le_bytes());
            buf.extend_from_slice(&delta.to_le_bytes());
            buf.extend_from_slice(&e.kind.to_le_bytes());
            buf.extend_from_slice(&((e.name.len() - 1) as u16).to_le_bytes());
            buf.extend_from_slice(e.name);
        }
        w.write(z, &buf);
        size += buf.len();
        i = j;
    }
    Listing {
        pos,
        size: size as u32,
        index,
    }
}

/// The uid/gid table: each distinct id once, inodes hold a u16 index into it.
#[derive(Default)]
pub struct IdTable {
    ids: Vec<u32>,
    map: HashMap<u32, u16>,
}

impl IdTable {
    /// None when the table is full (65536 distinct ids).
    pub fn index(&mut self, id: u32) -> Option<u16> {
        if let Some(&i) = self.map.get(&id) {
            return Some(i);
        }
        let i = u16::try_from(self.ids.len()).ok()?;
        self.ids.push(id);
        self.map.insert(id, i);
        Some(i)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn entries(&self) -> Vec<u8> {
        self.ids.iter().flat_map(|i| i.to_le_bytes()).collect()
    }
}

/// The namespaces squashfs stores, by on-disk type.
const XATTR_PREFIXES: [(&[u8], u16); 3] = [(b"user.", 0), (b"trusted.", 1), (b"security.", 2)];

/// Splits "security.capability" into (2, "capability"); None for a namespace squashfs
/// cannot hold (system.*, e.g. POSIX ACLs) or an empty suffix.
pub fn xattr_type(name: &[u8]) -> Option<(u16, &[u8])> {
    XATTR_PREFIXES.iter().find_map(|(p, t)| {
        name.strip_prefix(*p)
            .filter(|s| !s.is_empty())
            .map(|s| (*t, s))
    })
}

/// A set of xattrs, as full names and values, sorted by name.
pub type XattrSet = Vec<(Vec<u8>, Vec<u8>)>;

/// The xattr key/value table and the xattr id table. Equal sets are stored once.
#[derive(Default)]
pub struct XattrTable {
    kv: MetaWriter,
    /// Per id: the set's reference in the kv table, pair count, and bytes.
    ids: Vec<(u64, u32, u32)>,
    map: HashMap<XattrSet, u32>,
}

impl XattrTable {
    /// The set's id; names outside the stored namespaces are dropped first. None for a
    /// set left empty.
    pub fn intern(&mut self, z: &mut Compressor, mut set: XattrSet) -> Option<u32> {
        set.retain(|(n, _)| xattr_type(n).is_some());
        if set.is_empty() {
            return None;
        }
        set.sort();
        if let Some(&id) = self.map.get(&set) {
            return Some(id);
        }
        let pos = self.kv.pos();
        let mut bytes = 0u32;
        let mut buf = Vec::new();
        for (name, value) in &set {
            let (t, suffix) = xattr_type(name).expect("filtered");
            buf.clear();
            buf.extend_from_slice(&t.to_le_bytes());
            buf.extend_from_slice(&(suffix.len() as u16).to_le_bytes());
            buf.extend_from_slice(suffix);
            buf.extend_from_slice(&(value.len() as u32).to_le_bytes());
            buf.extend_from_slice(value);
            self.kv.write(z, &buf);
            bytes += buf.len() as u32;
        }
        let id = self.ids.len() as u32;
        self.ids.push((pos.reference(), set.len() as u32, bytes));
        self.map.insert(set, id);
        Some(id)
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Everything from the kv table to the end of the image: the kv blocks, the id
    /// blocks, then the id table header (the superblock's xattr_id_table_start) and
    /// its index, which the kernel wants to end exactly at bytes_used. Returns the
    /// bytes and the header's position.
    pub fn finish(self, z: &mut Compressor, start: u64) -> (Vec<u8>, u64) {
        let (mut bytes, _) = self.kv.finish(z);
        let entries: Vec<u8> = self
            .ids
            .iter()
            .flat_map(|(r, c, s)| {
                let mut e = r.to_le_bytes().to_vec();
                e.extend_from_slice(&c.to_le_bytes());
                e.extend_from_slice(&s.to_le_bytes());
                e
            })
            .collect();
        let mut w = MetaWriter::new();
        w.write(z, &entries);
        let (ids, starts) = w.finish(z);
        let ids_start = start + bytes.len() as u64;
        bytes.extend_from_slice(&ids);
        let header = start + bytes.len() as u64;
        bytes.extend_from_slice(&start.to_le_bytes());
        bytes.extend_from_slice(&(self.ids.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
        for s in starts {
            bytes.extend_from_slice(&(ids_start + s).to_le_bytes());
        }
        (bytes, header)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::squashfs::metadata::{decode, METADATA_SIZE};

    fn u16_at(b: &[u8], i: usize) -> u16 {
        u16::from_le_bytes([b[i], b[i + 1]])
    }
    fn u32_at(b: &[u8], i: usize) -> u32 {
        u32::from_le_bytes(b[i..i + 4].try_into().unwrap())
    }
    fn u64_at(b: &[u8], i: usize) -> u64 {
        u64::from_le_bytes(b[i..i + 8].try_into().unwrap())
    }

    /// Parses a listing back: (header count, [(name, block, offset, number, kind)]).
    /// name, inode block, inode offset, number, type
    type Parsed = (Vec<u8>, u32, u16, u32, u16);

    fn parse_listing(p: &[u8]) -> (usize, Vec<Parsed>) {
        let mut i = 0;
        let mut headers = 0;
        let mut out = Vec::new();
        while i < p.len() {
            let count = u32_at(p, i) as usize + 1;
            assert!(count <= DIR_HEADER_MAX);
            let block = u32_at(p, i + 4);
            let base = u32_at(p, i + 8);
            i += 12;
            headers += 1;
            for _ in 0..count {
                let off = u16_at(p, i);
                let delta = u16_at(p, i + 2) as i16;
                let kind = u16_at(p, i + 4);
                let len = u16_at(p, i + 6) as usize + 1;
                let name = p[i + 8..i + 8 + len].to_vec();
                i += 8 + len;
                out.push((name, block, off, (base as i64 + delta as i64) as u32, kind));
            }
        }
        (headers, out)
    }

    #[test]
    fn a_listing_splits_headers_at_256_entries_and_at_inode_blocks() {
        let names: Vec<Vec<u8>> = (0..600).map(|i| format!("f{i:04}").into_bytes()).collect();
        let entries: Vec<ListEntry> = names
            .iter()
            .enumerate()
            .map(|(i, n)| ListEntry {
                name: n,
                // Inodes 0..399 in block 0, the rest in the block at 8000.
                inode: MetaPos {
                    block: if i < 400 { 0 } else { 8000 },
                    offset: (i * 10 % 8192) as u16,
                },
                number: 100 + i as u32,
                kind: 2,
            })
            .collect();
        let mut z = Compressor::new(9);
        let mut w = MetaWriter::new();
        let l = write_listing(&mut w, &mut z, &entries);
        let (table, _) = w.finish(&mut z);
        let (payload, _) = decode(&table);
        assert_eq!(
            l.pos,
            MetaPos {
                block: 0,
                offset: 0
            }
        );
        assert_eq!(l.size as usize, payload.len());
        let (headers, parsed) = parse_listing(&payload);
        // 0..255, 256..399 (block change), 400..599.
        assert_eq!(headers, 3);
        for (i, (name, block, off, num, kind)) in parsed.iter().enumerate() {
            assert_eq!(name, &names[i]);
            assert_eq!(*block, if i < 400 { 0 } else { 8000 });
            assert_eq!(*off as usize, i * 10 % 8192);
            assert_eq!(*num, 100 + i as u32);
            assert_eq!(*kind, 2);
        }
        // 600 entries of 8+5 bytes plus 3 headers fit one metadata block: no index.
        assert!(l.index.is_empty());
    }

    #[test]
    fn a_listing_splits_headers_when_numbers_leave_i16_range() {
        let entries = [
            ListEntry {
                name: b"a",
                inode: MetaPos {
                    block: 0,
                    offset: 0,
                },
                number: 1,
                kind: 1,
            },
            ListEntry {
                name: b"b",
                inode: MetaPos {
                    block: 0,
                    offset: 40,
                },
                number: 1 + 40000,
                kind: 2,
            },
        ];
        let mut z = Compressor::new(9);
        let mut w = MetaWriter::new();
        write_listing(&mut w, &mut z, &entries);
        let (table, _) = w.finish(&mut z);
        let (headers, parsed) = parse_listing(&decode(&table).0);
        assert_eq!(headers, 2);
        assert_eq!(parsed[1].3, 40001);
    }

    #[test]
    fn a_long_listing_gets_an_index_entry_per_new_block() {
        // 255-byte names: about 30 entries per 8 KiB block.
        let names: Vec<Vec<u8>> = (0..2000)
            .map(|i| {
                let mut n = format!("{i:05}").into_bytes();
                n.resize(255, b'x');
                n
            })
            .collect();
        let entries: Vec<ListEntry> = names
            .iter()
            .enumerate()
            .map(|(i, n)| ListEntry {
                name: n,
                inode: MetaPos {
                    block: 0,
                    offset: i as u16,
                },
                number: 1 + i as u32,
                kind: 2,
            })
            .collect();
        let mut z = Compressor::new(9);
        let mut w = MetaWriter::new();
        // Something before the listing, so that it starts mid-block.
        w.write(&mut z, &[0u8; 5000]);
        let l = write_listing(&mut w, &mut z, &entries);
        let (table, starts) = w.finish(&mut z);
        let (payload, _) = decode(&table);
        let listing = &payload[5000..];
        assert_eq!(listing.len(), l.size as usize);
        assert!(!l.index.is_empty());
        for x in &l.index {
            // What the kernel does with an index entry: block start, offset from the
            // listing's offset, and a header must begin there with that name.
            assert!(starts.contains(&u64::from(x.start)));
            let block_no = starts
                .iter()
                .position(|s| *s == u64::from(x.start))
                .unwrap();
            let at = (x.index as usize + l.pos.offset as usize) % METADATA_SIZE;
            let abs = block_no * METADATA_SIZE + at;
            assert_eq!(abs - 5000, x.index as usize);
            let p = &listing[x.index as usize..];
            let first_len = u16_at(p, 12 + 6) as usize + 1;
            assert_eq!(&p[12 + 8..12 + 8 + first_len], &x.name[..]);
        }
        // Headers of at most 256 entries: 8 headers, each beginning in some block.
        assert_eq!(parse_listing(listing).0, 2000usize.div_ceil(256));
    }

    #[test]
    fn ids_are_interned_and_laid_out_with_an_index() {
        let mut t = IdTable::default();
        assert_eq!(t.index(0), Some(0));
        assert_eq!(t.index(1000), Some(1));
        assert_eq!(t.index(0), Some(0));
        assert_eq!(t.index(2000), Some(2));
        assert_eq!(t.len(), 3);
        let mut z = Compressor::new(9);
        let (bytes, index_pos) = indexed_table(&mut z, &t.entries(), 4096);
        let meta_len = bytes.len() - 8;
        assert_eq!(index_pos, 4096 + meta_len as u64);
        assert_eq!(u64_at(&bytes, meta_len), 4096);
        let (payload, _) = decode(&bytes[..meta_len]);
        assert_eq!(payload, [0u32, 1000, 2000].map(u32::to_le_bytes).concat());
    }

    #[test]
    fn the_id_table_is_full_at_65536() {
        let mut t = IdTable::default();
        for i in 0..65536u32 {
            assert!(t.index(i).is_some());
        }
        assert_eq!(t.index(70000), None);
        assert_eq!(t.index(5), Some(5));
    }

    #[test]
    fn xattr_sets_are_shared_and_filtered() {
        let mut z = Compressor::new(9);
        let mut t = XattrTable::default();
        let cap = (b"security.capability".to_vec(), vec![1, 0, 0, 2]);
        let user = (b"user.test".to_vec(), b"hello".to_vec());
        let acl = (b"system.posix_acl_access".to_vec(), vec![2, 0, 0, 0]);
        assert_eq!(t.intern(&mut z, vec![acl.clone()]), None);
        assert_eq!(
            t.intern(&mut z, vec![user.clone(), cap.clone(), acl]),
            Some(0)
        );
        assert_eq!(t.intern(&mut z, vec![cap.clone(), user.clone()]), Some(0));
        assert_eq!(t.intern(&mut z, vec![user.clone()]), Some(1));
        let start = 1_000_000u64;
        let (bytes, header) = t.finish(&mut z, start);
        let h = (header - start) as usize;
        assert_eq!(u64_at(&bytes, h), start);
        assert_eq!(u32_at(&bytes, h + 8), 2);
        // One index entry after the header, and that is the end.
        assert_eq!(bytes.len(), h + 16 + 8);
        let ids_at = (u64_at(&bytes, h + 16) - start) as usize;
        let (kv, _) = decode(&bytes[..ids_at]);
        let (ids, _) = decode(&bytes[ids_at..h]);
        assert_eq!(ids.len(), 32);
        // Set 0: security.capability then user.test (sorted by full name).
        assert_eq!(u64_at(&ids, 0), 0);
        assert_eq!(u32_at(&ids, 8), 2);
        let mut expect = Vec::new();
        expect.extend_from_slice(&2u16.to_le_bytes());
        expect.extend_from_slice(&10u16.to_le_bytes());
        expect.extend_from_slice(b"capability");
        expect.extend_from_slice(&4u32.to_le_bytes());
        expect.extend_from_slice(&[1, 0, 0, 2]);
        expect.extend_from_slice(&0u16.to_le_bytes());
        expect.extend_from_slice(&4u16.to_le_bytes());
        expect.extend_from_slice(b"test");
        expect.extend_from_slice(&5u32.to_le_bytes());
        expect.extend_from_slice(b"hello");
        assert_eq!(&kv[..expect.len()], &expect[..]);
        assert_eq!(u32_at(&ids, 12) as usize, expect.len());
        // Set 1 starts right after, in the same block.
        assert_eq!(u64_at(&ids, 16), expect.len() as u64);
        assert_eq!(u32_at(&ids, 24), 1);
    }
}
