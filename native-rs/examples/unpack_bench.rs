//! Throughput of the layer unpacker on a real blob, apart from the N-API layer:
//!   cargo run --release --no-default-features --example unpack_bench -- BLOB STAGING
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (blob, staging) = (&args[1], &args[2]);
    let opts = lite_native::image::UnpackOptions {
        compression: None,
        allow_devices: false,
        max_bytes: 8 << 30,
        max_entries: lite_native::image::DEFAULT_MAX_ENTRIES,
    };
    let t = Instant::now();
    let s = lite_native::image::unpack_layer(blob.as_ref(), staging.as_ref(), &opts)
        .unwrap_or_else(|e| panic!("{e}"));
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{} entries, {} bytes, {:.0} ms, {:.0} MB/s of file data, {}",
        s.entries,
        s.bytes,
        secs * 1000.0,
        s.bytes as f64 / secs / 1e6,
        s.diff_id
    );
}
