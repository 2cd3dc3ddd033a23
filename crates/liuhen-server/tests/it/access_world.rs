//! A bureau for the access tests: a person of every role (API tokens), cases open and
//! archived with teams and a handling department, records in every state the policy
//! distinguishes. Time passing is simulated by moving stored times back in the database.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use liuhen_app::accounts::NewUser;
use liuhen_app::ingest::{IngestOptions, NoProgress};
use liuhen_domain::authz::Principal;
use liuhen_domain::case::CaseCategory;
use liuhen_domain::{Classification, Role};
use serde_json::{Value, json};

use crate::support::{Entry, TEST_PASSWORD, TestApp};

pub const GX: &str = "平顶山高新区应急管理局";
pub const WD: &str = "卫东区应急管理局";
pub const DEPT: &str = "危险化学品监管科";

pub struct Person {
    pub key: &'static str,
    pub principal: Principal,
    pub token: String,
}

pub struct World {
    pub app: TestApp,
    pub people: Vec<Person>,
    http: reqwest::Client,
    seq: std::sync::atomic::AtomicU32,
}

/// (key, display name, roles, unit, department)
type Spec = (
    &'static str,
    &'static str,
    &'static [Role],
    Option<&'static str>,
    Option<&'static str>,
);

pub const PEOPLE: &[Spec] = &[
    (
        "officer",
        "张伟",
        &[Role::Officer],
        Some(GX),
        Some("执法监察大队"),
    ),
    (
        "camera",
        "刘洋",
        &[Role::CameraOperator],
        Some(GX),
        Some("执法监察大队"),
    ),
    (
        "keeper",
        "赵敏",
        &[Role::RecordsKeeper],
        Some(GX),
        Some("办公室"),
    ),
    (
        "dept",
        "郭磊",
        &[Role::CaseDepartment],
        Some(GX),
        Some(DEPT),
    ),
    (
        "dept2",
        "何静",
        &[Role::CaseDepartment],
        Some(GX),
        Some(DEPT),
    ),
    (
        "other_dept",
        "钱亮",
        &[Role::CaseDepartment],
        Some(GX),
        Some("执法监察大队"),
    ),
    (
        "legal",
        "陈静",
        &[Role::LegalOffice],
        Some(GX),
        Some("政策法规科"),
    ),
    ("leader", "杨军", &[Role::EnforcementLeader], Some(GX), None),
    ("deputy", "周丽", &[Role::DeputyHead], Some(GX), None),
    (
        "head",
        "孙鹏",
        &[Role::DepartmentHead],
        Some(GX),
        Some("执法监察大队"),
    ),
    (
        "supervisor",
        "吴芳",
        &[Role::Supervisor],
        Some(GX),
        Some("政策法规科"),
    ),
    (
        "archive",
        "徐明",
        &[Role::ArchiveKeeper],
        Some(GX),
        Some("办公室"),
    ),
    (
        "external",
        "市公安局调证人员",
        &[Role::ExternalRequester],
        None,
        None,
    ),
    (
        "other_unit",
        "王芳",
        &[Role::Officer],
        Some(WD),
        Some("执法监察大队"),
    ),
    // Same display name as GX's officer, another unit, another person (issue 10.1).
    (
        "other_zhangwei",
        "张伟",
        &[Role::Officer],
        Some(WD),
        Some("执法监察大队"),
    ),
    (
        "other_keeper",
        "何明",
        &[Role::RecordsKeeper],
        Some(WD),
        Some("办公室"),
    ),
    (
        "sysadmin",
        "系统管理员",
        &[Role::SystemAdmin],
        Some(GX),
        None,
    ),
    (
        "secadmin",
        "安全保密管理员",
        &[Role::SecurityAdmin],
        Some(GX),
        None,
    ),
    ("auditor", "安全审计员", &[Role::AuditAdmin], Some(GX), None),
];

impl World {
    pub async fn new() -> World {
        Self::with_config("").await
    }

    pub async fn with_config(toml: &str) -> World {
        let app = TestApp::with_config(toml).await;
        let mut people = Vec::new();
        for (key, name, roles, unit, dept) in PEOPLE {
            let id = app
                .custody
                .create_user_unchecked(
                    "test",
                    NewUser {
                        username: (*key).into(),
                        display_name: (*name).into(),
                        password: TEST_PASSWORD.into(),
                        unit: unit.map(str::to_owned),
                        department: dept.map(str::to_owned),
                        roles: roles.to_vec(),
                    },
                )
                .await
                .unwrap();
            if liuhen_domain::requires_second_factor(roles) {
                app.enroll_totp(&id, key).await;
            }
            let token = app.custody.create_api_token(&id, "access").await.unwrap();
            people.push(Person {
                key,
                principal: Principal {
                    user_id: id,
                    roles: roles.to_vec(),
                    unit: unit.map(str::to_owned),
                    department: dept.map(str::to_owned),
                    officer_name: (*name).into(),
                },
                token,
            });
        }
        World {
            http: app.client(),
            app,
            people,
            seq: Default::default(),
        }
    }

