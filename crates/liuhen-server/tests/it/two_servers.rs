//! Issue 14: two servers on one PostgreSQL database, one blob store (SeaweedFS) and one
//! staging directory, each with a data directory of its own (the identity copied as
//! `keys export/import` would). A credential made through one works on the other; an upload
//! begun on one, whose server is killed mid-PATCH, resumes on the other byte-identical; two
//! PATCHes on one upload through the two servers at once: exactly one is accepted.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use liuhen_app::{Custody, MovableClock, OpenOptions};
use reqwest::StatusCode;
use sqlx::Connection as _;
use tokio::io::AsyncWriteExt as _;

use crate::uploads::{TUS, api_user_on, b64};

/// A server on a runtime of its own, so that killing it ends every request it was serving.
struct Server {
    custody: Custody,
    clock: Arc<MovableClock>,
    base: String,
    kill: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(data: &Path) -> Server {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (kill, killed) = std::sync::mpsc::channel::<()>();
        let data = data.to_owned();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                let clock = MovableClock::new();
                let custody = Custody::open(OpenOptions {
                    clock: Some(clock.clone()),
                    ..OpenOptions::new(&data)
                })
                .await
                .unwrap();
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let base = format!("http://{}", listener.local_addr().unwrap());
                let app = liuhen_server::router(custody.clone())
                    .into_make_service_with_connect_info::<std::net::SocketAddr>();
                tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
                ready_tx.send((custody, clock, base)).unwrap();
            });
            let _ = killed.recv();
            // Every task of this server (its requests too) stops where it is.
            rt.shutdown_background();
        });
        let (custody, clock, base) = ready_rx.recv().unwrap();
        Server {
            custody,
            clock,
            base,
            kill: Some(kill),
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn kill(&mut self) {
        drop(self.kill.take());
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn config(db_url: &str, bucket: &str, staging: &Path) -> String {
    let endpoint = std::env::var("LIUHEN_TEST_S3_ENDPOINT").unwrap();
    let key = std::env::var("LIUHEN_TEST_S3_ACCESS_KEY").unwrap_or_default();
    let secret = std::env::var("LIUHEN_TEST_S3_SECRET_KEY").unwrap_or_default();
    format!(
        "[storage]\nblobs = \"s3\"\ndatabase_url = \"{db_url}\"\n[storage.s3]\nendpoint = \"{endpoint}\"\n\
         region = \"us-east-1\"\nbucket = \"{bucket}\"\naccess_key = \"{key}\"\nsecret_key = \"{secret}\"\n\
         [uploads]\nstaging_dir = \"{}\"\nlease_seconds = 30\n",
        staging.display()
    )
}

fn copy_identity(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.join("keys")).unwrap();
    std::fs::copy(from.join("instance-id"), to.join("instance-id")).unwrap();
    for f in std::fs::read_dir(from.join("keys")).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), to.join("keys").join(f.file_name())).unwrap();
    }
}

fn content(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_add(seed).wrapping_mul(2654435761) >> 13) as u8)
        .collect()
}

struct Client {
    http: reqwest::Client,
    token: String,
}

impl Client {
    async fn create(&self, s: &Server, len: usize, name: &str) -> String {
        let res = self
            .http
            .post(s.url("/api/v1/uploads"))
            .bearer_auth(&self.token)
            .header("Tus-Resumable", TUS)
            .header("Upload-Length", len.to_string())
            .header("Upload-Metadata", format!("filename {}", b64(name)))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        res.headers()["location"].to_str().unwrap().to_owned()
    }

    async fn patch(&self, s: &Server, loc: &str, offset: usize, body: &[u8]) -> reqwest::Response {
        self.http
            .patch(s.url(loc))
            .bearer_auth(&self.token)
            .header("Tus-Resumable", TUS)
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string())
            .body(body.to_vec())
            .send()
            .await
            .unwrap()
    }

    async fn head(&self, s: &Server, loc: &str) -> (u64, Option<String>) {
        let res = self
            .http
            .head(s.url(loc))
            .bearer_auth(&self.token)
            .header("Tus-Resumable", TUS)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let h = res.headers();
        (
            h["upload-offset"].to_str().unwrap().parse().unwrap(),
            h.get("liuhen-record-id")
                .map(|v| v.to_str().unwrap().to_owned()),
        )
    }

    /// A PATCH that announces `body.len()` bytes and sends only `sent` of them; the rest
    /// goes with [`HeldPatch::finish`].
    async fn held_patch(
        &self,
        s: &Server,
        loc: &str,
        offset: usize,
        body: &[u8],
        sent: usize,
    ) -> HeldPatch {
        let addr = s.base.trim_start_matches("http://").to_owned();
        let mut sock = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "PATCH {loc} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nTus-Resumable: 1.0.0\r\n\
             Content-Type: application/offset+octet-stream\r\nUpload-Offset: {offset}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.token,
            body.len()
        );
        sock.write_all(head.as_bytes()).await.unwrap();
        sock.write_all(&body[..sent]).await.unwrap();
        sock.flush().await.unwrap();
        HeldPatch {
            sock,
            rest: body[sent..].to_vec(),
        }
    }
}

