//! Benchmark (docs/benchmarks.md, issue 12): `LocalStore::extend_retention_many` over many
//! blobs (default 10,000; `LIUHEN_BENCH_RECORDS`), beside the scheme it replaced written
//! out here (a temp file per sidecar, `syncfs`, renames, `syncfs`) on the same file system.
//! Ignored by default: `cargo test --workspace --test it bench_extend_retention_many --
//! --ignored --nocapture` (add `--release` for the figures).

use std::fs;
use std::io::Write;
use std::time::Instant;

use liuhen_blob::{BlobStore, LocalStore};

use crate::conformance::ts;

#[test]
#[ignore = "benchmark: run by hand with --ignored --nocapture"]
fn bench_extend_retention_many() {
    let n: usize = std::env::var("LIUHEN_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir =
        tempfile::tempdir_in(std::env::var("LIUHEN_BENCH_DIR").unwrap_or(".".into())).unwrap();
    let store = LocalStore::open(dir.path()).unwrap();
    let t = Instant::now();
    let shas: Vec<_> = (0..n)
        .map(|i| {
            let body = format!("bench record {i}");
            let sha = store
                .put(&mut body.as_bytes(), ts("2029-01-01T00:00:00Z"))
                .unwrap()
                .digests
                .sha256;
            (sha, ts("2126-01-01T00:00:00Z"))
        })
        .collect();
    eprintln!("stored {n} blobs: {:?}", t.elapsed());

    let t = Instant::now();
    store.extend_retention_many(&shas).unwrap();
    eprintln!(
        "BENCH extend_retention_many, {n} sidecars (journal, in place, one syncfs): {:?}",
        t.elapsed()
    );
    let t = Instant::now();
    store.extend_retention_many(&shas).unwrap();
    eprintln!("BENCH the same again, nothing to extend: {:?}", t.elapsed());

    // The scheme replaced: a temp file per sidecar, syncfs, renames into place, syncfs.
    let t = Instant::now();
    let tmp = dir.path().join("tmp").join("bench-old");
    fs::create_dir(&tmp).unwrap();
    let mut staged = Vec::new();
    for (i, (sha, _)) in shas.iter().enumerate() {
        let hex = sha.to_hex();
        let _ = fs::read_to_string(
            dir.path()
                .join("retention")
                .join(&hex[0..2])
                .join(&hex[2..4])
                .join(&hex),
        );
        let temp = tmp.join(format!("{i}.retention"));
        let mut f = fs::File::create_new(&temp).unwrap();
        writeln!(f, "2127-01-01T00:00:00Z").unwrap();
        staged.push((temp, hex));
    }
    syncfs(dir.path());
    for (temp, hex) in &staged {
        let to = dir
            .path()
            .join("retention")
            .join(&hex[0..2])
            .join(&hex[2..4])
            .join(hex);
        fs::rename(temp, to).unwrap();
    }
    syncfs(dir.path());
    eprintln!(
        "BENCH previous scheme (temp file each, two syncfs), {n} sidecars: {:?}",
        t.elapsed()
    );
}

fn syncfs(path: &std::path::Path) {
    let status = std::process::Command::new("sync")
        .arg("-f")
        .arg(path)
        .status();
    assert!(status.unwrap().success());
}
