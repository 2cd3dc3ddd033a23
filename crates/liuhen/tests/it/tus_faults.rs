//! fsync/fdatasync fails with EIO at each point of a tus upload in turn (strace
//! `-e inject=fsync,fdatasync:error=EIO:when=N` on `liuhen serve`, as `fsync_faults` does
//! for CLI ingest): no request whose own sync failed is acknowledged (no 201 with a
//! Location, no 204 with an offset or a record id), and after the crash (SIGKILL) the
//! resumed upload syncs before it acknowledges (issue 16).
//!
//! The client sends one request per connection and waits for each answer, so a request's
//! own syncs are the ones between the server's `accept4` of its connection and the
//! `HTTP/1.1` status line the server writes back. strace attaches once the server listens
//! (its start's syncs are not counted) and counts `when=N` per thread: run N fails the
//! N-th sync of every thread, so N = 1..=(syncs of a clean run) fails every sync point at
//! least once; the test also checks that every kind of file a request syncs (partial
//! upload, its directory, original and its directories, database) was failed inside a
//! request at least once.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use liuhen_app::accounts::NewUser;
use liuhen_app::{Custody, OpenOptions};
use liuhen_domain::Role;

use crate::support::{TestApp, bin, noise};

pub(crate) const HALF: usize = 150_000;
/// Refusals a client takes before it gives up (until the crash).
const TRIES: usize = 8;
/// base64("REC_0001.MP4")
const FILENAME_B64: &str = "UkVDXzAwMDEuTVA0";

/// A store with an officer holding an API token, its log covered by a checkpoint and its
/// administrator made, so that `serve` starts without writing anything.
pub(crate) fn store(app: &TestApp) -> String {
    // The periodic jobs commit on their own connections (threads) while a request is in
    // flight; their failed syncs would be counted as the request's. Off: every sync in the
    // trace belongs to a request.
    std::fs::create_dir_all(&app.data).unwrap();
    std::fs::write(
        app.data.join("liuhen.toml"),
        "[server]\nperiodic_jobs = false\n",
    )
    .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let c = Custody::open(OpenOptions::new(&app.data)).await.unwrap();
        c.bootstrap_admin().await.unwrap();
        let id = c
            .create_user_unchecked(
                "test",
                NewUser {
                    username: "zhangwei".into(),
                    display_name: "张伟".into(),
                    password: "Tus-Fault-Passw0rd!".into(),
                    unit: Some("甲局".into()),
                    department: None,
                    roles: vec![Role::Officer],
                },
            )
            .await
            .unwrap();
        let token = c.create_api_token(&id, "faults").await.unwrap();
        c.checkpoint().await.unwrap();
        c.db().close().await;
        token
    })
}

pub(crate) struct Server {
    child: Child,
    strace: Option<Child>,
    pub(crate) addr: String,
}

impl Server {
    /// `liuhen serve`; with `traced = Some((trace, fail_at))`, then strace attached to all
    /// its threads (tracing syncs, accepts and writes into `trace`), failing the
    /// `fail_at`-th sync of every thread from then on (0: none). Attaching after the
    /// start keeps the start's own syncs out of the count.
    pub(crate) fn start(app: &TestApp, traced: Option<(&Path, usize)>) -> Server {
        let mut child = Command::new(bin())
            .arg("--data-dir")
            .arg(&app.data)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let addr = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|l| {
                l.split("http://")
                    .nth(1)
                    .map(|r| r.split_whitespace().next().unwrap_or("").to_owned())
            })
            .expect("the server starts");
        // Keep draining its log so that it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});

