//! The administrators' pages: accounts and organisation, the audit log.

use liuhen_domain::Role;

use super::{UNIT, between, post_form};
use crate::support::{TestApp, location};

#[tokio::test]
async fn system_administrator_manages_users_within_the_separation_of_duties() {
    let app = TestApp::new().await;
    let (admin, pw) = app.user("xitong", &[Role::SystemAdmin], None).await;
    let c = app.client();
    let csrf = app.login(&c, &admin, &pw).await;
    let users_before = app.custody.db().user_count().await.unwrap();

    let form = [
        ("csrf", csrf.as_str()),
        ("username", "shenji2"),
        ("display_name", "审计员乙"),
        ("unit", ""),
        ("department", ""),
        ("roles", "system_admin"),
        ("roles", "audit_admin"),
    ];
    let res = post_form(&app, &c, "/admin/users", &form).await;
    assert_eq!(res.status(), 400);
    let body = res.text().await.unwrap();
    assert!(body.contains("三员分立"), "{body}");
    assert_eq!(app.custody.db().user_count().await.unwrap(), users_before);

    let form = [
        ("csrf", csrf.as_str()),
        ("username", "chenjing"),
        ("display_name", "陈静"),
        ("unit", UNIT),
        ("department", "执法监察大队"),
        ("roles", "officer"),
        ("roles", "camera_operator"),
    ];
    let res = post_form(&app, &c, "/admin/users", &form).await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    let one_time = between(&body, r#"<code id="issued-password">"#, "<")
        .unwrap()
        .to_owned();
    let created = app
        .custody
        .db()
        .user_by_username("chenjing")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(created.department.as_deref(), Some("执法监察大队"));
    assert!(created.must_change_password);
    let units = app.custody.units().await.unwrap();
    assert_eq!(units.len(), 1);

    // The new user must change the one-time password first.
    let u = app.client();
    let res = app.post_login(&u, "chenjing", &one_time).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&u.get(app.url("/")).send().await.unwrap()),
        "/account/password"
    );

    // Other roles cannot manage users, and the refusal is logged.
    let (officer, opw) = app.user("sunli", &[Role::Officer], UNIT).await;
    let o = app.client();
    let ocsrf = app.login(&o, &officer, &opw).await;
    assert_eq!(
        o.get(app.url("/admin/users"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(o.get(app.url("/audit")).send().await.unwrap().status(), 403);
    let res = post_form(
        &app,
        &o,
        "/admin/users",
        &[
            ("csrf", &ocsrf),
            ("username", "x1"),
            ("display_name", "x"),
            ("roles", "officer"),
        ],
    )
    .await;
    assert_eq!(res.status(), 403);
    assert!(
        app.custody
            .db()
            .user_by_username("x1")
            .await
            .unwrap()
            .is_none()
    );

    // Units and departments.
    let res = post_form(
        &app,
        &c,
        "/admin/org",
        &[
            ("csrf", &csrf),
            ("unit", "卫东区应急管理局"),
            ("department", ""),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let res = post_form(
        &app,
        &c,
        "/admin/org",
        &[
            ("csrf", &csrf),
            ("unit", "卫东区应急管理局"),
            ("department", ""),
        ],
    )
    .await;
    assert_eq!(res.status(), 400);
    assert_eq!(app.custody.units().await.unwrap().len(), 2);
}

#[tokio::test]
async fn audit_administrator_reads_the_log() {
    let app = TestApp::new().await;
    let (auditor, pw) = app.user("shenji", &[Role::AuditAdmin], None).await;
    let c = app.client();
    app.login(&c, &auditor, &pw).await;
    let res = c.get(app.url("/audit")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("登录成功"));
    assert!(html.contains("创建用户"));
    assert!(html.contains("shenji"));
}
