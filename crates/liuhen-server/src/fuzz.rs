//! A libFuzzer-free fuzz loop (issue 10) over the two parsers that read untrusted header
//! text: tus `Upload-Metadata` (with the metadata checks of `UploadMeta::from_pairs`) and
//! HTTP `Range`. Inputs are the corpus kept in `fuzz/corpus/<target>/` and mutations of it
//! (a seeded xorshift generator: flips, inserts of the parsers' own punctuation, deletions,
//! splices). Properties: no panic, and every answer is within bounds. `cargo test` runs a
//! fixed number of deterministic iterations; `scripts/fuzz.sh` runs it for a bounded time
//! with fresh seeds (`LIUHEN_FUZZ_SECONDS`, `LIUHEN_FUZZ_SEED`). A failing input is
//! written to `target/fuzz-failures/` for the corpus.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::playback::{RangeAsk, parse_range};
use crate::uploads::parse_metadata;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes the parsers give meaning to, inserted more often than chance would.
const PUNCTUATION: &[u8] = b",  =-+/09bytes=AZaz\t\x00\xff\xe5";

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    for _ in 0..=rng.below(4) {
        let len = input.len();
        match rng.below(6) {
            0 if len > 0 => {
                let i = rng.below(len);
                input[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(len + 1);
                let b = PUNCTUATION[rng.below(PUNCTUATION.len())];
                input.insert(i, b);
            }
            2 if len > 0 => {
                let a = rng.below(len);
                let b = (a + rng.below(8) + 1).min(len);
                input.drain(a..b);
            }
            3 if len > 0 => {
                let a = rng.below(len);
                let b = (a + rng.below(16) + 1).min(len);
                let chunk = input[a..b].to_vec();
                let at = rng.below(input.len() + 1);
                input.splice(at..at, chunk);
            }
            4 if !corpus.is_empty() => {
                let other = &corpus[rng.below(corpus.len())];
                let from = rng.below(other.len() + 1);
                let at = rng.below(len + 1);
                input.truncate(at);
                input.extend_from_slice(&other[from..]);
            }
            _ => {
                let i = rng.below(len + 1);
                input.insert(i, rng.next() as u8);
            }
        }
    }
    input.truncate(4096);
}

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let out: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(!out.is_empty(), "empty corpus {}", dir.display());
    out
}

/// Runs `check` on the corpus and on mutations of it; panics with the failing input.
fn run(target: &str, check: impl Fn(&[u8])) {
    let seeds = corpus(target);
    let seed = std::env::var("LIUHEN_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_1e55_u64);
    let budget = std::env::var("LIUHEN_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs);
    let iterations: u64 = if budget.is_some() { u64::MAX } else { 20_000 };
    let mut rng = Rng(seed | 1);
    let start = Instant::now();
    let attempt = |input: &[u8]| {
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(input))).is_err() {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz-failures");
            let _ = std::fs::create_dir_all(&dir);
            let name = format!("{target}-{:016x}", seed);
            let _ = std::fs::write(dir.join(&name), input);
            panic!(
                "{target}: failing input {:?} (saved as {name})",
                String::from_utf8_lossy(input)
            );
        }
    };
    for s in &seeds {
        attempt(s);
    }
    let mut done = 0u64;
    while done < iterations && budget.is_none_or(|b| start.elapsed() < b) {
        let mut input = seeds[rng.below(seeds.len())].clone();
        mutate(&mut rng, &mut input, &seeds);
        attempt(&input);
        done += 1;
    }
    eprintln!("fuzz {target}: {done} inputs, seed {seed}");
}

#[test]
fn fuzz_tus_metadata() {
    let tz = jiff::tz::TimeZone::fixed(jiff::tz::offset(8));
    run("tus_metadata", |input| {
        let text = String::from_utf8_lossy(input);
        if let Ok(pairs) = parse_metadata(&text) {
            for (k, v) in &pairs {
                assert!(
                    !k.is_empty() && k.bytes().all(|b| b.is_ascii_graphic()),
                    "{k:?}"
                );
                assert!(v.len() <= text.len(), "a value longer than its encoding");
            }
            let _ = liuhen_app::uploads::UploadMeta::from_pairs(&pairs, &tz);
        }
    });
}

#[test]
fn fuzz_range() {
    run("range", |input| {
        let text = String::from_utf8_lossy(input);
        for size in [0u64, 1, 7, 100, 4096, u64::MAX] {
            match parse_range(Some(&text), size) {
                RangeAsk::Part(a, b) => {
                    assert!(a <= b && b < size, "{text:?} of {size}: {a}-{b}");
                }
                RangeAsk::Full | RangeAsk::Unsatisfiable => {}
            }
        }
    });
}
