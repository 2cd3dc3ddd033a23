//! Links between the case and access pages: a case page links to the case's labels for
//! those the policy lets label cases; an outside request's paper scans can be opened from
//! the request page, by those who decide or handle the request only, each opening logged.

use serde_json::json;

use crate::access_world::{GX, World};

use crate::support::Entry;

#[tokio::test]
async fn case_pages_link_to_their_labels_for_those_who_label_cases() {
    let w = World::new().await;
    let rec = w.record(GX, "张伟").await;
    let case = w
        .case("高新应急检〔2026〕51号", &["张伟"], &[&rec], false)
        .await;
    let link = format!("href=\"/access/labels?case={case}\"");
    let (s, html) = w.get("keeper", &format!("/cases/{case}")).await;
    assert_eq!(s, 200, "{html}");
    assert!(
        html.as_str().unwrap().contains(&link),
        "keeper labels cases"
    );
    let (s, html) = w.get("officer", &format!("/cases/{case}")).await;
    assert_eq!(s, 200, "{html}");
    assert!(
        !html.as_str().unwrap().contains(&link),
        "an officer does not"
    );
    // The link leads to a working form for the case.
    let (s, html) = w
        .get("keeper", &format!("/access/labels?case={case}"))
        .await;
    assert_eq!(s, 200);
    assert!(html.as_str().unwrap().contains(&case));
    // Those who may not label do not read the labels either; the refusal is logged.
    for path in [
        format!("/access/labels?case={case}"),
        format!("/access/labels?record={rec}"),
    ] {
        let (s, _) = w.get("officer", &path).await;
        assert_eq!(s, 403, "{path}");
    }
    let refused = w
        .app
        .custody
        .db()
        .entries_for(&format!("case:{case}"))
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "access.refused" && e.body.contains("case.label"))
        .count();
    assert_eq!(refused, 1);
}

