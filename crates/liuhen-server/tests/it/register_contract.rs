//! The two halves of issue 5 meet only through the audit entries' details: the access
//! workflow writes them, the register projection reads them. Here the real workflow runs
//! through the HTTP API (a view under a grant, a copy with its fee and receipt, a loan with
//! its due date and return, an outside visit with its papers) and the register rows are
//! checked field by field: who, whose approval, what, why, fee, receipt, due date, grant
//! expiry, and the log entry each row comes from.

use serde_json::{Value, json};

use crate::access_world::{GX, World};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// The register rows of one record and kind, as the archive keeper reads them.
async fn rows(w: &World, record: &str, kind: &str) -> Vec<Value> {
    let (s, v) = w
        .get(
            "archive",
            &format!("/api/v1/register?record={record}&kind={kind}"),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v["rows"].as_array().unwrap().clone()
}

/// The one entry of `action` about `subject`: (seq, details).
async fn entry(w: &World, subject: &str, action: &str) -> (u64, Value) {
    let db = w.app.custody.db();
    let found: Vec<_> = db
        .entries_for(subject)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == action)
        .collect();
    assert_eq!(found.len(), 1, "{action} on {subject}");
    let body: Value = serde_json::from_str(&found[0].body).unwrap();
    (found[0].seq, body["details"].clone())
}

fn local(w: &World, ms: i64) -> String {
    w.app.custody.local_time(ms)
}