        let Some((trace, fail_at)) = traced else {
            return Server {
                child,
                strace: None,
                addr,
            };
        };
        let mut cmd = Command::new("strace");
        cmd.args(["-f", "-y", "-s", "1024", "-e", "signal=none"]);
        cmd.args([
            "-e",
            "trace=fsync,fdatasync,accept4,write,writev,sendto,sendmsg",
        ]);
        if fail_at > 0 {
            cmd.args([
                "-e",
                &format!("inject=fsync,fdatasync:error=EIO:when={fail_at}"),
            ]);
        }
        cmd.arg("-o")
            .arg(trace)
            .arg("-p")
            .arg(child.id().to_string());
        let mut strace = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(strace.stderr.take().unwrap()).lines();
        let attached = lines
            .by_ref()
            .map_while(Result::ok)
            .any(|l| l.contains("attached"));
        assert!(attached, "strace could not attach to the server");
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            strace: Some(strace),
            addr,
        }
    }

    /// The crash: SIGKILL, nothing drained or closed.
    pub(crate) fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(mut strace) = self.strace.take() {
            let _ = strace.wait();
        }
    }
}

struct Answer {
    status: u16,
    headers: BTreeMap<String, String>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// One request on its own connection (HTTP/1.1, `Connection: close`); status 0 when the
/// server is gone.
fn request(
    addr: &str,
    token: &str,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Answer {
    let gone = Answer {
        status: 0,
        headers: BTreeMap::new(),
    };
    let Ok(mut s) = TcpStream::connect(addr) else {
        return gone;
    };
    s.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nTus-Resumable: 1.0.0\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    if s.write_all(head.as_bytes())
        .and_then(|()| s.write_all(body))
        .is_err()
    {
        return gone;
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    let mut lines = text.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Answer { status, headers }
}

/// What a client holds after talking to the server.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Acked {
    pub(crate) location: Option<String>,
    pub(crate) offset: u64,
    pub(crate) record: Option<String>,
}

fn patch(addr: &str, token: &str, loc: &str, offset: usize, data: &[u8]) -> Answer {
    request(
        addr,
        token,
        "PATCH",
        loc,
        &[
            ("Upload-Offset", offset.to_string()),
            ("Content-Type", "application/offset+octet-stream".to_owned()),
        ],
        data,
    )
}

/// A tus client that retries: POST until an upload exists, then PATCH in two halves;
/// after a refused PATCH it asks HEAD where to go on. At most `tries` refusals. Every
/// answer that says something is durable (201, 204, HEAD's offset and record) goes into
/// `acked`; HEAD must never say offset = length without the record.
pub(crate) fn client(addr: &str, token: &str, data: &[u8], acked: &mut Acked, tries: usize) {
    let len = data.len() as u64;
    let mut refused = 0;
    let mut ask = acked.location.is_some();
    while acked.record.is_none() && refused <= tries {
        let Some(loc) = acked.location.clone() else {
            let created = request(
                addr,
                token,
                "POST",
                "/api/v1/uploads",
                &[
                    ("Upload-Length", data.len().to_string()),
                    ("Upload-Metadata", format!("filename {FILENAME_B64}")),
                ],
                b"",
            );
            if created.status == 201 {
                acked.location = created.header("location").map(str::to_owned);
                acked.offset = 0;
            } else {
                refused += 1;
            }
            continue;
        };
        if ask {
            let head = request(addr, token, "HEAD", &loc, &[], b"");
            if head.status != 200 {
                refused += 1;
                continue;
            }
            let offset: u64 = head.header("upload-offset").unwrap().parse().unwrap();
            let record = head.header("liuhen-record-id").map(str::to_owned);
            assert!(
                offset < len || record.is_some(),
                "HEAD said offset = length without the record"
            );
            assert!(
                offset >= acked.offset,
                "HEAD went back: {offset} < {acked:?}"
            );
            acked.offset = offset;
            acked.record = record;
            ask = false;
            continue;
        }
        let from = acked.offset as usize;
        let end = if from < HALF { HALF } else { data.len() };
        let a = patch(addr, token, &loc, from, &data[from..end]);
        if a.status != 204 {
            refused += 1;
            ask = true;
            continue;
        }
        let offset: u64 = a.header("upload-offset").unwrap().parse().unwrap();
        assert_eq!(offset, end as u64);
        acked.offset = offset;
        acked.record = a.header("liuhen-record-id").map(str::to_owned);
        if offset == len {
            assert!(acked.record.is_some(), "the last PATCH names the record");
        }
    }
}

/// One request as the server saw it: trace lines `from..to` (accept to status line).
struct Window {
    from: usize,
    to: usize,
    status: u16,
}

fn windows(lines: &[String]) -> Vec<Window> {
    let mut out = Vec::new();
    let mut from = None;
    for (i, l) in lines.iter().enumerate() {
        if l.contains("accept4(") && !l.contains("= -1") {
            from = Some(i);
        } else if let (Some(f), Some(pos)) = (from, l.find("\"HTTP/1.1 ")) {
            let status = l[pos + 10..pos + 13].parse().unwrap_or(0);
            out.push(Window {
                from: f,
                to: i,
                status,
            });
            from = None;
        }
    }
    out
}

fn is_sync(l: &str) -> bool {
    l.contains(" fsync(") || l.contains(" fdatasync(")
}

/// SQLite syncs the data directory on each connection's first commit and ignores a
/// failure there (its `unixSync`); the store syncs that directory itself when it opens,
/// once the WAL exists, and fails if that fails (`liuhen_db::Db::connect`). A failure
/// injected there inside a request is therefore not the request's own.
const DATA_DIR: &str = "data directory (SQLite's repeated directory sync)";

/// The kind of file a sync line is about (from strace's `-y` path).
fn kind(l: &str) -> &'static str {
    let path = l
        .split('<')
        .nth(1)
        .and_then(|r| r.split('>').next())
        .unwrap_or("");
    if path.ends_with(".part") {
        "partial upload"
    } else if path.ends_with("/uploads") {
        "uploads directory"
    } else if path.contains("/blobs") {
        "original or its directory"
    } else if path.contains("liuhen.db") {
        "database"
    } else if path.ends_with("/data") {
        DATA_DIR
    } else {
        "other"
    }
}

/// Every answer that acknowledges something new was preceded, inside its own request, by
/// the syncs that make it durable: a 201 by the partial file, its directory and the
/// database; a 204 by the partial file (when bytes came) and the database; the first
/// answer naming the record (204 or HEAD) by the original and the database, unless the
/// record was committed before this server started (`committed`).
fn assert_synced_before_acks(lines: &[String], committed: bool, run: &str) {
    let mut record_named = committed;
    for w in windows(lines)
        .iter()
        .filter(|w| (200..300).contains(&w.status))
    {
        let status_line = &lines[w.to];
        let synced: BTreeSet<&str> = lines[w.from..w.to]
            .iter()
            .filter(|l| is_sync(l) && !l.contains("= -1"))
            .map(|l| kind(l))
            .collect();
        let names_record = status_line.contains("liuhen-record-id");
        let mut needed = Vec::new();
        if w.status == 201 {
            needed.extend(["partial upload", "uploads directory", "database"]);
        }
        if w.status == 204 {
            needed.extend(["partial upload", "database"]);
        }
        if names_record && !record_named {
            needed.extend(["original or its directory", "database"]);
        }
        record_named |= names_record;
        for k in needed {
            assert!(
                synced.contains(k),
                "{run}: answered {} without syncing its {k} first:\n{}",
                w.status,
                lines[w.from..=w.to].join("\n")
            );
        }
    }
}

/// Whether the upload at `location` was completed (its record committed) when the server
/// crashed.
fn completed_before_the_rerun(app: &TestApp, location: Option<&str>) -> bool {
    let Some(id) = location.and_then(|l| l.rsplit('/').next()) else {
        return false;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let pool = app.sql().await;
        let state: Option<String> = sqlx::query_scalar("SELECT state FROM uploads WHERE id = $1")
            .bind(id)
            .fetch_optional(&pool)
            .await
            .unwrap();
        pool.close().await;
        state.as_deref() == Some("completed")
    })
}

