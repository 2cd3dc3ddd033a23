//! Issue 18: the home page counts what waits for the person, of only what the person may
//! see — the approvals waiting for the legal office, an officer's late uploads, the
//! requester's decision — instead of the bureau's totals.

use serde_json::json;

use crate::access_world::{GX, World};

async fn home(w: &World, key: &str) -> String {
    let (s, page) = w.get(key, "/").await;
    assert_eq!(s, 200, "{key}: {page}");
    page.as_str().unwrap().to_owned()
}

#[tokio::test]
async fn home_shows_each_person_their_own_work() {
    let w = World::new().await;
    let mine = w.record(GX, "张伟").await;
    // Stored late (simulated in the database, as the world simulates time).
    w.sql("UPDATE records SET late = 1 WHERE id = $1", &mine)
        .await;
    let theirs = w.record(GX, "李娜").await;
    w.case("高新应急检〔2026〕28号", &["李娜"], &[&theirs], true)
        .await;
    let officer = home(&w, "officer").await;
    assert!(officer.contains("id=\"todo-late\""), "{officer}");
    let legal = home(&w, "legal").await;
    assert!(
        !legal.contains("id=\"todo-late\""),
        "not the legal office's records"
    );
    assert!(!legal.contains("id=\"todo-requests\""), "nothing waits yet");
    let req = w
        .file(
            "officer",
            json!({ "kind": "copy", "records": [theirs], "purpose": "行政诉讼举证", "discs": 1 }),
        )
        .await;
    let legal = home(&w, "legal").await;
    assert!(legal.contains("id=\"todo-requests\""), "{legal}");
    assert_eq!(w.decide("legal", &req, "approve").await.0, 200);
    assert_eq!(w.decide("leader", &req, "reject").await.0, 200);
    let legal = home(&w, "legal").await;
    assert!(!legal.contains("id=\"todo-requests\""), "decided: gone");
    // The requester sees the decision, by the request's number.
    let officer = home(&w, "officer").await;
    let number = req["number"].as_str().unwrap();
    assert!(officer.contains("id=\"my-decided\""), "{officer}");
    assert!(officer.contains(number), "{officer}");
    // The count is of records one may see: the officer sees his own, not the bureau's.
    let count = |page: &str| -> u64 {
        let at = page.find("id=\"home-records\">").unwrap() + "id=\"home-records\">".len();
        page[at..].split('<').next().unwrap().parse().unwrap()
    };
    assert_eq!(count(&officer), 1, "{mine} only");
    assert_eq!(
        count(&home(&w, "keeper").await),
        2,
        "the keeper sees the unit's"
    );
}
