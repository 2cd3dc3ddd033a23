//! Grants and labels bound to their log entries (issue 17): authorization read them
//! straight from their tables, so a database edit of a grant's expiry or a label changed
//! who sees what with no trace. Now a decision on such a row is a refusal, logged with
//! reason `binding_broken`, and shown to supervisors as a tamper attempt.

use serde_json::{Value, json};

use crate::access_world::{GX, World};

use crate::support::Entry;

async fn tamper_alerts(w: &World) -> Vec<Value> {
    let (s, v) = w
        .get("supervisor", "/api/v1/alerts?kind=tamper_attempt")
        .await;
    assert_eq!(s, 200, "{v}");
    v["alerts"].as_array().unwrap().clone()
}

fn binding_refusals(entries: &[Entry]) -> Vec<Value> {
    entries
        .iter()
        .filter(
            |Entry {
                 action: a,
                 details: d,
                 ..
             }| a == "access.refused" && d["reason"] == "binding_broken",
        )
        .map(|Entry { details: d, .. }| d.clone())
        .collect()
}

#[tokio::test]
async fn grant_or_label_edited_in_the_database_is_refused_and_alerted() {
    let w = World::new().await;
    let mut recs = Vec::new();
    for _ in 0..2 {
        recs.push(w.record(GX, "李娜").await);
    }
    let refs: Vec<&str> = recs.iter().map(String::as_str).collect();
    w.case("高新应急检〔2026〕61号", &["李娜"], &refs, true)
        .await;

    // A view grant of the first record, used once as granted.
    let view = w
        .file(
            "officer",
            json!({ "kind": "view", "records": [recs[0]], "purpose": "类案研究" }),
        )
        .await;
    assert_eq!(w.decide("dept", &view, "approve").await.0, 200);
    let path = format!("/api/v1/records/{}", recs[0]);
    let (s, v) = w.get("officer", &path).await;
    assert_eq!(
        s,
        200,
        "{v} {:?}",
        w.entries(&format!("record:{}", recs[0])).await
    );
    assert!(tamper_alerts(&w).await.is_empty());

    // Someone with database access widens the grant to download the original.
    w.sql(
        "UPDATE access_grants SET can_download = 1 WHERE request_id = ?",
        view["id"].as_str().unwrap(),
    )
    .await;
    let (s, v) = w.get("officer", &path).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("binding_broken")),
        "{v}"
    );
    let refused = binding_refusals(&w.entries(&format!("record:{}", recs[0])).await);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0]["action"], "record.view");
    assert!(
        refused[0]["binding"]
            .as_str()
            .unwrap()
            .starts_with("grant:")
    );
    let alerts = tamper_alerts(&w).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");

    // A state-secret label set through the workflow hides the second record from the
    // supervisor; deleting its row in the database does not reveal it.
    let (s, v) = w
        .post(
            "keeper",
            &format!("/api/v1/records/{}/labels", recs[1]),
            json!({ "label": "state_secret", "set": true, "reason": "涉及国家秘密" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let path = format!("/api/v1/records/{}", recs[1]);
    let (s, _) = w.get("supervisor", &path).await;
    // Not cleared and never granted: as if it did not exist (404), the refusal logged.
    assert_eq!(s, 404, "not cleared for state secrets");
    w.sql("DELETE FROM record_labels WHERE record_id = ?", &recs[1])
        .await;
    let (s, v) = w.get("supervisor", &path).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("binding_broken")),
        "{v}"
    );
    // the keeper (cleared, same unit) is refused too: the row decides nothing until restored
    let (s, v) = w.get("keeper", &path).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("binding_broken")),
        "{v}"
    );
    let refused = binding_refusals(&w.entries(&format!("record:{}", recs[1])).await);
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert_eq!(refused[0]["binding"], format!("labels:record:{}", recs[1]));
    assert_eq!(tamper_alerts(&w).await.len(), 3, "one per person and day");
}

/// Lists too (issue 17): a record search selects rows in SQL from the grant and label
/// tables, so an edited row would put a record in someone's list; such a row is left out,
/// refused with `binding_broken` (the list's query in the entry) and alerted.
#[tokio::test]
async fn list_rows_whose_grant_or_label_binding_is_broken_are_left_out_and_alerted() {
    let w = World::new().await;
    let mut recs = Vec::new();
    for _ in 0..2 {
        recs.push(w.record(GX, "李娜").await);
    }
    let refs: Vec<&str> = recs.iter().map(String::as_str).collect();
    w.case("高新应急检〔2026〕62号", &["李娜"], &refs, true)
        .await;
    let ids = |v: &Value| -> Vec<String> {
        v["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    };
    // The state-secret label hides the second record from the supervisor's list.
    let (s, v) = w
        .post(
            "keeper",
            &format!("/api/v1/records/{}/labels", recs[1]),
            json!({ "label": "state_secret", "set": true, "reason": "涉及国家秘密" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = w.get("supervisor", "/api/v1/records?officer=李娜").await;
    assert_eq!(s, 200, "{v}");
    let listed = ids(&v);
    assert!(listed.contains(&recs[0]), "{v}");
    assert!(!listed.contains(&recs[1]), "{v}");
    assert!(tamper_alerts(&w).await.is_empty());

    // The label row deleted in the database: without the check the record would now be
    // listed to the supervisor.
    w.sql("DELETE FROM record_labels WHERE record_id = ?", &recs[1])
        .await;
    let (s, v) = w.get("supervisor", "/api/v1/records?officer=李娜").await;
    assert_eq!(s, 200, "{v}");
    let listed = ids(&v);
    assert!(listed.contains(&recs[0]), "{v}");
    assert!(
        !listed.contains(&recs[1]),
        "the tampered row is left out: {v}"
    );
    let refused = binding_refusals(&w.entries(&format!("record:{}", recs[1])).await);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0]["binding"], format!("labels:record:{}", recs[1]));
    assert_eq!(
        refused[0]["list"]["query"]["officer"], "李娜",
        "{refused:?}"
    );
    assert_eq!(tamper_alerts(&w).await.len(), 1);
    // the unaffected record stays visible and its rows were not refused
    assert!(binding_refusals(&w.entries(&format!("record:{}", recs[0])).await).is_empty());
}
