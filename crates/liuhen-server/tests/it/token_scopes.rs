//! Issue 10, item 5: API tokens have scopes and an expiry, cannot mint tokens or do
//! administration, and end with a password change, a reset or disabling the account.

use liuhen_domain::Role;
use liuhen_domain::auth::TokenScope;
use reqwest::StatusCode;

use crate::support::TestApp;
use crate::uploads::{TUS, b64};

const UNIT: &str = "平顶山高新区应急管理局";

async fn user_id(app: &TestApp, name: &str) -> String {
    app.custody
        .db()
        .user_by_username(name)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// The status and error code of an answer: JSON under /api, the page's error code else.
async fn code_of(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let code = match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) => v["error"]["code"].as_str().unwrap_or_default().to_owned(),
        Err(_) => ["token_not_for_administration", "token_scope"]
            .into_iter()
            .find(|c| text.contains(c))
            .unwrap_or_default()
            .to_owned(),
    };
    (status, code)
}

async fn me(app: &TestApp, token: &str) -> u16 {
    reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn api_token_minting_tokens_is_refused() {
    let app = TestApp::new().await;
    app.user("liqiang", &[Role::Officer], UNIT).await;
    let id = user_id(&app, "liqiang").await;
    let token = app.custody.create_api_token(&id, "脚本").await.unwrap();
    let res = reqwest::Client::new()
        .post(app.url("/account/tokens"))
        .bearer_auth(&token)
        .form(&[("name", "再来一个"), ("scope_write", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        code_of(res).await,
        (403, "token_not_for_administration".to_owned())
    );
    assert_eq!(app.custody.api_tokens(&id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn administrator_token_cannot_do_administration() {
    let app = TestApp::new().await;
    app.user("sysadmin", &[Role::SystemAdmin], None).await;
    app.user("wangfang", &[Role::Officer], UNIT).await;
    let admin = user_id(&app, "sysadmin").await;
    let victim = user_id(&app, "wangfang").await;
    let token = app.custody.create_api_token(&admin, "运维").await.unwrap();
    let http = reqwest::Client::new();
    let res = http
        .get(app.url("/admin/users"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = http
        .post(app.url(&format!("/admin/users/{victim}/disable")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code_of(res).await,
        (403, "token_not_for_administration".to_owned())
    );
    assert!(!app.custody.user(&victim).await.unwrap().disabled);
    // The same administrator in a session that passed the second factor may.
    let c = app.client();
    let (_, pw) = ("sysadmin", crate::support::TEST_PASSWORD);
    app.login(&c, "sysadmin", pw).await;
    let res = c.get(app.url("/admin/users")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn api_token_scope_bounds_what_it_may_do() {
    let app = TestApp::new().await;
    app.user("liqiang", &[Role::Officer], UNIT).await;
    let id = user_id(&app, "liqiang").await;
    let read = app
        .custody
        .create_api_token_with(&id, "只读", &[TokenScope::Read], None)
        .await
        .unwrap();
    let upload = app
        .custody
        .create_api_token_with(&id, "采集站", &[TokenScope::Upload], Some(7))
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let list = |t: &str| {
        http.get(app.url("/api/v1/records"))
            .bearer_auth(t.to_owned())
            .send()
    };
    let create = |t: &str| {
        http.post(app.url("/api/v1/uploads"))
            .bearer_auth(t.to_owned())
            .header("Tus-Resumable", TUS)
            .header("Upload-Length", "10")
            .header("Upload-Metadata", format!("filename {}", b64("a.mp4")))
            .send()
    };
    let case = |t: &str| {
        http.post(app.url("/api/v1/cases"))
            .bearer_auth(t.to_owned())
            .json(&serde_json::json!({ "title": "案件" }))
            .send()
    };
    // Hand-written table: (token, request) → status, code.
    assert_eq!(list(&read).await.unwrap().status(), 200);
    assert_eq!(
        code_of(create(&read).await.unwrap()).await,
        (403, "token_scope".into())
    );
    assert_eq!(
        code_of(case(&read).await.unwrap()).await,
        (403, "token_scope".into())
    );
    assert_eq!(
        code_of(list(&upload).await.unwrap()).await,
        (403, "token_scope".into())
    );
    assert_eq!(create(&upload).await.unwrap().status(), 201);
    assert_eq!(
        code_of(case(&upload).await.unwrap()).await,
        (403, "token_scope".into())
    );
    // Scopes and expiry are kept and logged.
    let rows = app.custody.api_tokens(&id).await.unwrap();
    let up = rows.iter().find(|r| r.name == "采集站").unwrap();
    assert_eq!(up.scopes, "upload");
    assert_eq!(up.expires_ms.unwrap() - up.created_ms, 7 * 86_400_000);
    let ro = rows.iter().find(|r| r.name == "只读").unwrap();
    assert_eq!(ro.expires_ms.unwrap() - ro.created_ms, 90 * 86_400_000);
    // No lifetime beyond the configured maximum, no token without a scope.
    assert!(
        app.custody
            .create_api_token_with(&id, "太长", &[TokenScope::Read], Some(366))
            .await
            .is_err()
    );
    assert!(
        app.custody
            .create_api_token_with(&id, "空", &[], None)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn expired_api_token_is_refused() {
    let app = TestApp::new().await;
    app.user("liqiang", &[Role::Officer], UNIT).await;
    let id = user_id(&app, "liqiang").await;
    let token = app.custody.create_api_token(&id, "脚本").await.unwrap();
    assert_eq!(me(&app, &token).await, 200);
    // Move the token's clock instead of waiting: its expiry is now in the past.
    let db = app.data.join("liuhen.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", db.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE api_tokens SET expires_ms = $1 WHERE user_id = $2")
        .bind(jiff::Timestamp::now().as_millisecond() - 1)
        .bind(&id)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(me(&app, &token).await, 401);
}

#[tokio::test]
async fn password_change_reset_or_disable_ends_api_tokens() {
    let app = TestApp::new().await;
    let (u, pw) = app.user("liqiang", &[Role::Officer], UNIT).await;
    app.user("sysadmin", &[Role::SystemAdmin], None).await;
    let id = user_id(&app, &u).await;
    let admin = app
        .custody
        .user(&user_id(&app, "sysadmin").await)
        .await
        .unwrap();

    let token = app.custody.create_api_token(&id, "一").await.unwrap();
    app.custody
        .change_password(&id, &pw, "Another-Passw0rd!")
        .await
        .unwrap();
    assert_eq!(me(&app, &token).await, 401, "own password change");

    let token = app.custody.create_api_token(&id, "二").await.unwrap();
    app.custody
        .reset_password(&admin.principal(), &id)
        .await
        .unwrap();
    assert_eq!(me(&app, &token).await, 401, "reset by the administrator");

    let token = app.custody.create_api_token(&id, "三").await.unwrap();
    app.custody
        .set_user_disabled(&admin.principal(), &id, true)
        .await
        .unwrap();
    app.custody
        .set_user_disabled(&admin.principal(), &id, false)
        .await
        .unwrap();
    assert_eq!(me(&app, &token).await, 401, "disabled, then enabled again");
    let rows = app.custody.api_tokens(&id).await.unwrap();
    assert!(rows.iter().all(|r| r.revoked_ms.is_some()), "{rows:?}");
}
