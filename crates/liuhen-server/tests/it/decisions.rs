//! Decisions and their legal review over HTTP (issue 13, R5): every way around the gate is
//! refused and logged — issuing without review, reviewing one's own case, a reviewer
//! without a recorded qualification, an approval of an earlier draft reused after the
//! draft changed, a returned review treated as passed; the full loop then issues; `verify`
//! replays the rows and sees a hand edit. Each runs on SQLite and on PostgreSQL
//! ([`each_backend`]). Time limits and their alerts: `decisions_time`.

use std::process::Command;

use jiff::Timestamp;
use liuhen_domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{TEST_PASSWORD, TestApp};

pub(crate) const GX: &str = "平顶山高新区应急管理局";

pub(crate) struct Who {
    pub(crate) client: reqwest::Client,
    pub(crate) csrf: String,
    pub(crate) id: String,
}

pub(crate) struct World {
    pub(crate) app: TestApp,
    pub(crate) admin: Who,
    pub(crate) officer: Who,
    pub(crate) legal: Who,
    /// Legal office, no certificate recorded.
    pub(crate) uncertified: Who,
    /// Legal office and on the case team (qualified).
    pub(crate) own: Who,
    pub(crate) case: String,
}

pub(crate) async fn who(app: &TestApp, username: &str) -> Who {
    let client = app.client();
    let csrf = app.login(&client, username, TEST_PASSWORD).await;
    let id = app
        .custody
        .db()
        .user_by_username(username)
        .await
        .unwrap()
        .unwrap()
        .id;
    Who { client, csrf, id }
}

