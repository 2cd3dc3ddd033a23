//! Fresh databases per test: a temporary SQLite file and a new PostgreSQL database
//! (UTF-8 collation, so Chinese text indexes work), dropped afterwards.

use std::future::Future;

use liuhen_db::Db;

pub use liuhen_test_support::pg_admin_url;

pub async fn fresh_pg(admin: &str) -> (Db, String) {
    let name = liuhen_test_support::pg_database_name();
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
