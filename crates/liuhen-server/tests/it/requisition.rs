//! Courts and reconsideration bodies requisition files (调卷, R4.6) through a path of their
//! own (issue 17), recorded as such, instead of the outside-copy flow.

use serde_json::json;

use crate::access_world::{GX, World};

use crate::support::Entry;

#[tokio::test]
async fn courts_requisition_files_through_their_own_path() {
    let w = World::new().await;
    let mut recs = Vec::new();
    for _ in 0..2 {
        recs.push(w.record(GX, "李娜").await);
    }
    let refs: Vec<&str> = recs.iter().map(String::as_str).collect();
    w.case("高新应急检〔2026〕71号", &["李娜"], &refs, true)
        .await;
    let court = |kind: &str, basis: &str| {
        json!({
            "kind": "outside", "records": recs, "purpose": "审理行政诉讼案件",
            "legal_basis": basis,
            "outside": { "type": kind, "name": "刘法官", "unit": "某区人民法院",
                         "id_number": "410402198503150011", "requisition": true }
        })
    };
    // Only the requester types the policy names may requisition, and with a basis.
    let (s, v) = w
        .post(
            "keeper",
            "/api/v1/access/requests",
            court("public_security", "（2026）豫0402行初12号"),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("不能调卷"),
        "{v}"
    );
    let (s, v) = w
        .post("keeper", "/api/v1/access/requests", court("court", " "))
        .await;
    assert_eq!(s, 400, "{v}");

    let req = w
        .file("keeper", court("court", "（2026）豫0402行初12号"))
        .await;
    assert_eq!(req["flow"], json!(["legal_review"]), "{req}");
    assert_eq!(req["outside_action"], "requisition", "{req}");
    let rid = req["id"].as_str().unwrap().to_owned();
    let http = w.app.client();
    for paper in ["introduction_letter", "id_card"] {
        let res = http
            .put(w.app.url(&format!(
                "/api/v1/access/requests/{rid}/papers/{paper}?file_name={paper}.pdf"
            )))
            .bearer_auth(&w.who("keeper").token)
            .header("content-type", "application/pdf")
            .body(format!("%PDF-1.4 scan of {paper}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{paper}");
    }
    let (s, v) = w.decide("legal", &req, "approve").await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = w
        .post(
            "keeper",
            &format!("/api/v1/access/requests/{rid}/visits"),
            json!({ "note": "法院调取案卷两份" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");

    // Recorded as a requisition: its own log action and register kind.
    let log = w.entries(&format!("request:{rid}")).await;
    let actions: Vec<&str> = log
        .iter()
        .map(|Entry { action: a, .. }| a.as_str())
        .collect();
    assert!(actions.contains(&"file.requisitioned"), "{actions:?}");
    assert!(!actions.contains(&"visit.outside"), "{actions:?}");
    let entry = log
        .iter()
        .find(|Entry { action: a, .. }| a == "file.requisitioned")
        .unwrap();
    assert_eq!(entry.details["requester"]["type"], "court");
    assert_eq!(entry.details["legal_basis"], "（2026）豫0402行初12号");
    let (s, v) = w
        .get(
            "archive",
            &format!("/api/v1/register?record={}&kind=requisition", recs[0]),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{v}");
    assert_eq!(rows[0]["approved_by"], "陈静", "{v}");
}