#[tokio::test]
async fn paper_scans_open_from_the_request_for_those_involved_and_are_logged() {
    let w = World::new().await;
    let rec = w.record(GX, "李娜").await;
    w.case("高新应急检〔2026〕52号", &["李娜"], &[&rec], true)
        .await;
    let req = w
        .file(
            "keeper",
            json!({ "kind": "outside", "records": [rec], "purpose": "审理需要",
                "outside": { "type": "court", "name": "刘法官", "unit": "某区人民法院", "id_number": "410402198503150011", "copy": false } }),
        )
        .await;
    let rid = req["id"].as_str().unwrap().to_owned();
    let http = w.app.client();
    let put = |paper: &'static str, media: &'static str, body: &'static str| {
        let http = http.clone();
        let url = w.app.url(&format!(
            "/api/v1/access/requests/{rid}/papers/{paper}?file_name=扫描件-{paper}.pdf"
        ));
        let token = w.who("keeper").token.clone();
        async move {
            let res = http
                .put(url)
                .bearer_auth(token)
                .header("content-type", media)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{paper}");
        }
    };
    put("id_card", "application/pdf", "%PDF-1.4 身份证扫描件").await;
    put(
        "introduction_letter",
        "text/html",
        "<script>alert(1)</script>",
    )
    .await;

    // The request page links to each attached scan.
    let url = format!("/api/v1/access/requests/{rid}/papers/id_card");
    let (s, page) = w.get("keeper", &format!("/access/requests/{rid}")).await;
    assert_eq!(s, 200);
    assert!(page.as_str().unwrap().contains(&format!("href=\"{url}\"")));

    let open = |key: &'static str, url: String| {
        let http = http.clone();
        let url = w.app.url(&url);
        let token = w.who(key).token.clone();
        async move {
            let res = http.get(url).bearer_auth(token).send().await.unwrap();
            let status = res.status().as_u16();
            let h = res.headers().clone();
            (status, h, res.bytes().await.unwrap().to_vec())
        }
    };
    for key in ["keeper", "dept"] {
        let (s, h, body) = open(key, url.clone()).await;
        assert_eq!(s, 200, "{key}");
        assert_eq!(body, "%PDF-1.4 身份证扫描件".as_bytes());
        assert_eq!(h["content-type"], "application/pdf");
        let disposition = h["content-disposition"].to_str().unwrap();
        assert!(
            disposition.starts_with("inline; filename=\"")
                && disposition.contains("; filename*=UTF-8''%E6%89%AB%E6%8F%8F%E4%BB%B6"),
            "{disposition}"
        );
    }
    // A scan of another type is never rendered by the browser.
    let (s, h, _) = open(
        "keeper",
        format!("/api/v1/access/requests/{rid}/papers/introduction_letter"),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(h["content-type"], "application/octet-stream");
    assert!(
        h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    // Not involved, or no such paper: nothing.
    assert_eq!(open("camera", url.clone()).await.0, 404);
    assert_eq!(open("other_keeper", url.clone()).await.0, 404);
    assert_eq!(
        open(
            "keeper",
            format!("/api/v1/access/requests/{rid}/papers/lawyer_letter")
        )
        .await
        .0,
        404
    );
    // Each opening is logged with the paper and its digest.
    let viewed: Vec<_> = w
        .entries(&format!("request:{rid}"))
        .await
        .into_iter()
        .filter(|Entry { action: a, .. }| a == "access.paper_viewed")
        .collect();
    assert_eq!(viewed.len(), 3, "{viewed:?}");
    assert_eq!(viewed[0].actor, w.who("keeper").principal.user_id);
    assert_eq!(viewed[0].details["paper"], "id_card");
    assert_eq!(viewed[0].details["sha256"].as_str().unwrap().len(), 64);
}

/// Issue 10: an outside requester's papers (ID card) are personal information — only who
/// decides or handles that request opens them, never an unrelated approver or supervisor.
#[tokio::test]
async fn paper_scan_by_an_unrelated_approver_is_refused() {
    let w = World::new().await;
    let rec = w.record(GX, "李娜").await;
    w.case("高新应急检〔2026〕53号", &["李娜"], &[&rec], true)
        .await;
    let req = w
        .file(
            "keeper",
            json!({ "kind": "outside", "records": [rec], "purpose": "审理需要",
                "discs": 1, "legal_basis": "行政诉讼案件审理需要",
                "outside": { "type": "court", "name": "刘法官", "unit": "某区人民法院", "id_number": "410402198503150011", "copy": true } }),
        )
        .await;
    let rid = req["id"].as_str().unwrap().to_owned();
    let http = w.app.client();
    for paper in ["id_card", "introduction_letter"] {
        let res = http
            .put(w.app.url(&format!(
                "/api/v1/access/requests/{rid}/papers/{paper}?file_name={paper}.pdf"
            )))
            .bearer_auth(&w.who("keeper").token)
            .header("content-type", "application/pdf")
            .body("%PDF-1.4 扫描件")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{paper}");
    }
    let url = w
        .app
        .url(&format!("/api/v1/access/requests/{rid}/papers/id_card"));
    let open = |key: &'static str| {
        let http = http.clone();
        let url = url.clone();
        let token = w.who(key).token.clone();
        async move {
            let res = http.get(url).bearer_auth(token).send().await.unwrap();
            res.status().as_u16()
        }
    };
    // Flow consent → legal_review → leader_approval. Hand-written expectations:
    // (person, status) before any decision …
    for (key, want) in [
        ("keeper", 200),     // registered and handles it
        ("dept", 200),       // decides the pending step (consent)
        ("dept2", 200),      // so may any holder of that step's role, until it is decided
        ("legal", 403),      // a later step, not reached yet
        ("leader", 403),     // a later step, not reached yet
        ("supervisor", 403), // supervises, neither decides nor handles
        ("camera", 404),     // not involved at all
    ] {
        assert_eq!(open(key).await, want, "before: {key}");
    }
    let (s, v) = w.decide("dept", &req, "approve").await;
    assert_eq!(s, 200, "{v}");
    // … and after 郭磊 (dept) gave consent.
    for (key, want) in [
        ("dept", 200),   // decided a step
        ("dept2", 403),  // an approver unrelated to this request now
        ("legal", 200),  // decides the pending step now
        ("leader", 403), // not reached yet
        ("supervisor", 403),
    ] {
        assert_eq!(open(key).await, want, "after consent: {key}");
    }
    let refused = w
        .entries(&format!("request:{rid}"))
        .await
        .into_iter()
        .filter(
            |Entry {
                 action: a,
                 details: d,
                 ..
             }| a == "access.refused" && d["reason"] == "not_deciding_or_handling",
        )
        .count();
    assert_eq!(refused, 6, "each refusal is logged (3 before, 3 after)");
}
