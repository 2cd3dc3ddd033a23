//! Fresh databases per test: a temporary SQLite file and a new PostgreSQL database
//! (UTF-8 collation, so Chinese text indexes work), dropped afterwards.

use std::future::Future;

use liuhen_db::Db;
use sqlx::Connection;

pub fn pg_admin_url() -> Option<String> {
    match std::env::var("LIUHEN_TEST_PG_URL") {
        Ok(url) => Some(url),
        Err(_) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but LIUHEN_TEST_PG_URL is not set: PostgreSQL tests cannot be skipped")
        }
        Err(_) => {
            eprintln!("note: LIUHEN_TEST_PG_URL unset, PostgreSQL half of the suite skipped");
            None
        }
    }
}

pub async fn fresh_pg(admin: &str) -> (Db, String) {
    let name = format!("liuhen_t_{}", uuid::Uuid::now_v7().simple());
    let mut conn = sqlx::PgConnection::connect(admin)
        .await
        .expect("connect to PostgreSQL (LIUHEN_TEST_PG_URL)");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
    let db = Db::connect(&format!("{base}/{name}")).await.unwrap();
    (db, name)
}

pub async fn drop_pg(admin: &str, name: &str) {
    if let Ok(mut conn) = sqlx::PgConnection::connect(admin).await {
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await;
    }
}

pub async fn for_each_backend<F, Fut>(test: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("liuhen.db").display()
    );
    test(Db::connect(&url).await.unwrap()).await;
    if let Some(admin) = pg_admin_url() {
        let (db, name) = fresh_pg(&admin).await;
        test(db.clone()).await;
        db.close().await;
        drop_pg(&admin, &name).await;
    }
}
