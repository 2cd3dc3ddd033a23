//! Issue 12, scheduled fixity and verify's coverage, through the server: a corrupted
//! original's download is cut before its last bytes and alerted; the health page and
//! `/healthz` show the last full pass; access rows edited in the database fail `verify`.

use liuhen_app::verify::{Quiet, VerifyOptions};
use serde_json::{Value, json};

use crate::access_world::{GX, World};

use crate::support::Entry;

async fn problems(w: &World) -> Vec<(String, String)> {
    let r = w
        .app
        .custody
        .verify(VerifyOptions { fixity: true }, &Quiet)
        .await
        .unwrap();
    // The world archives its cases directly in the database (`case_edited`, rightly):
    // that is not what these tests are about.
    r.problems
        .iter()
        .filter(|p| p.code != "case_edited")
        .map(|p| (p.code.to_owned(), p.subject.clone()))
        .collect()
}

#[tokio::test]
async fn a_corrupted_original_download_is_cut_and_alerted() {
    let w = World::new().await;
    let id = w.record(GX, "李娜").await;
    let c = &w.app.custody;
    let rid = liuhen_domain::RecordId::parse(&id).unwrap();
    let record = c.record(&rid).await.unwrap();
    let path = format!("/api/v1/records/{id}/original");
    let http = w.app.client();
    let token = &w.who("keeper").token;

    // Intact: the whole file, as recorded.
    let res = http
        .get(w.app.url(&path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body = res.bytes().await.unwrap();
    assert_eq!(body.len() as u64, record.size_bytes);

    // One byte flipped in the stored file, same length.
    let blob = c.blobs().local_path(&record.sha256).expect("local store");
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[3] ^= 0x20;
    let mut perms = std::fs::metadata(&blob).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&blob, perms).unwrap();
    std::fs::write(&blob, &bytes).unwrap();

    let res = http
        .get(w.app.url(&path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "headers go before the bytes are checked");
    let got = res.bytes().await;
    match got {
        Err(_) => {}
        Ok(b) => assert!(
            (b.len() as u64) < record.size_bytes,
            "the client must not receive the whole altered file ({} bytes)",
            b.len()
        ),
    }
    // Logged and alerted (the entry is durable before the connection is cut).
    let entries = w.entries(&format!("record:{id}")).await;
    let cut: Vec<&Value> = entries
        .iter()
        .filter(|Entry { action: a, .. }| a == "record.download_aborted")
        .map(|Entry { details: d, .. }| d)
        .collect();
    assert_eq!(cut.len(), 1, "{entries:?}");
    assert_eq!(cut[0]["expected_sha256"], record.sha256.to_hex());
    assert_ne!(cut[0]["found_sha256"], record.sha256.to_hex());
    let (s, v) = w
        .get("supervisor", "/api/v1/alerts?kind=integrity_failure")
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["alerts"].as_array().unwrap().len(), 1, "{v}");

    // A pass finds it too; /healthz and the health page show the pass.
    let pass = c.fixity_pass("system", 0).await.unwrap();
    assert_eq!(pass.findings.len(), 1);
    assert_eq!(pass.findings[0].outcome, "blob_corrupt");
    let health: Value = http
        .get(w.app.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["fixity"]["failed"], 1, "{health}");
    assert_eq!(health["fixity"]["originals"], 1, "{health}");
    let page = http
        .get(w.app.url("/health"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("最近一轮完整校验完成于"), "{html}");
    assert!(html.contains(r#"<span class="tag bad">1</span>"#), "{html}");
}

#[tokio::test]
async fn access_rows_edited_in_the_database_fail_verify() {
    let w = World::new().await;
    let mut recs = Vec::new();
    for _ in 0..2 {
        recs.push(w.record(GX, "李娜").await);
    }
    let refs: Vec<&str> = recs.iter().map(String::as_str).collect();
    w.case("高新应急检〔2026〕62号", &["李娜"], &refs, true)
        .await;
    let view = w
        .file(
            "officer",
            json!({ "kind": "view", "records": [recs[0]], "purpose": "类案研究" }),
        )
        .await;
    assert_eq!(w.decide("dept", &view, "approve").await.0, 200);
    let request = view["id"].as_str().unwrap();
    assert_eq!(problems(&w).await, [], "a clean store verifies");

    w.sql(
        "UPDATE access_approvals SET comment = '不同意' WHERE request_id = ?",
        request,
    )
    .await;
    let found = problems(&w).await;
    assert_eq!(
        found,
        [(
            "approval_edited".to_owned(),
            format!("approval:{request}:consent")
        )]
    );
    w.sql(
        "UPDATE access_approvals SET comment = '同意' WHERE request_id = ?",
        request,
    )
    .await;
    assert_eq!(problems(&w).await, []);

    w.sql(
        "UPDATE access_grants SET expires_ms = expires_ms + 86400000 WHERE request_id = ?",
        request,
    )
    .await;
    let found = problems(&w).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "grant_edited");

    w.sql(
        "UPDATE access_requests SET purpose = '其他' WHERE id = ?",
        request,
    )
    .await;
    let codes: Vec<String> = problems(&w).await.into_iter().map(|p| p.0).collect();
    assert!(codes.contains(&"request_edited".to_owned()), "{codes:?}");
}
