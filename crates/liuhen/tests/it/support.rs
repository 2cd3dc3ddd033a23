use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use sha2::Digest;

pub struct TestApp {
    _dir: tempfile::TempDir,
    pub data: PathBuf,
    pub work: PathBuf,
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_liuhen")
}

pub fn corpus() -> PathBuf {
    std::env::var_os("LIUHEN_MEDIA_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/media-corpus")
        })
}

/// Whether a required external tool is present; under CI=true a missing one fails the test.
pub use liuhen_test_support::require_tool;

impl TestApp {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let work = dir.path().join("work");
        std::fs::create_dir_all(&work).unwrap();
        Self {
            _dir: dir,
            data,
            work,
        }
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new(bin());
        c.arg("--data-dir")
            .arg(&self.data)
            .env("LIUHEN_ACTOR", "测试员")
            .env("RUST_LOG", "warn");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    /// Ingests with `--json`; returns the exit status success and the per-file reports.
    pub fn ingest(&self, args: &[&str]) -> (bool, Vec<Value>) {
        let mut all = vec!["ingest", "--json"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        let reports = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v.get("summary").is_none())
            .collect();
        (out.status.success(), reports)
    }

    pub fn verify(&self) -> (bool, Value) {
        let out = self.run(&["verify", "--json"]);
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "verify printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert_eq!(
            out.status.success(),
            report["ok"].as_bool().unwrap(),
            "exit code follows ok"
        );
        (out.status.success(), report)
    }

    pub fn assert_verifies(&self) {
        let (ok, report) = self.verify();
        assert!(ok, "verify failed: {report:#}");
    }

    /// Writes `n` files of pseudo-random content (distinct per `seed`) into `work/<name>`.
    pub fn make_files(&self, name: &str, n: usize, size: usize, seed: u64) -> PathBuf {
        let dir = self.work.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        for i in 0..n {
            let data = noise(size + i * 7, seed * 1000 + i as u64);
            std::fs::write(dir.join(format!("REC_{i:04}.MP4")), data).unwrap();
        }
        dir
    }

    pub async fn sql(&self) -> sqlx::SqlitePool {
        let url = format!("sqlite://{}", self.data.join("liuhen.db").display());
        sqlx::SqlitePool::connect(&url).await.unwrap()
    }

    pub fn blob_path(&self, sha256: &str) -> PathBuf {
        self.data
            .join("blobs/sha256")
            .join(&sha256[0..2])
            .join(&sha256[2..4])
            .join(sha256)
    }
}

pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407)
        | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

pub fn sha256_file(path: &Path) -> String {
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

/// Codes of the problems in a verify report.
pub fn codes(report: &Value) -> Vec<String> {
    report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_owned())
        .collect()
}
