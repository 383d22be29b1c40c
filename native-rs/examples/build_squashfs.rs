//! Builds a squashfs image from a directory, for measurements against mksquashfs:
//! `build_squashfs SRC OUT [BLOCK_SIZE [THREADS]]`. Prints the summary, the time and the peak RSS.

use std::time::Instant;

use lite_native::image::squashfs::{build, Options};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: build_squashfs SRC OUT [BLOCK_SIZE [THREADS]]");
        std::process::exit(2);
    }
    let mut opts = Options::default();
    if let Some(bs) = args.get(3) {
        opts.block_size = bs.parse().expect("a block size");
    }
    if let Some(t) = args.get(4) {
        opts.threads = t.parse().expect("a thread count");
    }
    let t = Instant::now();
    match build(args[1].as_ref(), args[2].as_ref(), &opts) {
        Ok(s) => {
            let hwm = std::fs::read_to_string("/proc/self/status")
                .unwrap_or_default()
                .lines()
                .find(|l| l.starts_with("VmHWM"))
                .unwrap_or("VmHWM: ?")
                .split_whitespace()
                .skip(1)
                .collect::<Vec<_>>()
                .join(" ");
            println!("{s:?} in {:.2}s, peak RSS {hwm}", t.elapsed().as_secs_f64());
        }
        Err(e) => {
            eprintln!("build_squashfs: {e}");
            std::process::exit(1);
        }
    }
}
