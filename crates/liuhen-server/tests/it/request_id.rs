//! Every response names its request (`X-Request-Id`); the id is taken over only from a
//! trusted proxy and only when it is a plain token; the error page shows it.

use liuhen_domain::Role;

use crate::support::TestApp;

async fn id_of(app: &TestApp, client: &reqwest::Client, path: &str, sent: Option<&str>) -> String {
    let mut req = client.get(app.url(path));
    if let Some(v) = sent {
        req = req.header("x-request-id", v);
    }
    let res = req.send().await.unwrap();
    res.headers()
        .get("x-request-id")
        .unwrap_or_else(|| panic!("{path}: no X-Request-Id"))
        .to_str()
        .unwrap()
        .to_owned()
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::parse_str(s).is_ok()
}

#[tokio::test]
async fn every_response_has_a_fresh_id_and_an_untrusted_one_is_ignored() {
    let app = TestApp::new().await;
    let c = app.client();
    let mut seen = std::collections::HashSet::new();
    for path in [
        "/healthz",
        "/login",
        "/assets/app.css",
        "/no-such-page",
        "/api/v1/records",
    ] {
        let id = id_of(&app, &c, path, None).await;
        assert!(is_uuid(&id), "{path}: {id}");
        assert!(seen.insert(id), "{path}: id reused");
    }
    // The test client is not a trusted proxy: its id is not taken over.
    let id = id_of(&app, &c, "/healthz", Some("from-the-client")).await;
    assert!(is_uuid(&id), "{id}");
}

#[tokio::test]
async fn a_trusted_proxys_plain_id_is_kept_and_a_strange_one_replaced() {
    let app = TestApp::with_config("[security]\ntrusted_proxies = [\"127.0.0.1\"]\n").await;
    let c = app.client();
    assert_eq!(
        id_of(&app, &c, "/healthz", Some("nginx-4f2a.7_b")).await,
        "nginx-4f2a.7_b"
    );
    for strange in ["两个字", "a b", &"x".repeat(65)] {
        let id = id_of(&app, &c, "/healthz", Some(strange)).await;
        assert!(is_uuid(&id), "{strange:?} → {id}");
    }
}

#[tokio::test]
async fn the_error_page_shows_the_request_id() {
    let app = TestApp::new().await;
    let (name, password) = app.user("zhaomin", &[Role::RecordsKeeper], "某局").await;
    let c = app.client();
    app.login(&c, &name, &password).await;
    let res = c
        .get(app.url("/records/not-a-record-id"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let html = res.text().await.unwrap();
    assert!(html.contains("请求编号"), "{html}");
    assert!(
        html.contains(&format!("<code class=\"request-id\">{id}</code>")),
        "{html}"
    );
}
