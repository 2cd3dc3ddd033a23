use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use sha2::Digest;

pub struct TestApp {
    _dir: tempfile::TempDir,
    pub data: PathBuf,
    pub work: PathBuf,
    /// The operator's token file (mode 0600), made on first use.
    token_file: std::sync::OnceLock<PathBuf>,
}

/// The unit of the operator account every test command runs as.
pub const OPERATOR_UNIT: &str = "平顶山高新区应急管理局";

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
            token_file: std::sync::OnceLock::new(),
        }
    }

    /// A command as the operator (`LIUHEN_TOKEN_FILE`: the operator's token, made on first
    /// use, which creates the data directory).
    pub fn cmd(&self) -> Command {
        let mut c = self.anonymous_cmd();
        c.env("LIUHEN_TOKEN_FILE", self.operator_token_file());
        c
    }

    /// A command with no credential.
    pub fn anonymous_cmd(&self) -> Command {
        let mut c = Command::new(bin());
        c.arg("--data-dir")
            .arg(&self.data)
            .env_remove("LIUHEN_TOKEN_FILE")
            .env("RUST_LOG", "warn");
        c
    }

    /// Lets `other` (another data directory on this one's database) run as this one's
    /// operator, whose account already exists there.
    pub fn share_operator_with(&self, other: &TestApp) {
        let _ = other.token_file.set(self.operator_token_file());
    }

    /// The operator's token file: a records keeper and officer (`operator`, 值守员) of
    /// `OPERATOR_UNIT` holding a token with every scope.
    pub fn operator_token_file(&self) -> PathBuf {
        self.token_file
            .get_or_init(|| {
                let path = self.work.join("operator.token");
                let token = self.account_token(
                    "operator",
                    "值守员",
                    OPERATOR_UNIT,
                    &[
                        liuhen_domain::Role::RecordsKeeper,
                        liuhen_domain::Role::Officer,
                    ],
                );
                write_token_file(&path, &token);
                path
            })
            .clone()
    }

    /// Officer accounts of `OPERATOR_UNIT` carrying these display names (a case team holds
    /// accounts of the case's unit only).
    pub fn officers(&self, names: &[&str]) {
        for name in names {
            let username: String = name.chars().map(|c| format!("u{:x}", c as u32)).collect();
            self.account_token(
                &username,
                name,
                OPERATOR_UNIT,
                &[liuhen_domain::Role::Officer],
            );
        }
    }

    /// Creates an account (password never used) with a token of every scope; returns the
    /// token.
    pub fn account_token(
        &self,
        username: &str,
        display_name: &str,
        unit: &str,
        roles: &[liuhen_domain::Role],
    ) -> String {
        account_token_in(&self.data, username, display_name, unit, roles)
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    /// Runs with no credential (commands that need none, or break-glass).
    pub fn run_anonymous(&self, args: &[&str]) -> Output {
        self.anonymous_cmd().args(args).output().unwrap()
    }

    /// Runs as the account whose token is in `token_file`.
    pub fn run_as(&self, token_file: &Path, args: &[&str]) -> Output {
        self.anonymous_cmd()
            .env("LIUHEN_TOKEN_FILE", token_file)
            .args(args)
            .output()
            .unwrap()
    }

    /// Writes `token` to `work/<name>.token` (mode 0600) and returns the file.
    pub fn token_file(&self, name: &str, token: &str) -> PathBuf {
        let path = self.work.join(format!("{name}.token"));
        write_token_file(&path, token);
        path
    }

    /// Ingests with `--json` (into `OPERATOR_UNIT` unless `--agency` is given); returns the
    /// exit status success and the per-file reports.
    pub fn ingest(&self, args: &[&str]) -> (bool, Vec<Value>) {
        let mut all = vec!["ingest", "--json"];
        if !args.contains(&"--agency") {
            all.extend(["--agency", OPERATOR_UNIT]);
        }
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

/// Creates an account (password never used) in the store at `data` with a token of every
/// scope; returns the token. Runs on its own thread and runtime, so it may be called from
/// async tests.
pub fn account_token_in(
    data: &Path,
    username: &str,
    display_name: &str,
    unit: &str,
    roles: &[liuhen_domain::Role],
) -> String {
    let (data, username, display_name, unit, roles) = (
        data.to_owned(),
        username.to_owned(),
        display_name.to_owned(),
        unit.to_owned(),
        roles.to_vec(),
    );
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let c = liuhen_app::Custody::open(liuhen_app::OpenOptions::new(&data))
                .await
                .unwrap();
            let id = c
                .create_user_unchecked(
                    "test",
                    liuhen_app::accounts::NewUser {
                        username,
                        display_name,
                        password: "Test-Passw0rd!-4711".into(),
                        unit: Some(unit),
                        department: None,
                        roles,
                    },
                )
                .await
                .unwrap();
            let token = c.create_api_token(&id, "cli").await.unwrap();
            c.db().close().await;
            token
        })
    })
    .join()
    .unwrap()
}

/// Writes a token file readable by its owner only.
pub fn write_token_file(path: &Path, token: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, format!("{token}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
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