#[tokio::test]
async fn the_register_reads_what_the_access_workflow_logs() {
    let w = World::new().await;
    let mut recs = Vec::new();
    for _ in 0..4 {
        recs.push(w.record(GX, "李娜").await);
    }
    let refs: Vec<&str> = recs.iter().map(String::as_str).collect();
    w.case("高新应急检〔2026〕31号", &["李娜"], &refs, true)
        .await;
    let case_name = "某化工有限公司安全生产检查";

    // A view under a grant: the department consents, the officer opens the record.
    let view = w
        .file(
            "officer",
            json!({ "kind": "view", "records": [recs[0]], "purpose": "类案研究" }),
        )
        .await;
    assert_eq!(w.decide("dept", &view, "approve").await.0, 200);
    let (s, v) = w
        .get("officer", &format!("/api/v1/records/{}", recs[0]))
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, granted) = entry(&w, &format!("request:{}", id(&view)), "access.granted").await;
    let (view_seq, _) = entry(&w, &format!("record:{}", recs[0]), "record.viewed").await;
    let r = rows(&w, &recs[0], "view").await;
    assert_eq!(r.len(), 1, "{r:?}");
    let r = &r[0];
    assert_eq!(r["seq"], view_seq, "the row names its log entry");
    assert_eq!(r["actor_name"], "张伟");
    assert_eq!(r["approved_by"], "郭磊", "whose approval: the grant's");
    assert_eq!(r["purpose"], "类案研究");
    assert_eq!(r["request_id"], id(&view));
    assert_eq!(r["grant_id"], granted["grant"]);
    assert_eq!(r["case_name"], case_name, "the case's name, not its id");
    let expires = granted["expires_ms"].as_i64().unwrap();
    let note = r["note"].as_str().unwrap_or_default();
    assert!(
        note.contains(&format!("授权有效至 {}", local(&w, expires))),
        "grant expiry: {note}"
    );
    let g = w
        .app
        .custody
        .db()
        .register_grant(granted["grant"].as_str().unwrap())
        .await
        .unwrap()
        .expect("the grant as the log tells it");
    assert_eq!(g.expires_ms, Some(expires));
    assert_eq!(
        g.user_id.as_deref(),
        Some(w.who("officer").principal.user_id.as_str())
    );
    assert_eq!(g.records, vec![recs[0].clone()]);

    // A copy through legal review and leader approval, its fee and receipt.
    let copy = w
        .file(
            "officer",
            json!({ "kind": "copy", "records": [recs[1]], "purpose": "行政诉讼举证", "discs": 1, "pages": 2 }),
        )
        .await;
    assert_eq!(w.decide("legal", &copy, "approve").await.0, 200);
    assert_eq!(w.decide("leader", &copy, "approve").await.0, 200);
    let cid = id(&copy);
    let (s, v) = w
        .post(
            "keeper",
            &format!("/api/v1/access/requests/{cid}/copies"),
            json!({ "extractor": "李娜", "proves": "当事人拒绝停止动火作业的事实" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let fee = v["fee_cents"].as_i64().unwrap();
    // The register is read between the copy and its payment: the receipt comes later.
    let r = rows(&w, &recs[1], "copy").await;
    assert_eq!(r[0]["receipt_no"], Value::Null);
    let (s, v) = w
        .post(
            "keeper",
            &format!("/api/v1/access/requests/{cid}/fee"),
            json!({ "receipt_no": "NO.20261129-031" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (copy_seq, _) = entry(&w, &format!("record:{}", recs[1]), "copy.made").await;
    let r = rows(&w, &recs[1], "copy").await;
    assert_eq!(r.len(), 1, "{r:?}");
    let r = &r[0];
    assert_eq!(r["seq"], copy_seq);
    assert_eq!(r["actor_name"], "张伟", "who asked for it");
    assert!(r["note"].as_str().unwrap().contains("登记人 赵敏"), "{r}");
    assert_eq!(r["approved_by"], "陈静、杨军");
    assert_eq!(r["purpose"], "行政诉讼举证");
    assert_eq!(r["fee_cents"], fee);
    assert_eq!(r["fee_cents"], 2000 + 2 * 50);
    assert_eq!(
        r["receipt_no"], "NO.20261129-031",
        "the receipt of fee.paid"
    );
    assert_eq!(r["request_id"], cid);
    assert_eq!(r["case_name"], case_name);

    // A loan with its due date, and its return.
    let due = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(48);
    let loan = w
        .file(
            "officer",
            json!({ "kind": "loan", "records": [recs[2]], "purpose": "整改复查比对", "due": due.to_string() }),
        )
        .await;
    assert_eq!(w.decide("dept", &loan, "approve").await.0, 200);
    assert_eq!(w.decide("deputy", &loan, "approve").await.0, 200);
    let lid = id(&loan);
    let path = format!("/api/v1/access/requests/{lid}");
    assert_eq!(
        w.post("keeper", &format!("{path}/loan"), json!({})).await.0,
        200
    );
    assert_eq!(
        w.post("keeper", &format!("{path}/return"), json!({}))
            .await
            .0,
        200
    );
    let (_, issued) = entry(&w, &format!("request:{lid}"), "loan.issued").await;
    let due_ms = issued["due_ms"].as_i64().unwrap();
    for kind in ["loan", "return"] {
        let r = rows(&w, &recs[2], kind).await;
        assert_eq!(r.len(), 1, "{kind}: {r:?}");
        let r = &r[0];
        assert_eq!(r["actor_name"], "张伟", "{kind}");
        assert_eq!(r["approved_by"], "郭磊、周丽", "{kind}");
        assert_eq!(r["purpose"], "整改复查比对", "{kind}");
        assert_eq!(r["grant_id"], issued["grant"], "{kind}");
        let note = r["note"].as_str().unwrap_or_default();
        assert!(
            note.contains(&format!("应还 {}", local(&w, due_ms))),
            "{kind} due date: {note}"
        );
    }

    // An outside visit: a court, its papers attached, the department consents.
    let visit = w
        .file(
            "keeper",
            json!({ "kind": "outside", "records": [recs[3]], "purpose": "审理（2026）豫0402行初12号案件需要",
                "outside": { "type": "court", "name": "刘法官", "unit": "某区人民法院", "id_number": "410402198503150011", "copy": false } }),
        )
        .await;
    let vid = id(&visit);
    let http = w.app.client();
    for paper in ["introduction_letter", "id_card"] {
        let res = http
            .put(w.app.url(&format!(
                "/api/v1/access/requests/{vid}/papers/{paper}?file_name={paper}.pdf"
            )))
            .bearer_auth(&w.who("keeper").token)
            .header("content-type", "application/pdf")
            .body(format!("%PDF-1.4 scan of {paper}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{paper}");
    }
    assert_eq!(w.decide("dept", &visit, "approve").await.0, 200);
    let (s, v) = w
        .post(
            "keeper",
            &format!("/api/v1/access/requests/{vid}/visits"),
            json!({ "note": "当场查阅" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (visit_seq, _) = entry(&w, &format!("request:{vid}"), "visit.outside").await;
    let r = rows(&w, &recs[3], "outside").await;
    assert_eq!(r.len(), 1, "{r:?}");
    let r = &r[0];
    assert_eq!(r["seq"], visit_seq);
    assert_eq!(r["actor_name"], "刘法官");
    assert_eq!(r["actor_unit"], "某区人民法院");
    assert_eq!(r["requester_type"], "court");
    assert_eq!(r["approved_by"], "郭磊");
    assert_eq!(r["purpose"], "审理（2026）豫0402行初12号案件需要");
    assert!(r["note"].as_str().unwrap().contains("登记人 赵敏"), "{r}");
    assert_eq!(r["case_name"], case_name);
}

async fn raw(w: &World, key: &str, path: &str) -> (u16, Vec<u8>) {
    let res = w
        .app
        .client()
        .get(w.app.url(path))
        .bearer_auth(&w.who(key).token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn uses_of_labelled_records_are_redacted_for_readers_not_cleared() {
    let w = World::new().await;
    let secret = w.record(GX, "张伟").await;
    let plain = w.record(GX, "张伟").await;
    let case = w
        .case("高新应急检〔2026〕41号", &["张伟"], &[&secret], true)
        .await;
    // A record of a labelled case: the label is on the case.
    let (s, v) = w
        .post(
            "keeper",
            &format!("/api/v1/cases/{case}/labels"),
            json!({ "label": "state_secret", "set": true, "reason": "涉及国家秘密事项" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    for r in [&secret, &plain] {
        assert_eq!(
            w.get("officer", &format!("/api/v1/records/{r}")).await.0,
            200
        );
    }
    let marker = "涉密记录（国家秘密）";

    // The keeper is cleared for state secrets: everything shows.
    let (_, v) = w
        .get("keeper", &format!("/api/v1/register?record={secret}"))
        .await;
    let full = &v["rows"][0];
    assert_eq!(full["case_name"], "某化工有限公司安全生产检查", "{v}");
    let file = full["record_name"].as_str().unwrap().to_owned();
    assert_eq!(full["party"], "平顶山市某化工有限公司");

    // The archive keeper and the supervisor are not: the use is listed, redacted.
    for reader in ["archive", "supervisor"] {
        let (s, v) = w
            .get(reader, &format!("/api/v1/register?record={secret}"))
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["total"], 1, "{reader}: the use is still registered");
        let r = &v["rows"][0];
        assert_eq!(r["case_name"], marker, "{reader}");
        for hidden in ["record_name", "party", "device", "purpose", "note"] {
            assert_eq!(r[hidden], Value::Null, "{reader}: {hidden}");
        }
        assert_eq!(r["actor_name"], "张伟", "who used it stays");
        assert_eq!(r["record_id"], secret.as_str(), "traceable");
        let html = w.get(reader, "/register").await.1;
        let html = html.as_str().unwrap();
        assert!(html.contains(marker), "{reader}: the page marks it");
        assert!(!html.contains(&file), "{reader}: no file name on the page");
    }
    // A search on case or text cannot find it by what is hidden.
    let (_, v) = w.get("archive", "/api/v1/register?q=某化工有限公司").await;
    let found: Vec<&str> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["record_id"].as_str())
        .collect();
    assert_eq!(found, [plain.as_str()], "{v}");
    assert_eq!(v["total"], 1);
    let (_, v) = w.get("archive", "/api/v1/register?case=某化工").await;
    assert_eq!(v["total"], 1, "{v}");

    // The exports carry the same redaction.
    let (s, csv) = raw(
        &w,
        "archive",
        &format!("/api/v1/register/export?format=csv&record={secret}"),
    )
    .await;
    assert_eq!(s, 200);
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains(marker), "{csv}");
    for hidden in [
        file.as_str(),
        "平顶山市某化工有限公司",
        "某化工有限公司安全生产检查",
        "DSJ-03",
    ] {
        assert!(!csv.contains(hidden), "CSV shows {hidden}: {csv}");
    }
    let (s, pdf) = raw(
        &w,
        "archive",
        &format!("/api/v1/register/export?format=pdf&record={secret}"),
    )
    .await;
    assert_eq!(s, 200);
    let path = w.app.data.parent().unwrap().join("register.pdf");
    std::fs::write(&path, pdf).unwrap();
    if let Some(text) = crate::support::pdf_text(&path) {
        assert!(text.contains("涉密记录"), "{text}");
        assert!(!text.contains("某化工") && !text.contains("DSJ"), "{text}");
    }

    // An alert's evidence about the record shows no details to the supervisor.
    let (s, _) = w
        .call(
            "keeper",
            reqwest::Method::DELETE,
            &format!("/api/v1/records/{secret}"),
            None,
        )
        .await;
    assert_eq!(s, 403);
    let (s, html) = w.get("supervisor", "/alerts?kind=tamper_attempt").await;
    assert_eq!(s, 200);
    let html = html.as_str().unwrap();
    assert!(html.contains("试图删除或篡改原始记录"), "{html}");
    assert!(html.contains(marker), "evidence redacted: {html}");
}
