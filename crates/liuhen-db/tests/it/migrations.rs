//! Migrations are explicit (issue 14): a first open of an empty database migrates it under
//! the migration lock (two at once both succeed); a schema that is behind is refused until
//! `connect_migrating` (`liuhen migrate`) applies what is missing.

use liuhen_db::{Db, DbError};

use crate::support::{drop_pg, pg_admin_url};

/// Puts the database back to "migration 28 missing", as the liuhen before it left it.
async fn behind(url: &str) -> i64 {
    let db = Db::connect(url).await.unwrap();
    for sql in [
        "DROP TABLE decision_review_alerts",
        "DELETE FROM schema_migrations WHERE version = 28",
    ] {
        liuhen_db::testing::tamper(&db, sql).await.unwrap();
    }
    db.close().await;
    28
}

async fn behind_is_refused_until_migrated(url: &str, newest: i64) {
    let err = Db::connect(url).await.map(drop).unwrap_err();
    assert!(
        matches!(&err, DbError::SchemaBehind { missing } if missing == &[newest]),
        "{err:?}"
    );
    assert!(err.to_string().contains("liuhen migrate"), "{err}");
    // The read-only open refuses it as well (and writes nothing).
    assert!(Db::connect_existing(url).await.is_err());
    let db = Db::connect_migrating(url).await.unwrap();
    assert_eq!(db.migrations_applied(), [newest]);
    db.close().await;
    let db = Db::connect(url).await.unwrap();
    assert!(db.migrations_applied().is_empty());
    db.close().await;
}

#[tokio::test]
async fn sqlite_schema_behind_is_refused_until_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("m.db").display());
    let newest = behind(&url).await;
    behind_is_refused_until_migrated(&url, newest).await;
}

#[tokio::test]
async fn postgres_concurrent_first_opens_both_succeed_and_behind_is_refused() {
    let Some(admin) = pg_admin_url() else { return };
    for round in 0..3 {
        let name = format!("liuhen_mig_{}_{round}", uuid::Uuid::now_v7().simple());
        let url = liuhen_db::testing::create_pg_database(&admin, &name)
            .await
            .unwrap();
        let opens: Vec<_> = (0..4)
            .map(|_| {
                let url = url.clone();
                tokio::spawn(async move { Db::connect(&url).await })
            })
            .collect();
        let mut applied = Vec::new();
        for open in opens {
            let db = open.await.unwrap().expect("a concurrent first open failed");
            applied.push(db.migrations_applied().len());
            db.close().await;
        }
        assert_eq!(
            applied.iter().filter(|n| **n > 0).count(),
            1,
            "exactly one open migrated: {applied:?}"
        );
        if round == 0 {
            let newest = behind(&url).await;
            behind_is_refused_until_migrated(&url, newest).await;
        }
        drop_pg(&admin, &name).await;
    }
}
