//! Benchmark (ignored; `cargo test -p liuhen-server --test it fixity_bench -- --ignored
//! --nocapture`): a fixity pass's throughput against the single-core SM3 rate while Range
//! requests are served, and Range throughput during a pass against without one. Figures
//! go to `docs/benchmarks.md`. SHA-256 and SM3 are optimised even in the test profile.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use liuhen_app::ingest::{IngestOptions, NoProgress};
use liuhen_domain::Classification;
use sm3::Digest as _;

use crate::access_world::{GX, World};

const FILES: usize = 4;
const MIB: usize = 1024 * 1024;
const FILE_MIB: usize = 128;
const CLIENTS: usize = 2;
const RANGE: u64 = 1024 * 1024;

fn sm3_rate(data: &[u8]) -> f64 {
    let start = Instant::now();
    let mut h = sm3::Sm3::new();
    h.update(data);
    std::hint::black_box(h.finalize());
    data.len() as f64 / MIB as f64 / start.elapsed().as_secs_f64()
}

/// Range clients until `stop`; returns the bytes received.
async fn range_clients(w: &World, ids: &[String], stop: Arc<AtomicBool>) -> u64 {
    let got = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for n in 0..CLIENTS {
        let http = w.app.client();
        let token = w.who("keeper").token.clone();
        let urls: Vec<String> = ids
            .iter()
            .map(|id| w.app.url(&format!("/api/v1/records/{id}/original")))
            .collect();
        let (stop, got) = (stop.clone(), got.clone());
        tasks.push(tokio::spawn(async move {
            let mut i: u64 = n as u64 * 7919;
            while !stop.load(Ordering::Relaxed) {
                i = i
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let url = &urls[(i >> 33) as usize % urls.len()];
                let start = (i >> 20) % (FILE_MIB as u64 * MIB as u64 - RANGE);
                let res = http
                    .get(url)
                    .bearer_auth(&token)
                    .header("Range", format!("bytes={start}-{}", start + RANGE - 1))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 206);
                got.fetch_add(res.bytes().await.unwrap().len() as u64, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    got.load(Ordering::Relaxed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run by hand with --ignored --nocapture"]
async fn fixity_bench() {
    let w = World::new().await;
    let dir = w.app.data.parent().unwrap().join("bench");
    std::fs::create_dir_all(&dir).unwrap();
    let mut paths = Vec::new();
    let mut sample = Vec::new();
    for f in 0..FILES {
        let mut data = vec![0u8; FILE_MIB * MIB];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ f as u64;
        for chunk in data.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
        }
        let p = dir.join(format!("bench{f}.MP4"));
        std::fs::write(&p, &data).unwrap();
        if f == 0 {
            sample = data;
        }
        paths.push(p);
    }
    let opts = IngestOptions {
        actor: "bench".into(),
        classification: Classification {
            agency: Some(GX.into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let summary = w
        .app
        .custody
        .ingest(&paths, &opts, Arc::new(NoProgress))
        .await;
    assert_eq!(summary.stored, FILES, "{:?}", summary.reports);
    for p in &paths {
        std::fs::remove_file(p).unwrap();
    }
    let ids: Vec<String> = summary
        .reports
        .iter()
        .map(|r| r.record_id.clone().unwrap())
        .collect();
    let sm3 = (0..3).map(|_| sm3_rate(&sample)).fold(0.0, f64::max);
    drop(sample);

    // Range alone.
    let stop = Arc::new(AtomicBool::new(false));
    let timer = {
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            stop.store(true, Ordering::Relaxed);
        })
    };
    let t = Instant::now();
    let bytes = range_clients(&w, &ids, stop).await;
    timer.await.unwrap();
    let alone = bytes as f64 / MIB as f64 / t.elapsed().as_secs_f64();

    for budget in [0u64, w.app.custody.config().fixity.budget_bytes_per_second] {
        // Pass alone.
        let solo = w.app.custody.fixity_pass("bench", budget).await.unwrap();
        let solo_rate = solo.bytes as f64 / MIB as f64 / solo.seconds;
        // Pass while Range clients run.
        let stop = Arc::new(AtomicBool::new(false));
        let t = Instant::now();
        let custody = w.app.custody.clone();
        let s2 = stop.clone();
        let pass = tokio::spawn(async move {
            let r = custody.fixity_pass("bench", budget).await.unwrap();
            s2.store(true, Ordering::Relaxed);
            r
        });
        let bytes = range_clients(&w, &ids, stop).await;
        let during = bytes as f64 / MIB as f64 / t.elapsed().as_secs_f64();
        let r = pass.await.unwrap();
        assert!(r.findings.is_empty());
        let rate = r.bytes as f64 / MIB as f64 / r.seconds;
        println!(
            "BENCH budget={budget} B/s: SM3 single core {sm3:.0} MiB/s; pass alone {solo_rate:.0} MiB/s; \
             pass while serving Range {rate:.0} MiB/s ({:.2}x SM3); Range alone {alone:.0} MiB/s, \
             during the pass {during:.0} MiB/s ({:.2}x)",
            rate / sm3,
            during / alone
        );
    }
}
