//! Accounts tables on both backends: users with units and departments, sessions, API
//! tokens, sign-in failure counters, newest-first audit pages.

use jiff::Timestamp;
use liuhen_db::{ApiTokenRow, Db, NewEntry, NewUserRow, SessionRow};
use liuhen_domain::auth::FailureCounter;
use liuhen_domain::{AuditAction, Role};

use crate::support::for_each_backend;

async fn add_user(db: &Db, id: &str, username: &str, unit: Option<&str>) {
    let mut tx = db.begin().await.unwrap();
    let unit_id = match unit {
        Some(name) => Some(match tx.unit_id(name).await.unwrap() {
            Some(id) => id,
            None => {
                let uid = format!("unit-{id}");
                tx.insert_unit(&uid, name, 1).await.unwrap();
                uid
            }
        }),
        None => None,
    };
    let dept = match &unit_id {
        Some(u) => {
            let did = format!("dept-{id}");
            tx.insert_department(&did, u, &format!("{username}的科室"), 1)
                .await
                .unwrap();
            Some(did)
        }
        None => None,
    };
    tx.insert_user(&NewUserRow {
        id,
        username,
        display_name: "张伟",
        unit_id: unit_id.as_deref(),
        department_id: dept.as_deref(),
        roles: &[Role::Officer, Role::CameraOperator],
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
        must_change_password: true,
        now_ms: 1_700_000_000_000,
    })
    .await
    .unwrap();
    tx.append(
        Timestamp::now(),
        NewEntry {
            actor: "test".into(),
            action: AuditAction::UserCreated,
            subject: Some(format!("user:{id}")),
            details: serde_json::json!({}),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn users_units_and_departments() {
    for_each_backend(|db: Db| async move {
        assert_eq!(db.user_count().await.unwrap(), 0);
        add_user(&db, "u1", "zhangwei", Some("平顶山高新区应急管理局")).await;
        add_user(&db, "u2", "lina", Some("平顶山高新区应急管理局")).await;
        add_user(&db, "u3", "sysadmin", None).await;
        let u = db.user_by_username("zhangwei").await.unwrap().unwrap();
        assert_eq!(u.id, "u1");
        assert_eq!(u.unit.as_deref(), Some("平顶山高新区应急管理局"));
        assert_eq!(u.department.as_deref(), Some("zhangwei的科室"));
        assert_eq!(u.roles, vec![Role::Officer, Role::CameraOperator]);
        assert!(u.must_change_password && !u.disabled && !u.totp_enabled);
        assert_eq!(db.user_by_id("u3").await.unwrap().unwrap().unit, None);
        assert_eq!(db.user_count().await.unwrap(), 3);
        assert_eq!(
            db.users()
                .await
                .unwrap()
                .iter()
                .map(|u| u.username.as_str())
                .collect::<Vec<_>>(),
            vec!["lina", "sysadmin", "zhangwei"]
        );
        assert_eq!(db.units().await.unwrap().len(), 1);
        assert_eq!(db.departments().await.unwrap().len(), 2);

        // A second user with the same name is refused by the schema.
        let mut tx = db.begin().await.unwrap();
        let dup = tx
            .insert_user(&NewUserRow {
                id: "u9",
                username: "zhangwei",
                display_name: "x",
                unit_id: None,
                department_id: None,
                roles: &[Role::Officer],
                password_hash: "h",
                must_change_password: false,
                now_ms: 1,
            })
            .await;
        assert!(dup.is_err());
        drop(tx);

        let mut tx = db.begin().await.unwrap();
        tx.set_password("u1", "new-hash", false, 5).await.unwrap();
        tx.set_disabled("u2", true, 5).await.unwrap();
        tx.set_totp(
            "u3",
            Some("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
            true,
            Some(42),
            5,
        )
        .await
        .unwrap();
        tx.set_totp_last_step("u3", 43).await.unwrap();
        tx.commit().await.unwrap();
        let u1 = db.user_by_id("u1").await.unwrap().unwrap();
        assert_eq!(
            (u1.password_hash.as_str(), u1.must_change_password),
            ("new-hash", false)
        );
        assert!(db.user_by_id("u2").await.unwrap().unwrap().disabled);
        let u3 = db.user_by_id("u3").await.unwrap().unwrap();
        assert!(u3.totp_enabled);
        assert_eq!(u3.totp_last_step, Some(43));
    })
    .await;
}

#[tokio::test]
async fn sessions_tokens_and_failure_counters() {
    for_each_backend(|db: Db| async move {
        add_user(&db, "u1", "zhangwei", None).await;
        let session = |hash: &str, last_seen_ms: i64| SessionRow {
            token_hash: hash.into(),
            user_id: "u1".into(),
            csrf_token: format!("csrf-{hash}"),
            pending_totp: false,
            created_ms: 1_000,
            last_seen_ms,
            expires_ms: 100_000,
        };
        let mut tx = db.begin().await.unwrap();
        tx.insert_session(&session("a", 1_000)).await.unwrap();
        tx.insert_session(&SessionRow {
            pending_totp: true,
            ..session("b", 1_000)
        })
        .await
        .unwrap();
        tx.insert_session(&session("c", 50)).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(db.session("a").await.unwrap(), Some(session("a", 1_000)));
        assert!(db.session("b").await.unwrap().unwrap().pending_totp);
        db.touch_session("a", 2_000).await.unwrap();
        assert_eq!(db.session("a").await.unwrap().unwrap().last_seen_ms, 2_000);
        assert_eq!(db.purge_sessions(500, 3_000).await.unwrap(), 1);
        assert_eq!(db.sessions_of("u1").await.unwrap(), 2);

        let mut tx = db.begin().await.unwrap();
        assert!(tx.delete_session("a").await.unwrap());
        assert!(!tx.delete_session("a").await.unwrap());
        assert_eq!(tx.delete_sessions_of("u1").await.unwrap(), 1);
        tx.commit().await.unwrap();
        assert_eq!(db.sessions_of("u1").await.unwrap(), 0);

        let token = ApiTokenRow {
            id: "t1".into(),
            user_id: "u1".into(),
            name: "采集站".into(),
            token_hash: "th1".into(),
            created_ms: 10,
            last_used_ms: None,
            revoked_ms: None,
        };
        let mut tx = db.begin().await.unwrap();
        tx.insert_api_token(&token).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            db.api_token_by_hash("th1").await.unwrap(),
            Some(token.clone())
        );
        db.touch_api_token("t1", 20).await.unwrap();
        let mut tx = db.begin().await.unwrap();
        assert!(!tx.revoke_api_token("t1", "someone-else", 30).await.unwrap());
        assert!(tx.revoke_api_token("t1", "u1", 30).await.unwrap());
        assert!(!tx.revoke_api_token("t1", "u1", 31).await.unwrap());
        tx.commit().await.unwrap();
        let listed = db.api_tokens_of("u1").await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].last_used_ms, listed[0].revoked_ms),
            (Some(20), Some(30))
        );

        // Failure counters exist for any name, known or not.
        assert_eq!(
            db.login_failures("nobody").await.unwrap(),
            FailureCounter::default()
        );
        let locked = FailureCounter {
            failures: 0,
            locked_until_ms: Some(9_000),
        };
        let mut tx = db.begin().await.unwrap();
        tx.set_login_failures("nobody", locked).await.unwrap();
        tx.set_login_failures(
            "zhangwei",
            FailureCounter {
                failures: 3,
                locked_until_ms: None,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(db.login_failures("nobody").await.unwrap(), locked);
        assert_eq!(db.login_failures("zhangwei").await.unwrap().failures, 3);
        let mut tx = db.begin().await.unwrap();
        tx.set_login_failures("nobody", FailureCounter::default())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            db.login_failures("nobody").await.unwrap(),
            FailureCounter::default()
        );
    })
    .await;
}

#[tokio::test]
async fn audit_entries_newest_first() {
    for_each_backend(|db: Db| async move {
        for i in 0..5 {
            add_user(&db, &format!("u{i}"), &format!("user{i}"), None).await;
        }
        let page = db.entries_newest_first(None, 2).await.unwrap();
        assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![4, 3]);
        let page = db.entries_newest_first(Some(3), 10).await.unwrap();
        assert_eq!(
            page.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![2, 1, 0]
        );
    })
    .await;
}

