//! Fresh databases per test: a temporary SQLite file and a new PostgreSQL database
//! (UTF-8 collation, so Chinese text indexes work), dropped afterwards.

use std::future::Future;

use liuhen_db::Db;

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
    let url = liuhen_db::testing::create_pg_database(admin, &name)
        .await
        .expect("create a test database on LIUHEN_TEST_PG_URL");
    (Db::connect(&url).await.unwrap(), name)
}

pub use liuhen_db::testing::drop_pg_database as drop_pg;

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
