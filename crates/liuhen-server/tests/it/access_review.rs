//! Issue 18: whoever must decide a pending request's step views and plays exactly its
//! records, while it waits for him; not before his turn, not after his decision, and
//! never another record.

use serde_json::{Value, json};

use crate::access_world::{GX, World};

async fn views(w: &World, key: &str, record: &str) -> u16 {
    w.get(key, &format!("/api/v1/records/{record}")).await.0
}

async fn plays(w: &World, key: &str, record: &str) -> (u16, Value) {
    w.post(
        key,
        &format!("/api/v1/records/{record}/playback"),
        json!({ "intervals": [[0.0, 0.0]] }),
    )
    .await
}

#[tokio::test]
async fn the_legal_office_sees_the_records_it_reviews_while_the_request_waits() {
    let w = World::new().await;
    let asked = w.record(GX, "李娜").await;
    let other = w.record(GX, "李娜").await;
    w.case("高新应急检〔2026〕18号", &["李娜"], &[&asked, &other], true)
        .await;
    assert_ne!(views(&w, "legal", &asked).await, 200, "no request, no view");
    let req = w
        .file(
            "officer",
            json!({ "kind": "copy", "records": [asked], "purpose": "行政诉讼举证", "discs": 1 }),
        )
        .await;
    let rid = req["id"].as_str().unwrap().to_owned();
    let number = req["number"].as_str().unwrap().to_owned();
    assert!(
        number.starts_with("平高应急复字〔") && number.ends_with("〕1号"),
        "the first copy request of the unit this year: {number}"
    );
    // The request page shows the legal office what it reviews, by its number.
    let (s, page) = w.get("legal", &format!("/access/requests/{rid}")).await;
    assert_eq!(s, 200, "{page}");
    let page = page.as_str().unwrap().to_owned();
    for shown in [
        number.as_str(),
        "高新应急检〔2026〕18号",
        "平顶山市某化工有限公司",
        "李娜",
        "20261103_0930",
    ] {
        assert!(page.contains(shown), "{shown} missing");
    }
    assert!(page.contains("id=\"request-records\""), "{page}");
    // The legal office's turn: it views and plays the request's record, not the other.
    assert_eq!(views(&w, "legal", &asked).await, 200);
    let (s, v) = plays(&w, "legal", &asked).await;
    assert_eq!(s, 200, "{v}");
    assert_ne!(
        views(&w, "legal", &other).await,
        200,
        "only the request's records"
    );
    // The leader's turn has not come.
    assert_ne!(views(&w, "leader", &asked).await, 200);
    // The use is logged, naming the request it was reviewed for.
    let legal = w.who("legal").principal.user_id.clone();
    let entries = w.entries(&format!("record:{asked}")).await;
    assert!(
        entries.iter().any(|e| e.actor == legal
            && e.action == "record.played"
            && e.details["reviewing"] == rid),
        "{entries:?}"
    );
    let (s, v) = w.decide("legal", &req, "approve").await;
    assert_eq!(s, 200, "{v}");
    // Decided: the legal office's view ends; the leader's begins.
    assert_ne!(views(&w, "legal", &asked).await, 200);
    assert_eq!(views(&w, "leader", &asked).await, 200);
    let (s, v) = w.decide("leader", &req, "approve").await;
    assert_eq!(s, 200, "{v}");
    assert_ne!(views(&w, "leader", &asked).await, 200, "no longer pending");
}
