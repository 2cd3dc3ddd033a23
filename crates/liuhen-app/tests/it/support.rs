//! Helpers shared by the test modules: each test runs on SQLite and, when
//! `LIUHEN_TEST_PG_URL` names an admin URL, on a fresh PostgreSQL database.

use std::future::Future;

use liuhen_app::accounts::NewUser;
use liuhen_app::{Custody, OpenOptions};
use liuhen_domain::Role;
use liuhen_domain::authz::Principal;

pub async fn for_each_backend<F, Fut>(test: F)
where
    F: Fn(Custody) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    test(
        Custody::open(OpenOptions::new(dir.path().join("sqlite")))
            .await
            .unwrap(),
    )
    .await;
    let admin = match std::env::var("LIUHEN_TEST_PG_URL") {
        Ok(url) => Some(url),
        Err(_) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but LIUHEN_TEST_PG_URL is not set")
        }
        Err(_) => None,
    };
    if let Some(admin) = admin {
        let name = format!("liuhen_t_{}", uuid::Uuid::now_v7().simple());
        let url = liuhen_db::testing::create_pg_database(&admin, &name)
            .await
            .unwrap();
        let custody = Custody::open(OpenOptions {
            database_url: Some(url),
            ..OpenOptions::new(dir.path().join("pg"))
        })
        .await
        .unwrap();
        test(custody.clone()).await;
        custody.db().close().await;
        liuhen_db::testing::drop_pg_database(&admin, &name).await;
    }
}

pub async fn user(
    c: &Custody,
    username: &str,
    name: &str,
    roles: &[Role],
    unit: &str,
) -> Principal {
    let id = c
        .create_user_unchecked(
            "test",
            NewUser {
                username: username.into(),
                display_name: name.into(),
                password: "Test-Passw0rd!".into(),
                unit: Some(unit.into()),
                department: None,
                roles: roles.to_vec(),
            },
        )
        .await
        .unwrap();
    Principal {
        user_id: id,
        roles: roles.to_vec(),
        unit: Some(unit.into()),
        department: None,
        officer_name: name.into(),
    }
}

pub use liuhen_test_support::require_tool;
