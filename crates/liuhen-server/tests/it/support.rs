//! `TestApp`: the real router on 127.0.0.1:0 over a fresh data directory (SQLite + local
//! files), and a cookie-keeping HTTP client.
#![allow(dead_code)]

use std::path::PathBuf;

use liuhen_app::{Custody, OpenOptions};

pub struct TestApp {
    pub custody: Custody,
    pub base: String,
    pub data: PathBuf,
    _dir: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
}

impl TestApp {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let custody = Custody::open(OpenOptions::new(&data)).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let router = liuhen_server::router(custody.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self {
            custody,
            base,
            data,
            _dir: dir,
            server,
        }
    }

    /// A client that keeps cookies and does not follow redirects (tests look at them).
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}
