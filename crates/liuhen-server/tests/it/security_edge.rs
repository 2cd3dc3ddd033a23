//! Issue 10, items 4–5: bounded input at the edge, sign-in throttling per address, zero-length
//! uploads, HSTS, `/lang` redirects. Each test is named after the hole it pins.

use liuhen_domain::Role;
use reqwest::StatusCode;
use sha2::Digest;

use crate::support::{TestApp, location};
use crate::uploads::{TUS, api_user, b64};

const UNIT: &str = "平顶山高新区应急管理局";

async fn log_size(app: &TestApp) -> u64 {
    app.custody.db().log_size().await.unwrap()
}

/// A client whose connections come from `ip` (any 127/8 address reaches the server on Linux).
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(ip.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn fail(app: &TestApp, c: &reqwest::Client, name: &str, password: &str) -> (u16, String) {
    let res = app.post_login(c, name, password).await;
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn login_csrf_a_sign_in_from_another_site_is_refused() {
    let app = TestApp::new().await;
    let (u, pw) = app.user("wangfang", &[Role::Officer], UNIT).await;
    let before = log_size(&app).await;
    // A form posted from elsewhere carries no token of this browser's sign-in page.
    let c = app.client();
    for form in [
        vec![("username", u.as_str()), ("password", pw.as_str())],
        vec![
            ("username", u.as_str()),
            ("password", pw.as_str()),
            ("csrf", "0".repeat(64).as_str()),
        ],
    ] {
        let res = c.post(app.url("/login")).form(&form).send().await.unwrap();
        assert_eq!(res.status(), 403);
        assert!(
            res.headers()
                .get_all("set-cookie")
                .iter()
                .all(|v| !v.to_str().unwrap().starts_with("liuhen_session="))
        );
        assert!(res.text().await.unwrap().contains("登录页面已过期"));
    }
    assert_eq!(log_size(&app).await, before, "no state change");
    // The sign-in page hands out the token (cookie + form field); with it the sign-in works.
    let res = app.post_login(&c, &u, &pw).await;
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn huge_user_name_at_sign_in_is_refused_and_failed_names_are_logged_bounded() {
    let app = TestApp::new().await;
    let c = app.client();
    let before = log_size(&app).await;
    // The reproduction: a 1.5 MB user name wrote a 3 MB permanent log entry.
    let huge = "张".repeat(500_000);
    let (status, page) = fail(&app, &c, &huge, "Wrong-Pass-1").await;
    assert_eq!(status, 413, "1.5 MB user name");
    assert!(page.contains("提交的内容过大"), "a Chinese page says why");
    // Under the body limit but past the field limit, then past the user name limit.
    let (status, page) = fail(&app, &c, &"a".repeat(30_000), "x").await;
    assert_eq!(status, 400);
    assert!(page.contains("字段“username”过长"), "{page}");
    let (status, page) = fail(&app, &c, &"a".repeat(300), "x").await;
    assert_eq!(status, 400);
    assert!(page.contains("用户名过长"), "{page}");
    assert_eq!(
        log_size(&app).await,
        before,
        "refused at the edge: nothing logged"
    );

    // An invalid name within the limits is a failed sign-in, logged bounded and hashed.
    let name = format!("{}!", "b".repeat(200));
    let (status, _) = fail(&app, &c, &name, "Wrong-Pass-1").await;
    assert_eq!(status, 401);
    let hash = hex::encode(sha2::Sha256::digest(name.as_bytes()));
    let entries = app
        .custody
        .db()
        .entries_for(&format!("login:invalid:{}", &hash[..32]))
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    let body: serde_json::Value = serde_json::from_str(&entries[0].body).unwrap();
    let logged = &body["details"]["username"];
    assert_eq!(logged["shown"], format!("{}…", "b".repeat(32)), "{body}");
    assert_eq!(logged["sha256"], hash.as_str());
    assert!(entries[0].body.len() < 1_000, "{}", entries[0].body);
}

#[tokio::test]
async fn sysadmin_is_not_lockable_from_another_address() {
    let app = TestApp::new().await;
    let (admin, pw) = app.user("sysadmin", &[Role::SystemAdmin], None).await;
    let attacker = client_from("127.0.0.2");
    for _ in 0..5 {
        let (status, _) = fail(&app, &attacker, &admin, "Wrong-Pass-1").await;
        assert_eq!(status, 401);
    }
    // Locked — from the attacker's address, even with the right password …
    let (status, page) = fail(&app, &attacker, &admin, &pw).await;
    assert_eq!(status, 401);
    assert!(page.contains("锁定"), "{page}");
    // … but the administrator at their own computer signs in.
    let own = client_from("127.0.0.1");
    app.login(&own, &admin, &pw).await;
    let res = own.get(app.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    // The failures are logged with the address they came from.
    let id = app
        .custody
        .db()
        .user_by_username("sysadmin")
        .await
        .unwrap()
        .unwrap()
        .id;
    let entries = app
        .custody
        .db()
        .entries_for(&format!("user:{id}"))
        .await
        .unwrap();
    let failed: Vec<serde_json::Value> = entries
        .iter()
        .filter(|e| e.action == "auth.login_failed")
        .map(|e| serde_json::from_str(&e.body).unwrap())
        .collect();
    assert_eq!(failed.len(), 6);
    assert!(
        failed.iter().all(|b| b["details"]["client"] == "127.0.0.2"),
        "{failed:?}"
    );
}

#[tokio::test]
async fn one_address_failing_on_many_names_is_locked() {
    let app = TestApp::with_config("[security]\naddress_lockout_failures = 3\n").await;
    let (u, pw) = app.user("wangfang", &[Role::Officer], UNIT).await;
    let sprayer = client_from("127.0.0.3");
    for name in ["a1", "a2", "a3"] {
        fail(&app, &sprayer, name, "Wrong-Pass-1").await;
    }
    // The address is locked for every name, a right password included …
    let (status, page) = fail(&app, &sprayer, &u, &pw).await;
    assert_eq!(status, 401);
    assert!(page.contains("锁定"), "{page}");
    // … and nobody else is.
    app.login(&client_from("127.0.0.4"), &u, &pw).await;
}

#[tokio::test]
async fn zero_length_upload_is_refused() {
    let app = TestApp::new().await;
    let (_, token) = api_user(&app, "zhangwei", "张伟", UNIT).await;
    let before = log_size(&app).await;
    let res = app
        .client()
        .post(app.url("/api/v1/uploads"))
        .bearer_auth(&token)
        .header("Tus-Resumable", TUS)
        .header("Upload-Length", "0")
        .header("Upload-Metadata", format!("filename {}", b64("empty.mp4")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "empty_upload");
    assert_eq!(log_size(&app).await, before);
    // Overlong tus metadata is refused too.
    let res = app
        .client()
        .post(app.url("/api/v1/uploads"))
        .bearer_auth(&token)
        .header("Tus-Resumable", TUS)
        .header("Upload-Length", "10")
        .header(
            "Upload-Metadata",
            format!("filename {}", b64(&"a".repeat(6000))),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(log_size(&app).await, before);
}

#[tokio::test]
async fn overlong_query_strings_and_json_fields_are_refused() {
    let app = TestApp::new().await;
    let (_, token) = api_user(&app, "zhangwei", "张伟", UNIT).await;
    let c = app.client();
    let res = c
        .get(app.url(&format!("/api/v1/records?q={}", "a".repeat(5_000))))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::URI_TOO_LONG);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "query_too_long");
    let before = log_size(&app).await;
    let res = c
        .post(app.url("/api/v1/cases"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "title": "x".repeat(20_001) }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "field_too_long");
    assert!(body["error"]["message"].as_str().unwrap().contains("title"));
    let res = c
        .post(app.url("/api/v1/cases"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "notes": vec!["x".repeat(1000); 300] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(log_size(&app).await, before);
}

#[tokio::test]
async fn lang_open_redirect_only_goes_to_same_origin_paths() {
    let app = TestApp::new().await;
    let c = app.client();
    let host = app.base.trim_start_matches("http://").to_owned();
    let cases: &[(&str, &str)] = &[
        // (Referer, expected Location) — written by hand.
        ("https://evil.example/phish", "/"),
        ("http://evil.example//evil.example/x", "/"),
        ("", "/"),
        ("javascript:alert(1)", "/"),
    ];
    let own = format!("http://{host}/records?q=1");
    let sneaky = format!("http://{host}//evil.example/x");
    let backslash = format!("http://{host}/\\evil.example");
    let userinfo = format!("http://{host}@evil.example/x");
    let mine: Vec<(&str, &str)> = vec![
        (own.as_str(), "/records?q=1"),
        (sneaky.as_str(), "/"),
        (backslash.as_str(), "/"),
        (userinfo.as_str(), "/"),
    ];
    for (referer, expected) in cases.iter().copied().chain(mine) {
        let mut req = c.get(app.url("/lang/en"));
        if !referer.is_empty() {
            req = req.header("Referer", referer);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), expected, "Referer {referer:?}");
    }
}

#[tokio::test]
async fn hsts_is_sent_only_when_cookies_are_secure() {
    let plain = TestApp::new().await;
    let res = plain
        .client()
        .get(plain.url("/login"))
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("strict-transport-security").is_none());
    let secure = TestApp::with_config("[security]\nsecure_cookies = true\n").await;
    let res = secure
        .client()
        .get(secure.url("/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000"
    );
}

#[tokio::test]
async fn api_answers_unreadable_requests_in_its_json_error_form() {
    // Found by schemathesis: axum's own refusals were plain text, not the documented JSON.
    let app = TestApp::new().await;
    let (_, token) = api_user(&app, "zhangwei", "张伟", UNIT).await;
    let c = app.client();
    let res = c
        .get(app.url("/api/v1/access/grants?scope=a&scope=b"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_request");
    let res = c
        .post(app.url("/api/v1/cases"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "number": 5 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["error"]["code"].is_string(), "{body}");
}
