//! Helpers shared by the test modules: each test runs on SQLite and on a fresh
//! PostgreSQL database (`LIUHEN_TEST_PG_URL` names an admin URL; required under `CI=true`).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use liuhen_app::accounts::NewUser;
use liuhen_app::{Custody, MovableClock, OpenOptions};
use liuhen_domain::Role;
use liuhen_domain::authz::Principal;

/// Runs `test` on SQLite, then on PostgreSQL.
pub async fn for_each_backend<F, Fut>(test: F)
where
    F: Fn(Custody) -> Fut,
    Fut: Future<Output = ()>,
{
    for_each_backend_with("", |c, _, _| test(c)).await;
}

/// The one `for_each_backend`: runs `test` on SQLite, then on a throwaway PostgreSQL
/// database, each over a fresh data directory `<tmp>/<backend>` holding `config` as
/// `liuhen.toml` (when not empty), with its own movable clock; `test` also gets the
/// temporary directory (`<tmp>/sqlite` or `<tmp>/pg` is the data directory).
pub async fn for_each_backend_with<F, Fut>(config: &str, test: F)
where
    F: Fn(Custody, Arc<MovableClock>, PathBuf) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let open = |name: &str, database_url: Option<String>| {
        let data = dir.path().join(name);
        if !config.is_empty() {
            std::fs::create_dir_all(&data).unwrap();
            std::fs::write(data.join("liuhen.toml"), config).unwrap();
        }
        let clock = MovableClock::new();
        let opts = OpenOptions {
            database_url,
            clock: Some(clock.clone()),
            ..OpenOptions::new(data)
        };
        async move { (Custody::open(opts).await.unwrap(), clock) }
    };
    let tmp: &Path = dir.path();
    let (custody, clock) = open("sqlite", None).await;
    test(custody, clock, tmp.into()).await;
    if let Some(admin) = liuhen_test_support::pg_admin_url() {
        let name = liuhen_test_support::pg_database_name();
        let url = liuhen_db::testing::create_pg_database(&admin, &name)
            .await
            .unwrap();
        let (custody, clock) = open("pg", Some(url)).await;
        test(custody.clone(), clock, tmp.into()).await;
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
