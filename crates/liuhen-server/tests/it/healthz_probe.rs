//! Issue 14: `/healthz` probes the blob store with a deadline. The S3 store (SeaweedFS) is
//! reached through a proxy that the test can freeze: requests go in, nothing comes back, as
//! with a hung S3. `/healthz` must then answer 503 within its probe timeout, not hang.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::support::TestApp;

async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    frozen: Arc<AtomicBool>,
) {
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if frozen.load(Ordering::SeqCst) {
            // Hung: the bytes are taken and never answered; the connection stays open.
            std::future::pending::<()>().await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// A TCP proxy to `target`; returns its address and the switch that freezes it.
async fn freezable_proxy(target: String) -> (String, Arc<AtomicBool>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let frozen = Arc::new(AtomicBool::new(false));
    let f = frozen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let Ok(server) = tokio::net::TcpStream::connect(&target).await else {
                continue;
            };
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            tokio::spawn(pipe(cr, sw, f.clone()));
            tokio::spawn(pipe(sr, cw, f.clone()));
        }
    });
    (addr, frozen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_fails_within_its_timeout_when_the_blob_store_hangs() {
    let Ok(endpoint) = std::env::var("LIUHEN_TEST_S3_ENDPOINT") else {
        liuhen_test_support::missing("LIUHEN_TEST_S3_ENDPOINT (SeaweedFS: scripts/s3-up.sh)");
        return;
    };
    let target = endpoint.trim_start_matches("http://").to_owned();
    let (proxy, frozen) = freezable_proxy(target).await;
    let key = std::env::var("LIUHEN_TEST_S3_ACCESS_KEY").unwrap_or_default();
    let secret = std::env::var("LIUHEN_TEST_S3_SECRET_KEY").unwrap_or_default();
    let bucket = format!("liuhen-health-{}", jiff::Timestamp::now().as_nanosecond());
    let app = TestApp::with_config(&format!(
        "[server]\nhealth_timeout_ms = 500\n[storage]\nblobs = \"s3\"\n[storage.s3]\n\
         endpoint = \"http://{proxy}\"\nregion = \"us-east-1\"\nbucket = \"{bucket}\"\n\
         access_key = \"{key}\"\nsecret_key = \"{secret}\"\n"
    ))
    .await;
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap();
    let res = http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        (body["status"].as_str(), body["blob_store"].as_str()),
        (Some("ok"), Some("s3"))
    );

    frozen.store(true, Ordering::SeqCst);
    // Answered (the client's own 10 s limit would fail the test), and answered "down".
    let res = http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["reason"], "blob_store_timeout", "{body}");
}