fn read_trace(trace: &Path) -> Vec<String> {
    std::fs::read_to_string(trace)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn an_fsync_failing_at_any_point_of_a_tus_upload_is_never_acknowledged() {
    if !liuhen_test_support::require_tool("strace") {
        return;
    }
    let started = std::time::Instant::now();
    let data = noise(2 * HALF + 1234, 77);

    // A clean run: how many syncs the server makes up to its last answer, and which kinds.
    let probe = TestApp::new();
    let token = store(&probe);
    let trace = probe.work.join("trace");
    let server = Server::start(&probe, Some((&trace, 0)));
    let mut acked = Acked::default();
    client(&server.addr, &token, &data, &mut acked, 0);
    server.kill();
    assert!(
        acked.record.is_some(),
        "a clean upload completes: {acked:?}"
    );
    let lines = read_trace(&trace);
    let ws = windows(&lines);
    assert_eq!(ws.len(), 3, "POST and two PATCHes:\n{}", lines.join("\n"));
    assert_synced_before_acks(&lines, false, "clean run");
    let last = ws.last().unwrap().to;
    let syncs = lines[..last].iter().filter(|l| is_sync(l)).count();
    let kinds: BTreeSet<&str> = ws
        .iter()
        .flat_map(|w| lines[w.from..w.to].iter())
        .filter(|l| is_sync(l))
        .map(|l| kind(l))
        .collect();
    eprintln!("clean tus upload: {syncs} syncs, kinds {kinds:?}");
    for w in &ws {
        for l in lines[w.from..=w.to]
            .iter()
            .filter(|l| is_sync(l) || l.contains("HTTP/1.1"))
        {
            eprintln!("  {l}");
        }
    }
    for k in [
        "partial upload",
        "uploads directory",
        "original or its directory",
        "database",
    ] {
        assert!(kinds.contains(k), "a clean upload syncs its {k}: {kinds:?}");
    }

    let mut failed_in_request = BTreeSet::new();
    // Each N twice: a client that retries (it meets every sync point, a later one after
    // an earlier one failed), and one that stops at the first refusal, so that the crash
    // comes right after the failed sync and the resume runs in a new process.
    for (n, tries) in (1..=syncs).flat_map(|n| [(n, TRIES), (n, 0)]) {
        let app = TestApp::new();
        let token = store(&app);
        let trace = app.work.join("trace");
        let mut acked = Acked::default();
        let server = Server::start(&app, Some((&trace, n)));
        client(&server.addr, &token, &data, &mut acked, tries);
        server.kill();
        let lines = read_trace(&trace);
        for w in windows(&lines) {
            let own = lines[w.from..w.to]
                .iter()
                .filter(|l| l.contains("(INJECTED)") && kind(l) != DATA_DIR);
            for l in own {
                eprintln!("sync #{n}: {l}");
                failed_in_request.insert(kind(l));
                assert!(
                    !(200..300).contains(&w.status),
                    "sync #{n} failed inside a request ({l}) yet it was answered {}:\n{}",
                    w.status,
                    lines.join("\n")
                );
            }
        }

        assert_synced_before_acks(&lines, false, &format!("#{n}"));

        // After the crash, the client resumes without faults (asking HEAD first): what
        // was acknowledged still holds, and what is acknowledged now was synced first.
        let committed = completed_before_the_rerun(&app, acked.location.as_deref());
        let server = Server::start(&app, Some((&trace, 0)));
        let mut now = Acked {
            record: None,
            ..acked.clone()
        };
        client(&server.addr, &token, &data, &mut now, 0);
        server.kill();
        assert!(
            now.record.is_some(),
            "#{n}: the resumed upload completes: {now:?}"
        );
        if acked.record.is_some() {
            assert_eq!(now.record, acked.record, "#{n}: the acknowledged record");
        }
        assert_synced_before_acks(&read_trace(&trace), committed, &format!("after #{n}"));
        let (ok, report) = app.verify();
        assert!(ok, "#{n}: {report:#}");
        assert_eq!(report["records"], 1, "#{n}: {report:#}");
        eprintln!(
            "sync #{n} failed ({tries} retries): acknowledged {acked:?}; after the crash {now:?}"
        );
    }
    eprintln!("failed inside a request: {failed_in_request:?}");
    for k in kinds.iter().filter(|&&k| k != DATA_DIR) {
        assert!(
            failed_in_request.contains(k),
            "no run failed a sync of the {k}: {failed_in_request:?}"
        );
    }
    assert!(started.elapsed().as_secs() < 400, "bounded in time");
}