    /// The one account of `unit` whose display name is `name`, if exactly one.
    pub fn account(&self, unit: &str, name: &str) -> Option<String> {
        let found: Vec<&Person> = self
            .people
            .iter()
            .filter(|p| {
                p.principal.unit.as_deref() == Some(unit) && p.principal.officer_name == name
            })
            .collect();
        match found.as_slice() {
            [one] => Some(one.principal.user_id.clone()),
            _ => None,
        }
    }

    pub fn who(&self, key: &str) -> &Person {
        self.people.iter().find(|p| p.key == key).expect(key)
    }

    /// Ingests a small file as `officer`'s record of `agency`; returns its id.
    pub async fn record(&self, agency: &str, officer: &str) -> String {
        let n = self.seq.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = self.app.data.parent().unwrap().join("incoming");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("20261103_0930{:02}_DSJ-03_{n:04}.MP4", n % 60));
        std::fs::write(&path, format!("not really a video, number {n}")).unwrap();
        let opts = IngestOptions {
            actor: "test".into(),
            classification: Classification {
                agency: Some(agency.into()),
                device: Some("DSJ-03".into()),
                officer: Some(officer.into()),
                case_name: Some("某化工有限公司安全生产检查".into()),
                party: Some("平顶山市某化工有限公司".into()),
                camera_operator: None,
            },
            ..Default::default()
        };
        let summary = self
            .app
            .custody
            .ingest(&[path], &opts, Arc::new(NoProgress))
            .await;
        assert_eq!(summary.stored, 1, "{:?}", summary.reports);
        summary.reports[0].record_id.clone().unwrap()
    }

    /// A case of `DEPT` with this team and these records linked to one step; archived
    /// (directly in the database: archiving is the cases issue's) when asked.
    pub async fn case(
        &self,
        number: &str,
        team: &[&str],
        records: &[&str],
        archived: bool,
    ) -> String {
        let now = Timestamp::now();
        let ids: Vec<_> = records
            .iter()
            .map(|r| liuhen_domain::RecordId::parse(r).unwrap())
            .collect();
        let mut fixture = self
            .app
            .case(number)
            .name("某化工有限公司安全生产检查")
            .category(CaseCategory::Inspection)
            .unit(GX, DEPT)
            .party("unit", "平顶山市某化工有限公司", "91410400MA0000000X")
            .team(team)
            .step_at("企业厂区", now - SignedDuration::from_hours(2), now);
        for id in &ids {
            fixture = fixture.record(id);
        }
        let case = fixture.create().await.case;
        if archived {
            self.sql(
                "UPDATE cases SET status = 'archived' WHERE id = ?",
                &case.id,
            )
            .await;
        }
        case.id
    }

    /// Runs one statement with one text parameter on the SQLite file behind the server
    /// (the tests' way of letting time pass).
    pub async fn sql(&self, statement: &str, arg: &str) {
        use sqlx::Connection;
        let url = format!("sqlite://{}", self.app.data.join("liuhen.db").display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()))
            .bind(arg)
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }

    pub async fn call(
        &self,
        key: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, self.app.url(path))
            .bearer_auth(&self.who(key).token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, key: &str, path: &str) -> (u16, Value) {
        self.call(key, reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, key: &str, path: &str, body: Value) -> (u16, Value) {
        self.call(key, reqwest::Method::POST, path, Some(body))
            .await
    }

    /// Files a request as `key`; panics unless created.
    pub async fn file(&self, key: &str, body: Value) -> Value {
        let (status, v) = self.post(key, "/api/v1/access/requests", body).await;
        assert_eq!(status, 201, "{key} filing: {v}");
        v
    }

    /// Decides the next step as `key` with the request's own basis.
    pub async fn decide(&self, key: &str, req: &Value, decision: &str) -> (u16, Value) {
        let id = req["id"].as_str().unwrap();
        let (_, now) = self
            .get(key, &format!("/api/v1/access/requests/{id}"))
            .await;
        // The next undecided step of the flow (also when the request shows as expired).
        let none = Vec::new();
        let decided: Vec<&Value> = now["approvals"]
            .as_array()
            .unwrap_or(&none)
            .iter()
            .map(|a| &a["step"])
            .collect();
        let step = now["flow"]
            .as_array()
            .unwrap_or(&none)
            .iter()
            .find(|s| !decided.contains(s))
            .and_then(Value::as_str)
            .unwrap_or("consent")
            .to_owned();
        self.post(
            key,
            &format!("/api/v1/access/requests/{id}/decisions"),
            json!({ "step": step, "decision": decision, "basis": req["basis"], "comment": "同意" }),
        )
        .await
    }

    /// The log entries about `subject`.
    pub async fn entries(&self, subject: &str) -> Vec<Entry> {
        self.app.entries(subject).await
    }
}