struct HeldPatch {
    sock: tokio::net::TcpStream,
    rest: Vec<u8>,
}

impl HeldPatch {
    /// Sends the rest and returns the response's status line.
    async fn finish(mut self) -> String {
        use tokio::io::AsyncReadExt as _;
        self.sock.write_all(&self.rest).await.unwrap();
        let mut out = Vec::new();
        self.sock.read_to_end(&mut out).await.unwrap();
        String::from_utf8_lossy(&out)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    }
}

/// Waits until a request holds the upload's lease (the PATCH began, on whichever server).
async fn until_leased(db_url: &str, id: &str) {
    let mut db = sqlx::PgConnection::connect(db_url).await.unwrap();
    for _ in 0..600 {
        let held: Option<String> =
            sqlx::query_scalar("SELECT lease_token FROM uploads WHERE id = $1")
                .bind(id)
                .fetch_one(&mut db)
                .await
                .unwrap();
        if held.is_some() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no PATCH took the lease of upload {id}");
}

async fn stored_bytes(s: &Server, record_id: &str) -> Vec<u8> {
    let id = liuhen_domain::RecordId::parse(record_id).unwrap();
    let (record, _) = s.custody.db().record(&id).await.unwrap().unwrap();
    let blobs = s.custody.blobs().clone();
    tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut blobs.open(&record.sha256).unwrap(), &mut out).unwrap();
        out
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_sessions_and_uploads_and_never_interleave_a_patch() {
    let Some(admin) = liuhen_test_support::pg_admin_url() else {
        return;
    };
    if std::env::var("LIUHEN_TEST_S3_ENDPOINT").is_err() {
        liuhen_test_support::missing("LIUHEN_TEST_S3_ENDPOINT (SeaweedFS: scripts/s3-up.sh)");
        return;
    }
    let name = liuhen_test_support::pg_database_name();
    let db_url = liuhen_db::testing::create_pg_database(&admin, &name)
        .await
        .unwrap();
    let root = tempfile::tempdir().unwrap();
    let (a_dir, b_dir, staging): (PathBuf, PathBuf, PathBuf) = (
        root.path().join("a"),
        root.path().join("b"),
        root.path().join("staging"),
    );
    let bucket = name.replace('_', "-");
    for dir in [&a_dir, &b_dir] {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("liuhen.toml"), config(&db_url, &bucket, &staging)).unwrap();
    }
    let mut a = Server::start(&a_dir);
    copy_identity(&a_dir, &b_dir);
    let b = Server::start(&b_dir);

    // A credential made through one server is good on the other.
    let (_, token) = api_user_on(&a.custody, "zhangwei", "张伟", "甲局").await;
    let c = Client {
        http: reqwest::Client::new(),
        token,
    };

    // Two PATCHes on one upload through the two servers at once: the one that holds the
    // lease goes on, the other is refused 423 and nothing of it is kept.
    let mine = content(3_000_000, 1);
    let other = content(3_000_000, 2);
    let loc = c.create(&b, mine.len(), "race.mp4").await;
    let id = loc.rsplit('/').next().unwrap().to_owned();
    let held = c.held_patch(&a, &loc, 0, &mine, 1_000_000).await;
    until_leased(&db_url, &id).await;
    let res = c.patch(&b, &loc, 0, &other).await;
    assert_eq!(res.status(), StatusCode::LOCKED);
    let refused: serde_json::Value = res.json().await.unwrap();
    assert_eq!(refused["error"]["code"], "locked");
    assert!(
        held.finish().await.contains(" 204 "),
        "the lease holder's PATCH is accepted"
    );
    let (offset, record) = c.head(&b, &loc).await;
    assert_eq!(offset, mine.len() as u64);
    let record = record.expect("completed");
    assert_eq!(
        stored_bytes(&b, &record).await,
        mine,
        "the client's bytes, not a merge"
    );

    // An upload begun on A (one PATCH acknowledged, a second one cut off when A is
    // killed) resumes on B from the offset B reports, byte-identical.
    let data = content(5_000_000, 3);
    let loc = c.create(&a, data.len(), "resume.mp4").await;
    let id = loc.rsplit('/').next().unwrap().to_owned();
    let res = c.patch(&a, &loc, 0, &data[..2_000_000]).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let _cut = c
        .held_patch(&a, &loc, 2_000_000, &data[2_000_000..], 1_500_000)
        .await;
    until_leased(&db_url, &id).await;
    a.kill();
    assert_eq!(c.head(&b, &loc).await, (2_000_000, None));
    // The dead server's lease still runs: B refuses until it lapses (the clock moves,
    // nobody sleeps).
    let res = c.patch(&b, &loc, 2_000_000, &data[2_000_000..]).await;
    assert_eq!(res.status(), StatusCode::LOCKED);
    b.clock.advance(jiff::SignedDuration::from_secs(31));
    let res = c.patch(&b, &loc, 2_000_000, &data[2_000_000..]).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let record = res.headers()["liuhen-record-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(stored_bytes(&b, &record).await, data);

    drop(b);
    drop(a);
    liuhen_db::testing::drop_pg_database(&admin, &name).await;
}