pub(crate) async fn call(
    app: &TestApp,
    w: &Who,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = w
        .client
        .request(method, app.url(path))
        .header("X-CSRF-Token", &w.csrf);
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

pub(crate) async fn put_draft(app: &TestApp, w: &Who, id: &str, text: &str) -> (u16, Value) {
    let res = w
        .client
        .put(app.url(&format!(
            "/api/v1/decisions/{id}/draft?file_name=决定书草案.txt"
        )))
        .header("X-CSRF-Token", &w.csrf)
        .body(text.as_bytes().to_vec())
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// A calendar of weekends only for the years around today: these tests are about the gate,
/// not holidays, and must not depend on the day they run (the shipped calendar refuses
/// limits beyond its years; see `a_time_limit_beyond_the_calendar_is_refused`).
fn weekends_calendar() -> String {
    let year = jiff::tz::TimeZone::UTC.to_datetime(Timestamp::now()).year();
    let mut cal = String::from("weekend = [\"saturday\", \"sunday\"]\n");
    for y in year - 1..=year + 2 {
        cal.push_str(&format!("[[years]]\nyear = {y}\nsource = \"test\"\n"));
    }
    cal
}

/// Runs `test` over SQLite and over PostgreSQL with [`weekends_calendar`].
pub(crate) async fn each_backend<F, Fut>(test: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let cal = weekends_calendar();
    TestApp::for_each_backend(
        "[decisions]\ncalendar = \"calendar.toml\"\n",
        &[("calendar.toml", &cal)],
        test,
    )
    .await;
}

pub(crate) async fn world(app: TestApp) -> World {
    app.user_named("zhangwei", "张伟", &[Role::Officer], GX)
        .await;
    app.user_named("chenjing", "陈静", &[Role::LegalOffice], GX)
        .await;
    app.user_named("zhoujie", "周杰", &[Role::LegalOffice], GX)
        .await;
    app.user_named("liuna", "刘娜", &[Role::Officer, Role::LegalOffice], GX)
        .await;
    app.user("sysadmin", &[Role::SystemAdmin], GX).await;
    let admin = who(&app, "sysadmin").await;
    let officer = who(&app, "zhangwei").await;
    let legal = who(&app, "chenjing").await;
    let uncertified = who(&app, "zhoujie").await;
    let own = who(&app, "liuna").await;
    for (w, cert) in [(&legal, "A20161234567"), (&own, "A20187654321")] {
        let (status, v) = call(
            &app,
            &admin,
            Method::PUT,
            &format!("/api/v1/users/{}/legal-qualification", w.id),
            Some(json!({ "cert_no": cert })),
        )
        .await;
        assert_eq!(status, 200, "{v}");
    }
    let (status, v) = call(
        &app,
        &officer,
        Method::POST,
        "/api/v1/cases",
        Some(json!({
            "number": "平高应急罚〔2026〕88号",
            "name": "某化工有限公司重大事故隐患案",
            "category": "penalty",
            "department": "执法监察大队",
            "team": ["张伟", "刘娜"],
        })),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let case = v["id"].as_str().unwrap().to_owned();
    World {
        app,
        admin,
        officer,
        legal,
        uncertified,
        own,
        case,
    }
}

impl World {
    pub(crate) async fn draft_fine(&self, yuan: &str, party_type: &str) -> String {
        let (status, v) = call(
            &self.app,
            &self.officer,
            Method::POST,
            &format!("/api/v1/cases/{}/decisions", self.case),
            Some(json!({
                "kind": "penalty",
                "measure": "fine",
                "party_type": party_type,
                "party_name": "平顶山市某化工有限公司",
                "fine_yuan": yuan,
                "summary": "未按规定对重大危险源进行辨识评估",
            })),
        )
        .await;
        assert_eq!(status, 201, "{v}");
        let id = v["decision"]["id"].as_str().unwrap().to_owned();
        let (status, _) = put_draft(
            &self.app,
            &self.officer,
            &id,
            "行政处罚决定书（草案）第一版",
        )
        .await;
        assert_eq!(status, 200);
        id
    }

    pub(crate) async fn post(&self, w: &Who, id: &str, op: &str, body: Value) -> (u16, Value) {
        call(
            &self.app,
            w,
            Method::POST,
            &format!("/api/v1/decisions/{id}/{op}"),
            Some(body),
        )
        .await
    }

    pub(crate) async fn submit(&self, id: &str) -> (u16, Value) {
        let materials = json!({ "materials": ["draft_decision", "investigation_report", "evidence", "legal_basis"] });
        self.post(&self.officer, id, "submit", materials).await
    }

    pub(crate) async fn review(&self, w: &Who, id: &str, outcome: &str) -> (u16, Value) {
        let body = json!({ "outcome": outcome, "opinion": "事实清楚，证据确凿，适用依据正确，程序合法。" });
        self.post(w, id, "review", body).await
    }

    pub(crate) async fn issue(&self, id: &str) -> (u16, Value) {
        self.post(&self.officer, id, "issue", json!({})).await
    }

    pub(crate) async fn status(&self, id: &str) -> String {
        let (_, v) = call(
            &self.app,
            &self.officer,
            Method::GET,
            &format!("/api/v1/decisions/{id}"),
            None,
        )
        .await;
        v["decision"]["status"].as_str().unwrap().to_owned()
    }

    /// Whether `w`'s refusal with this reason is in the log (subject `decision:<id>`).
    pub(crate) async fn refused_logged(&self, w: &Who, id: &str, reason: &str) -> bool {
        self.app
            .custody
            .db()
            .entries_for(&format!("decision:{id}"))
            .await
            .unwrap()
            .into_iter()
            .any(|e| {
                let body: Value = serde_json::from_str(&e.body).unwrap();
                e.actor == w.id
                    && e.action == "access.refused"
                    && body["details"]["reason"] == reason
            })
    }

    pub(crate) async fn refused(&self, (status, v): (u16, Value), w: &Who, id: &str, reason: &str) {
        assert_eq!(status, 403, "{v}");
        assert_eq!(v["error"]["code"], reason, "{v}");
        assert!(
            self.refused_logged(w, id, reason).await,
            "refusal {reason} not logged"
        );
    }
}

#[tokio::test]
async fn issuing_a_large_fine_without_legal_review_is_refused_and_logged() {
    each_backend(|app| async move {
        let w = world(app).await;
        let id = w.draft_fine("200000", "organisation").await;
        let (_, v) = call(
            &w.app,
            &w.officer,
            Method::GET,
            &format!("/api/v1/decisions/{id}"),
            None,
        )
        .await;
        assert_eq!(v["legal_review_required"], true);
        assert_eq!(v["catalog_entries"][0]["code"], "penalty.large_fine");
        let r = w.issue(&id).await;
        w.refused(r, &w.officer, &id, "review_required").await;
        assert_eq!(w.status(&id).await, "draft");
        // The decision page shows its history, the refused attempt included.
        let html = w
            .officer
            .client
            .get(w.app.url(&format!("/decisions/{id}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for needle in [
            "4. 较大数额罚款。",
            "创建执法决定",
            "上传决定文书草案",
            "拒绝访问",
        ] {
            assert!(
                html.contains(needle),
                "{needle} missing from the decision page"
            );
        }
        // Just below the individual threshold: no review, issued at once.
        let small = w.draft_fine("19999.99", "individual").await;
        let (status, v) = w.issue(&small).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["status"], "issued");
        // Submitting it for review anyway is refused: it is not in the catalog.
        let own = w.draft_fine("100", "individual").await;
        let r = w.submit(&own).await;
        w.refused(r, &w.officer, &own, "not_in_catalog").await;
        // Marking "other … by law" needs a reason (bad input, nothing changed).
        let (status, v) = w
            .post(&w.officer, &own, "mark", json!({"reason": "  "}))
            .await;
        assert_eq!(
            (status, v["error"]["code"].as_str()),
            (400, Some("invalid")),
            "{v}"
        );
        // Marked with a reason, it needs review too, under the "other" entry of its kind.
        let (status, _) = w
            .post(
                &w.officer,
                &own,
                "mark",
                json!({"reason": "依《安全生产法》须审核"}),
            )
            .await;
        assert_eq!(status, 200);
        let (_, v) = call(
            &w.app,
            &w.officer,
            Method::GET,
            &format!("/api/v1/decisions/{own}"),
            None,
        )
        .await;
        assert_eq!(v["catalog_entries"][0]["code"], "penalty.other", "{v}");
        assert_eq!(v["legal_review_required"], true);
        let r = w.issue(&own).await;
        w.refused(r, &w.officer, &own, "review_required").await;
        // 附件5 has no "other" entry for payments (行政给付): marking one is refused, named.
        let (status, v) = call(
            &w.app,
            &w.officer,
            Method::POST,
            &format!("/api/v1/cases/{}/decisions", w.case),
            Some(json!({
                "kind": "payment",
                "measure": "other",
                "party_type": "individual",
                "party_name": "王某",
                "summary": "临时救助",
            })),
        )
        .await;
        assert_eq!(status, 201, "{v}");
        let pay = v["decision"]["id"].as_str().unwrap().to_owned();
        let (status, v) = w
            .post(&w.officer, &pay, "mark", json!({"reason": "须审核"}))
            .await;
        assert_eq!(status, 400, "{v}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.contains("行政给付"), "{message}");
    })
    .await;
}

#[tokio::test]
async fn reviewers_must_be_qualified_legal_office_staff_outside_the_case() {
    each_backend(|app| async move {
        let w = world(app).await;
        let id = w.draft_fine("200000", "organisation").await;
        let r = w
            .post(
                &w.officer,
                &id,
                "submit",
                json!({"materials": ["draft_decision"]}),
            )
            .await;
        // Incomplete materials are bad input: refused, not logged as an attempt.
        let (status, v) = r;
        assert_eq!(
            (status, v["error"]["code"].as_str()),
            (400, Some("invalid")),
            "{v}"
        );
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("送审材料不全")
        );
        assert!(!w.refused_logged(&w.officer, &id, "materials_missing").await);
        assert_eq!(w.status(&id).await, "draft");
        let (status, round) = w.submit(&id).await;
        assert_eq!(status, 200, "{round}");
        let materials = round["materials"].as_array().unwrap();
        assert!(
            materials.iter().any(|m| m == "compliance_report"),
            "{round}"
        );
        assert_eq!(w.status(&id).await, "under_review");
        // The reviewer sees the case's recording compliance report with its violations, as
        // counted at submission (the entry carries the counts).
        let submitted = w
            .app
            .custody
            .db()
            .entries_for(&format!("decision:{id}"))
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.action == "decision.submitted")
            .unwrap();
        let report = liuhen_db::EntryBody::parse(&submitted.body)
            .unwrap()
            .details["compliance_report"]
            .clone();
        let html = text(&w.app, &w.legal, &format!("/decisions/{id}")).await;
        let (_, b) = html
            .split_once("id=\"compliance-report\"")
            .expect("report shown");
        let card = b.split("</div>").next().unwrap();
        for n in [&report["violations"], &report["warnings"]] {
            assert!(
                card.contains(&format!("<strong>{n}</strong>")),
                "{n}: {card}"
            );
        }
        assert!(card.contains("违规"), "{card}");
        // A reviewer without a recorded legal qualification.
        let r = w.review(&w.uncertified, &id, "approve").await;
        w.refused(r, &w.uncertified, &id, "no_legal_qualification")
            .await;
        // A qualified reviewer who is on the case team (reviewing one's own case).
        let r = w.review(&w.own, &id, "approve").await;
        w.refused(r, &w.own, &id, "own_case").await;
        // The officer is not the legal office at all.
        let r = w.review(&w.officer, &id, "approve").await;
        w.refused(r, &w.officer, &id, "role_not_permitted").await;
        // No opinion, no decision.
        let (status, v) = w
            .post(
                &w.legal,
                &id,
                "review",
                json!({"outcome": "approve", "opinion": " "}),
            )
            .await;
        assert_eq!(
            (status, v["error"]["code"].as_str()),
            (400, Some("invalid"))
        );
        assert_eq!(w.status(&id).await, "under_review");
    })
    .await;
}

#[tokio::test]
async fn a_returned_review_is_not_treated_as_passed() {
    each_backend(|app| async move {
        let w = world(app).await;
        let id = w.draft_fine("200000", "organisation").await;
        assert_eq!(w.submit(&id).await.0, 200);
        let (status, v) = w.review(&w.legal, &id, "return").await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(w.status(&id).await, "draft");
        let r = w.issue(&id).await;
        w.refused(r, &w.officer, &id, "review_returned").await;
        // The loop: supplemented and resubmitted, a second round.
        let (status, round) = w.submit(&id).await;
        assert_eq!((status, round["round"].as_i64()), (200, Some(2)));
    })
    .await;
}

#[tokio::test]
async fn an_approval_of_an_earlier_draft_is_not_reused_after_the_draft_changed() {
    each_backend(|app| async move {
    let w = world(app).await;
    let id = w.draft_fine("200000", "organisation").await;
    assert_eq!(w.submit(&id).await.0, 200);
    // A new draft cannot slip in while the review runs.
    let (status, v) = put_draft(&w.app, &w.officer, &id, "第二版").await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (403, Some("review_pending"))
    );
    assert_eq!(w.review(&w.legal, &id, "approve").await.0, 200);
    assert_eq!(w.status(&id).await, "reviewed");
    let (status, v) = put_draft(
        &w.app,
        &w.officer,
        &id,
        "行政处罚决定书（草案）第二版：罚款改为 30 万元",
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["status"], "draft", "a changed draft voids the approval");
    let r = w.issue(&id).await;
    w.refused(r, &w.officer, &id, "draft_changed").await;
    // Reviewed again, approved with changes, then issued and served.
    assert_eq!(w.submit(&id).await.0, 200);
    let body =
        json!({"outcome": "approve_with_changes", "opinion": "同意", "changes": "补充送达地址"});
    assert_eq!(w.post(&w.legal, &id, "review", body).await.0, 200);
    let (status, v) = w.issue(&id).await;
    assert_eq!((status, v["status"].as_str()), (200, Some("issued")), "{v}");
    let (status, v) = w.post(&w.officer, &id, "serve", json!({})).await;
    assert_eq!((status, v["status"].as_str()), (200, Some("served")), "{v}");
    // The opinion form of the last round.
    let res = w
        .officer
        .client
        .get(w.app.url(&format!("/decisions/{id}/opinion.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    pdf_text_contains(
        &w.app,
        &pdf,
        &[
            "法制审核意见书",
            "修改后同意",
            "A20161234567",
            "补充送达地址",
        ],
    );
    assert_verifies(&w.app).await;
    // A hand edit of a decision row shows in verify.
    liuhen_db::testing::tamper(
        w.app.custody.db(),
        &format!("UPDATE decisions SET status = 'reviewed' WHERE id = '{id}'"),
    )
    .await
    .unwrap();
    let report = verify(&w.app).await;
    assert!(
        report.problems.iter().any(|p| p.code == "decision_edited"),
        "{:#?}",
        report.problems
    );
    })
    .await;
}

pub(crate) async fn verify(app: &TestApp) -> liuhen_app::verify::VerifyReport {
    app.custody
        .verify(
            liuhen_app::verify::VerifyOptions { fixity: false },
            &liuhen_app::verify::Quiet,
        )
        .await
        .unwrap()
}

pub(crate) async fn assert_verifies(app: &TestApp) {
    let report = verify(app).await;
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
}

/// The PDF's text (pdftotext) contains every needle; without pdftotext the check is
/// skipped, except under CI where it fails.
fn pdf_text_contains(app: &TestApp, pdf: &[u8], needles: &[&str]) {
    let path = app.data.parent().unwrap().join("opinion.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext").arg(&path).arg("-").output();
    let Some(out) = out.ok().filter(|o| o.status.success()) else {
        crate::support::missing("a working pdftotext");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    for n in needles {
        assert!(
            text.contains(n),
            "{n} missing from the opinion PDF:\n{text}"
        );
    }
}

pub(crate) async fn text(app: &TestApp, w: &Who, path: &str) -> String {
    let res = w.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.unwrap()
}
