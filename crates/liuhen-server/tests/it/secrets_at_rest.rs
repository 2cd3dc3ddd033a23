//! Issue 10, item 5: TOTP secrets sealed at rest (plain ones from older installations sealed
//! on start), and the database and key files readable by their owner only.

use std::os::unix::fs::PermissionsExt;

use liuhen_app::{Custody, OpenOptions};
use liuhen_domain::Role;
use liuhen_domain::totp::TotpSecret;

use crate::support::{TEST_PASSWORD, TestApp};

async fn stored_secret(app: &TestApp, username: &str) -> String {
    let db = app.data.join("liuhen.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", db.display()))
        .await
        .unwrap();
    sqlx::query_scalar::<_, String>("SELECT totp_secret FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(&pool)
        .await
        .unwrap()
}

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn totp_secret_is_not_plain_in_the_database() {
    let app = TestApp::new().await;
    // An officer who turns the second factor on (administrators have it from the start).
    let (admin, pw) = app.user("liqiang", &[Role::Officer], None).await;
    let id = app
        .custody
        .db()
        .user_by_username(&admin)
        .await
        .unwrap()
        .unwrap()
        .id;
    let e = app.custody.start_totp_enrollment(&id).await.unwrap();
    let stored = stored_secret(&app, &admin).await;
    assert!(stored.starts_with("enc1:"), "{stored}");
    assert!(!stored.contains(&e.secret));
    let secret = TotpSecret::parse_base32(&e.secret).unwrap();
    let now = jiff::Timestamp::now().as_second();
    app.custody
        .confirm_totp(&id, &secret.code_at(now))
        .await
        .unwrap();
    app.remember_totp(&admin, secret, liuhen_domain::totp::step_of(now));
    app.login(&app.client(), &admin, &pw).await;

    // A plain secret from before sealing is sealed when the custody opens, and still works.
    let db = app.data.join("liuhen.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", db.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE users SET totp_secret = $1 WHERE id = $2")
        .bind(&e.secret)
        .bind(&id)
        .execute(&pool)
        .await
        .unwrap();
    let before = app.custody.db().log_size().await.unwrap();
    let reopened = Custody::open(OpenOptions::new(&app.data)).await.unwrap();
    let stored = stored_secret(&app, &admin).await;
    assert!(
        stored.starts_with("enc1:") && !stored.contains(&e.secret),
        "{stored}"
    );
    assert_eq!(
        reopened.db().log_size().await.unwrap(),
        before + 1,
        "the sealing is logged"
    );
    app.login(&app.client(), &admin, TEST_PASSWORD).await;
}

#[tokio::test]
async fn database_and_key_files_are_readable_by_their_owner_only() {
    let app = TestApp::new().await;
    app.user("zhangwei", &[Role::Officer], None).await;
    let db = app.data.join("liuhen.db");
    assert_eq!(mode(&db), 0o600, "liuhen.db");
    let wal = app.data.join("liuhen.db-wal");
    if wal.exists() {
        assert_eq!(mode(&wal), 0o600, "liuhen.db-wal");
    }
    assert_eq!(mode(&app.data.join("keys/secrets.key")), 0o600);
    // An older installation's 0644 database is made private on start.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    Custody::open(OpenOptions::new(&app.data)).await.unwrap();
    assert_eq!(mode(&db), 0o600);
}
