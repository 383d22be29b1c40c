//! Compression of blocks, and the metadata block stream that every squashfs table is
//! made of.
//!
//! A metadata block is a little-endian u16 header followed by at most 8 KiB of payload.
//! The header holds the payload's on-disk length, with bit 15 set when the payload is
//! stored as is (compression did not make it smaller). Entries may straddle blocks.
//! A position in a table is a pair: the on-disk byte offset of the block that holds it,
//! counted from the table's start, and the offset inside that block's uncompressed
//! payload. Both are known as soon as a byte is appended, since earlier blocks are
//! already compressed.

use flate2::{Compress, Compression, FlushCompress, Status};

/// Uncompressed payload of a full metadata block.
pub const METADATA_SIZE: usize = 8192;
/// The header bit that marks a metadata block stored uncompressed.
const METADATA_UNCOMPRESSED: u16 = 0x8000;

/// zlib (squashfs "gzip", compressor id 1) with one reusable deflate state: a new
/// state per block would allocate a few hundred KiB each time.
pub struct Compressor {
    z: Compress,
}

impl Compressor {
    pub fn new(level: u32) -> Compressor {
        Compressor {
            z: Compress::new(Compression::new(level), true),
        }
    }

    /// Compresses `input` into `out` (cleared first). Returns false, with `out` left
    /// in an unspecified state, when the result would not be smaller than the input:
    /// the caller then stores the input as is.
    pub fn compress(&mut self, input: &[u8], out: &mut Vec<u8>) -> bool {
        out.clear();
        // Anything as long as the input is useless: the output stops there.
        out.reserve(input.len().saturating_sub(1));
        self.z.reset();
        let ok = matches!(
            self.z.compress_vec(input, out, FlushCompress::Finish),
            Ok(Status::StreamEnd)
        );
        ok && out.len() < input.len()
    }
}

/// Builds one table as a stream of metadata blocks, in memory (the tables are small
/// next to the data).
pub struct MetaWriter {
    pending: Vec<u8>,
    out: Vec<u8>,
    /// The on-disk offset of each finished block, from the table's start.
    block_starts: Vec<u64>,
    scratch: Vec<u8>,
}

/// A position in a metadata table: the block's on-disk offset from the table's start,
/// and the offset in its uncompressed payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetaPos {
    pub block: u64,
    pub offset: u16,
}

impl MetaPos {
    /// The 48+16-bit reference that inodes, the superblock and the xattr ids use.
    pub fn reference(self) -> u64 {
        (self.block << 16) | u64::from(self.offset)
    }
}

impl Default for MetaWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl MetaWriter {
    pub fn new() -> MetaWriter {
        MetaWriter {
            pending: Vec::with_capacity(METADATA_SIZE),
            out: Vec::new(),
            block_starts: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Where the next appended byte goes.
    pub fn pos(&self) -> MetaPos {
        MetaPos {
            block: self.out.len() as u64,
            offset: self.pending.len() as u16,
        }
    }

    pub fn write(&mut self, z: &mut Compressor, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let room = METADATA_SIZE - self.pending.len();
            let n = room.min(bytes.len());
            self.pending.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            // Flushed as soon as full, so that pos() never shows offset 8192.
            if self.pending.len() == METADATA_SIZE {
                self.flush(z);
            }
        }
    }

    fn flush(&mut self, z: &mut Compressor) {
        if self.pending.is_empty() {
            return;
        }
        self.block_starts.push(self.out.len() as u64);
        if z.compress(&self.pending, &mut self.scratch) {
            self.out
                .extend_from_slice(&(self.scratch.len() as u16).to_le_bytes());
            self.out.extend_from_slice(&self.scratch);
        } else {
            let h = self.pending.len() as u16 | METADATA_UNCOMPRESSED;
            self.out.extend_from_slice(&h.to_le_bytes());
            self.out.extend_from_slice(&self.pending);
        }
        self.pending.clear();
    }

    /// Flushes the last, partial block and returns the table's bytes and the offsets of
    /// its blocks from the table's start.
    pub fn finish(mut self, z: &mut Compressor) -> (Vec<u8>, Vec<u64>) {
        self.flush(z);
        (self.out, self.block_starts)
    }
}

#[cfg(test)]
pub use tests::decode;

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::ZlibDecoder;
    use std::io::Read;

    /// Decodes a table back into its payload, checking every header.
    pub fn decode(table: &[u8]) -> (Vec<u8>, Vec<u64>) {
        let mut payload = Vec::new();
        let mut starts = Vec::new();
        let mut i = 0;
        while i < table.len() {
            starts.push(i as u64);
            let h = u16::from_le_bytes([table[i], table[i + 1]]);
            let len = (h & 0x7fff) as usize;
            let body = &table[i + 2..i + 2 + len];
            let before = payload.len();
            if h & METADATA_UNCOMPRESSED != 0 {
                payload.extend_from_slice(body);
            } else {
                ZlibDecoder::new(body).read_to_end(&mut payload).unwrap();
            }
            assert!(payload.len() - before <= METADATA_SIZE);
            i += 2 + len;
        }
        (payload, starts)
    }

    #[test]
    fn compressible_blocks_round_trip_and_positions_match() {
        let mut z = Compressor::new(9);
        let mut w = MetaWriter::new();
        let mut expect = Vec::new();
        let mut marks = Vec::new();
        for i in 0..5000u32 {
            marks.push((expect.len(), w.pos()));
            let entry = [i.to_le_bytes(), 7u32.to_le_bytes()].concat();
            w.write(&mut z, &entry);
            expect.extend_from_slice(&entry);
        }
        let (table, starts) = w.finish(&mut z);
        let (payload, seen_starts) = decode(&table);
        assert_eq!(payload, expect);
        assert_eq!(starts, seen_starts);
        assert_eq!(starts.len(), expect.len().div_ceil(METADATA_SIZE));
        // Every recorded position names the right block and offset.
        for (byte, pos) in marks {
            let block = byte / METADATA_SIZE;
            assert_eq!(pos.block, starts[block]);
            assert_eq!(pos.offset as usize, byte % METADATA_SIZE);
        }
        // Counting bytes compress well: the blocks are compressed.
        assert!(table.len() < expect.len() / 2);
    }

    #[test]
    fn incompressible_blocks_are_stored_with_the_flag() {
        let mut z = Compressor::new(9);
        let mut w = MetaWriter::new();
        // xorshift noise does not compress.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let noise: Vec<u8> = (0..10000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        w.write(&mut z, &noise);
        let (table, starts) = w.finish(&mut z);
        assert_eq!(starts, vec![0, 2 + 8192]);
        assert_eq!(
            u16::from_le_bytes([table[0], table[1]]),
            0x8000 | 8192,
            "the first block is stored"
        );
        assert_eq!(decode(&table).0, noise);
        assert_eq!(table.len(), noise.len() + 4);
    }

    #[test]
    fn an_empty_table_has_no_blocks() {
        let mut z = Compressor::new(9);
        let w = MetaWriter::new();
        let (table, starts) = w.finish(&mut z);
        assert!(table.is_empty() && starts.is_empty());
    }
}
