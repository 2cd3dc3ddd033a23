//! `TestApp`: the real router on 127.0.0.1:0 over a fresh data directory (SQLite + local
//! files), and a cookie-keeping HTTP client.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use liuhen_app::accounts::NewUser;
use liuhen_app::{Custody, MovableClock, OpenOptions};
use liuhen_domain::Role;
use liuhen_domain::totp::{TotpSecret, step_of};

/// The password every test user gets from [`TestApp::user`].
pub const TEST_PASSWORD: &str = "Test-Passw0rd!";

pub struct TestApp {
    pub custody: Custody,
    /// The server's clock: tests move it forward (retention, disposal), never sleep.
    pub clock: std::sync::Arc<MovableClock>,
    pub base: String,
    pub data: PathBuf,
    /// The store is a PostgreSQL database ([`TestApp::for_each_backend`]).
    pub on_postgres: bool,
    _dir: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
    /// Second-factor secrets of the test users that have one, and the last step used.
    totp: Mutex<HashMap<String, (TotpSecret, i64)>>,
}

/// A log entry as the tests read it: who, what, and the entry's `details`.
#[derive(Debug, Clone)]
pub struct Entry {
    pub actor: String,
    pub action: String,
    pub details: serde_json::Value,
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config("").await
    }

    /// A server whose data directory has this `liuhen.toml` (overrides the defaults),
    /// e.g. `"[security]\nidle_timeout_seconds = 1\n"`.
    pub async fn with_config(toml: &str) -> Self {
        Self::build(tempfile::tempdir().unwrap(), toml, &[], None).await
    }

    /// A server whose data directory lies under `parent` (e.g. a small file system).
    pub async fn new_in(parent: &std::path::Path) -> Self {
        Self::build(tempfile::tempdir_in(parent).unwrap(), "", &[], None).await
    }

    /// Runs `test` on a server over SQLite, then on one over a throwaway PostgreSQL
    /// database (`LIUHEN_TEST_PG_URL`; required under `CI=true`). The data directory gets
    /// `liuhen.toml` = `toml` and the `files` (name, text) beside it.
    pub async fn for_each_backend<F, Fut>(toml: &str, files: &[(&str, &str)], test: F)
    where
        F: Fn(TestApp) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        test(Self::build(tempfile::tempdir().unwrap(), toml, files, None).await).await;
        let Some(admin) = liuhen_test_support::pg_admin_url() else {
            return;
        };
        let name = liuhen_test_support::pg_database_name();
        let url = liuhen_db::testing::create_pg_database(&admin, &name)
            .await
            .unwrap();
        let app = Self::build(tempfile::tempdir().unwrap(), toml, files, Some(url)).await;
        assert!(app.on_postgres);
        let custody = app.custody.clone();
        test(app).await;
        custody.db().close().await;
        liuhen_db::testing::drop_pg_database(&admin, &name).await;
    }

    async fn build(
        dir: tempfile::TempDir,
        toml: &str,
        files: &[(&str, &str)],
        database_url: Option<String>,
    ) -> Self {
        let data = dir.path().join("data");
        if !toml.is_empty() || !files.is_empty() {
            std::fs::create_dir_all(&data).unwrap();
            std::fs::write(data.join("liuhen.toml"), toml).unwrap();
        }
        for (name, text) in files {
            std::fs::write(data.join(name), text).unwrap();
        }
        let clock = MovableClock::new();
        let on_postgres = database_url.is_some();
        let custody = Custody::open(OpenOptions {
            clock: Some(clock.clone()),
            database_url,
            ..OpenOptions::new(&data)
        })
        .await
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let router = liuhen_server::router(custody.clone());
        let server = tokio::spawn(async move {
            let app = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            custody,
            clock,
            base,
            data,
            on_postgres,
            _dir: dir,
            server,
            totp: Mutex::new(HashMap::new()),
        }
    }

    /// Stops the server and closes the store as a restart would, then opens the same data
    /// directory again and serves it on a new port.
    pub async fn restart(&mut self) {
        self.server.abort();
        let _ = (&mut self.server).await;
        self.custody.db().close().await;
        self.custody = Custody::open(OpenOptions::new(&self.data)).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        self.base = format!("http://{}", listener.local_addr().unwrap());
        let router = liuhen_server::router(self.custody.clone());
        self.server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
    }

    /// Creates a user (display name = user name) with password [`TEST_PASSWORD`] that can
    /// sign in at once; administrators get a second factor enrolled, which [`Self::login`]
    /// answers. `unit`: `"某局"` or `None`. Returns (username, password).
    pub async fn user<'a>(
        &self,
        username: &str,
        roles: &[Role],
        unit: impl Into<Option<&'a str>>,
    ) -> (String, String) {
        self.user_named(username, username, roles, unit).await
    }

    /// Like [`Self::user`] with a display name (the officer name records are matched on).
    pub async fn user_named<'a>(
        &self,
        username: &str,
        display_name: &str,
        roles: &[Role],
        unit: impl Into<Option<&'a str>>,
    ) -> (String, String) {
        let id = self
            .custody
            .create_user_unchecked(
                "test",
                NewUser {
                    username: username.into(),
                    display_name: display_name.into(),
                    password: TEST_PASSWORD.into(),
                    unit: unit.into().map(str::to_owned),
                    department: None,
                    roles: roles.to_vec(),
                },
            )
            .await
            .unwrap();
        if liuhen_domain::requires_second_factor(roles) {
            self.enroll_totp(&id, username).await;
        }
        (username.to_owned(), TEST_PASSWORD.to_owned())
    }

    /// Enrols a second factor for a user directly (no HTTP) and remembers its secret.
    pub async fn enroll_totp(&self, user_id: &str, username: &str) {
        let e = self.custody.start_totp_enrollment(user_id).await.unwrap();
        let secret = TotpSecret::parse_base32(&e.secret).unwrap();
        let now = jiff::Timestamp::now().as_second();
        self.custody
            .confirm_totp(user_id, &secret.code_at(now))
            .await
            .unwrap();
        self.remember_totp(username, secret, step_of(now));
    }

    pub fn remember_totp(&self, username: &str, secret: TotpSecret, last_step: i64) {
        self.totp
            .lock()
            .unwrap()
            .insert(username.to_owned(), (secret, last_step));
    }

    /// A code for the user that the server has not seen yet (waits for the next step when
    /// both usable steps are spent).
    pub async fn next_code(&self, username: &str) -> String {
        loop {
            let now = jiff::Timestamp::now().as_second();
            {
                let mut map = self.totp.lock().unwrap();
                let (secret, last) = map.get_mut(username).expect("user has a second factor");
                let step = (*last + 1).max(step_of(now));
                if step <= step_of(now) + 1 {
                    *last = step;
                    return format!("{:06}", secret.code_at_step(step, 6));
                }
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }

    /// Signs `client` in (answering the second factor when asked) and returns the CSRF
    /// token of the new session, for `X-CSRF-Token` or the form field `csrf`.
    pub async fn login(&self, client: &reqwest::Client, username: &str, password: &str) -> String {
        let res = self.post_login(client, username, password).await;
        assert_eq!(res.status(), 303, "sign-in of {username} failed");
        if location(&res) == "/login" {
            let csrf = self.csrf_of(client, "/login").await;
            let code = self.next_code(username).await;
            let res = client
                .post(self.url("/login/code"))
                .form(&[("code", code.as_str()), ("csrf", csrf.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 303, "second factor of {username} refused");
        }
        self.csrf_of(client, "/account").await
    }

    /// Posts the sign-in form as a browser does: fetches `/login` first for the form's
    /// pre-session token (login CSRF) and sends it back.
    pub async fn post_login(
        &self,
        client: &reqwest::Client,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        let csrf = self.csrf_of(client, "/login").await;
        client
            .post(self.url("/login"))
            .form(&[
                ("username", username),
                ("password", password),
                ("csrf", &csrf),
            ])
            .send()
            .await
            .unwrap()
    }

    /// The CSRF token a page carries in its `<meta name="csrf-token">`.
    pub async fn csrf_of(&self, client: &reqwest::Client, path: &str) -> String {
        let html = client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        meta_csrf(&html).unwrap_or_else(|| panic!("{path} has no CSRF token"))
    }

    /// A client that keeps cookies and does not follow redirects (tests look at them).
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// The log entries about `subject` (`record:<id>`, `request:<id>`, …), oldest first.
    pub async fn entries(&self, subject: &str) -> Vec<Entry> {
        self.custody
            .db()
            .entries_for(subject)
            .await
            .unwrap()
            .into_iter()
            .map(|e| {
                let body: serde_json::Value = serde_json::from_str(&e.body).unwrap();
                Entry {
                    actor: e.actor,
                    action: e.action,
                    details: body["details"].clone(),
                }
            })
            .collect()
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

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

pub fn meta_csrf(html: &str) -> Option<String> {
    let rest = html.split(r#"<meta name="csrf-token" content=""#).nth(1)?;
    let token = rest.split('"').next()?;
    (!token.is_empty()).then(|| token.to_owned())
}

/// The text of a PDF by `pdftotext -layout` (Debian poppler-utils). Without the tool: `None`
/// and a note, except under `CI=true`, where the run must check the text and fails.
pub fn pdf_text(path: &std::path::Path) -> Option<String> {
    match std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
    {
        Ok(out) => {
            assert!(
                out.status.success(),
                "pdftotext: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(String::from_utf8(out.stdout).expect("pdftotext writes UTF-8"))
        }
        Err(e) => {
            liuhen_test_support::missing(&format!("pdftotext (poppler-utils): {e}"));
            None
        }
    }
}

pub use liuhen_test_support::missing;

/// A case for a test, built through the use cases: one on-site step with the records
/// linked to it. `TestApp::case("平高应急罚〔2026〕12号").team(&["张伟"]).record(&id).create()`.
pub struct CaseFixture<'a> {
    app: &'a TestApp,
    case: liuhen_app::cases::NewCase,
    step: String,
    place: String,
    window: Option<(jiff::Timestamp, jiff::Timestamp)>,
    records: Vec<liuhen_domain::RecordId>,
}

/// What [`CaseFixture::create`] made.
pub struct CaseMade {
    pub case: liuhen_app::cases::CaseRow,
    pub step_id: String,
}

impl TestApp {
    /// A case numbered `number`: a penalty case of 平顶山高新区应急管理局's
    /// 执法一科, no parties, no team, a 现场检查 step over the ten minutes from now.
    pub fn case(&self, number: &str) -> CaseFixture<'_> {
        CaseFixture {
            app: self,
            case: liuhen_app::cases::NewCase {
                number: number.into(),
                name: "某化工有限公司安全生产违法案".into(),
                category: liuhen_domain::case::CaseCategory::Penalty,
                agency: "平顶山高新区应急管理局".into(),
                department: "执法一科".into(),
                parties: vec![],
                team: vec![],
                flags: Default::default(),
            },
            step: "现场检查".into(),
            place: "厂区".into(),
            window: None,
            records: vec![],
        }
    }
}

impl CaseFixture<'_> {
    pub fn name(mut self, name: &str) -> Self {
        self.case.name = name.into();
        self
    }
    pub fn category(mut self, category: liuhen_domain::case::CaseCategory) -> Self {
        self.case.category = category;
        self
    }
    pub fn unit(mut self, agency: &str, department: &str) -> Self {
        self.case.agency = agency.into();
        self.case.department = department.into();
        self
    }
    pub fn party(mut self, kind: &str, name: &str, id_or_credit_code: &str) -> Self {
        self.case.parties.push(liuhen_db::PartyRow {
            kind: kind.into(),
            name: name.into(),
            id_or_credit_code: id_or_credit_code.into(),
        });
        self
    }
    /// The case team, also the step's officers.
    pub fn team(mut self, names: &[&str]) -> Self {
        self.case.team = names.iter().map(|n| (*n).to_owned()).collect();
        self
    }
    /// The step's place and time (default: 厂区, the ten minutes from the server's now).
    pub fn step_at(mut self, place: &str, start: jiff::Timestamp, end: jiff::Timestamp) -> Self {
        self.place = place.into();
        self.window = Some((start, end));
        self
    }
    pub fn record(mut self, id: &liuhen_domain::RecordId) -> Self {
        self.records.push(id.clone());
        self
    }

    pub async fn create(self) -> CaseMade {
        let c = &self.app.custody;
        let case = c.create_case(&self.case, "test").await.unwrap();
        let now = c.now();
        let window = self
            .window
            .unwrap_or((now, now + jiff::SignedDuration::from_mins(10)));
        let step = c
            .add_step(
                &case.id,
                &liuhen_app::cases::NewStep {
                    checklist_row: None,
                    name: Some(self.step),
                    window,
                    place: self.place,
                    officers: self.case.team.clone(),
                    on_site: true,
                    disputed: false,
                },
                "test",
            )
            .await
            .unwrap();
        for r in &self.records {
            c.link_record(&step.step.id, r, "test").await.unwrap();
        }
        CaseMade {
            case,
            step_id: step.step.id,
        }
    }
}
