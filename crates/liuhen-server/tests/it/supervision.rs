//! The supervision pages: a supervisor makes a plan through the form and opens it, the
//! annual assessment renders its charts and exports CSV and PDF, the dashboard takes a
//! period; officers are refused.

use liuhen_domain::Role;

use crate::support::{TEST_PASSWORD, TestApp, location};

const GX: &str = "平顶山高新区应急管理局";

#[tokio::test]
async fn supervisor_plans_and_reads_the_assessment_officers_are_refused() {
    let app = TestApp::new().await;
    app.user_named("ducha", "督察", &[Role::Supervisor], GX)
        .await;
    app.user_named("zhangwei", "张伟", &[Role::Officer], GX)
        .await;

    let officer = app.client();
    app.login(&officer, "zhangwei", TEST_PASSWORD).await;
    let res = officer.get(app.url("/supervision")).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = officer
        .get(app.url("/supervision/assessment"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let sup = app.client();
    let csrf = app.login(&sup, "ducha", TEST_PASSWORD).await;
    let page = sup.get(app.url("/supervision")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("制定抽查计划"));
    // A per-unit proportion for a unit outside the plan is refused with the reason.
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("title", "2026年度执法音像记录抽查"),
        ("from", "2026-01-01"),
        ("to", "2026-12-31"),
        ("units", GX),
        ("permille", "50"),
        ("minimum", "1"),
        ("unit_permille", "卫东区应急管理局=100"),
    ];
    let res = sup
        .post(app.url("/supervision/plans"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("不在计划范围内"));
    form.pop();
    let res = sup
        .post(app.url("/supervision/plans"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let plan = location(&res);
    assert!(plan.starts_with("/supervision/plans/"), "{plan}");
    let html = sup
        .get(app.url(&plan))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("2026年度执法音像记录抽查"));
    assert!(html.contains("公布随机抽取"));

    let html = sup
        .get(app.url("/supervision/assessment?from=2026-01-01&to=2026-12-31"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // No data yet: the charts say so; the period form is there.
    assert!(
        html.contains("各单位逾期存储率") && html.contains("id=\"period\""),
        "{html}"
    );
    let csv = sup
        .get(app.url("/supervision/assessment?from=2026-01-01&to=2026-12-31&format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let body = csv.text().await.unwrap();
    assert!(
        body.trim_start_matches('\u{feff}')
            .starts_with("单位,人员,执法记录数")
    );
    let pdf = sup
        .get(app.url("/supervision/assessment?from=2026-01-01&to=2026-12-31&format=pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));

    // The dashboard's period: both dates or neither.
    let res = sup
        .get(app.url("/cases/dashboard?from=2026-01-01&to=2026-12-31"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = sup
        .get(app.url("/cases/dashboard?from=2026-01-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}