/// Issue 10.1 on both backends: which accounts of a unit a name means (user name or
/// display name, that unit only), the rows still without an account, and setting a team
/// member's account.
#[tokio::test]
async fn names_map_to_accounts_of_their_unit_only() {
    for_each_backend(|db: Db| async move {
        let mut tx = db.begin().await.unwrap();
        tx.insert_unit("gx", "高新区", 1).await.unwrap();
        tx.insert_unit("wd", "卫东区", 1).await.unwrap();
        for (id, username, name, unit) in [
            ("u1", "zhangwei", "张伟", "gx"),
            ("u2", "zhangwei2", "张伟", "wd"),
            ("u3", "chen1", "陈某", "gx"),
            ("u4", "chen2", "陈某", "gx"),
        ] {
            tx.insert_user(&NewUserRow {
                id,
                username,
                display_name: name,
                unit_id: Some(unit),
                department_id: None,
                roles: &[Role::Officer],
                password_hash: "x",
                must_change_password: false,
                now_ms: 1,
            })
            .await
            .unwrap();
        }
        let mut unmapped = crate::sample_record(40);
        unmapped.classification.agency = Some("高新区".into());
        unmapped.classification.officer = Some("陈某".into());
        let mut mapped = crate::sample_record(41);
        mapped.officer_id = Some("u1".into());
        tx.insert_record(&unmapped, 0).await.unwrap();
        tx.insert_record(&mapped, 0).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            db.accounts_named("高新区", "张伟").await.unwrap(),
            vec!["u1"]
        );
        assert_eq!(
            db.accounts_named("高新区", "zhangwei").await.unwrap(),
            vec!["u1"]
        );
        assert_eq!(
            db.accounts_named("卫东区", "张伟").await.unwrap(),
            vec!["u2"]
        );
        assert_eq!(
            db.accounts_named("高新区", "陈某").await.unwrap(),
            vec!["u3", "u4"]
        );
        assert!(
            db.accounts_named("高新区", "王芳")
                .await
                .unwrap()
                .is_empty()
        );
        assert!(db.account_in_unit("u1", "高新区").await.unwrap());
        assert!(!db.account_in_unit("u2", "高新区").await.unwrap());
        let left = db.unmapped_records(10).await.unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].record_id, unmapped.id.to_string());
        assert_eq!(left[0].officer, "陈某");
        assert_eq!(
            db.record(&mapped.id)
                .await
                .unwrap()
                .unwrap()
                .0
                .officer_id
                .as_deref(),
            Some("u1")
        );
    })
    .await;
}
