//! `/api/v1/draws`: a supervisor announces a 5 % draw of a unit's cases, the server signs a
//! checkpoint, the draw is made, recomputes, prints; officers are refused.

use liuhen_domain::Role;
use serde_json::{Value, json};

use crate::support::{TestApp, pdf_text};

async fn token(app: &TestApp, username: &str, roles: &[Role]) -> String {
    app.user(username, roles, "甲局").await;
    let id = app
        .custody
        .user_listing()
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.user.username == username)
        .unwrap()
        .user
        .id;
    app.custody.create_api_token(&id, "draws").await.unwrap()
}

#[tokio::test]
async fn draws_api_announce_perform_verify_print() {
    let app = TestApp::new().await;
    let sup = token(&app, "jiandu", &[Role::Supervisor]).await;
    let officer = token(&app, "zhangwei", &[Role::Officer]).await;
    let http = app.client();
    let population: Vec<String> = (1..=100).map(|i| format!("案件-{i:03}")).collect();
    let body = json!({ "purpose": "2026年度执法音像记录抽查", "kind": "cases",
                       "population": population, "permille": 50 });
    let res = http
        .post(app.url("/api/v1/draws"))
        .bearer_auth(&officer)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = http
        .post(app.url("/api/v1/draws"))
        .bearer_auth(&sup)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let perform = || {
        http.post(app.url(&format!("/api/v1/draws/{id}/perform")))
            .bearer_auth(&sup)
            .send()
    };
    let early = perform().await.unwrap();
    assert_eq!(early.status(), 400);
    app.custody.checkpoint().await.unwrap();
    let made: Value = perform().await.unwrap().json().await.unwrap();
    let selected = made["selected"].as_array().unwrap();
    assert_eq!(selected.len(), 5);
    let check: Value = http
        .get(app.url(&format!("/api/v1/draws/{id}/verify")))
        .bearer_auth(&sup)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(check["ok"], true, "{check}");
    assert_eq!(&check["recomputed"], &made["selected"]);
    let shown: Value = http
        .get(app.url(&format!("/api/v1/draws/{id}")))
        .bearer_auth(&sup)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["announcement"]["count"], 5);
    assert_eq!(shown["result"]["selected"], made["selected"]);
    let res = http
        .get(app.url(&format!("/api/v1/draws/{id}/pdf")))
        .bearer_auth(&sup)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let pdf = res.bytes().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("draw.pdf");
    std::fs::write(&path, &pdf).unwrap();
    if let Some(text) = pdf_text(&path) {
        assert!(text.contains("随机抽取记录"), "{text}");
        assert!(text.contains(selected[0].as_str().unwrap()), "{text}");
    }
    let res = http
        .get(app.url(&format!("/api/v1/draws/{id}/verify")))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

/// The pages: a supervisor announces a 5 % draw of 40 cases in the browser form, cannot
/// make it before a checkpoint exists, makes it, and sees it recompute with a print link.
#[tokio::test]
async fn draws_pages_announce_and_make_a_draw() {
    let app = TestApp::new().await;
    app.user("jiandu", &[Role::Supervisor], "甲局").await;
    app.user("zhangwei", &[Role::Officer], "甲局").await;
    let officer = app.client();
    let csrf = app
        .login(&officer, "zhangwei", crate::support::TEST_PASSWORD)
        .await;
    let home = officer
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!home.contains("href=\"/draws\""));
    let res = officer.get(app.url("/draws")).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = officer
        .post(app.url("/draws"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("purpose", "x"),
            ("population", "a\nb"),
            ("permille", "500"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let sup = app.client();
    let csrf = app
        .login(&sup, "jiandu", crate::support::TEST_PASSWORD)
        .await;
    let html = sup
        .get(app.url("/draws"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("href=\"/draws\"") && html.contains("公布新的抽取"),
        "{html}"
    );
    let population: Vec<String> = (1..=40).map(|i| format!("案件-{i:03}")).collect();
    let population = population.join("\n");
    let bad = sup
        .post(app.url("/draws"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("purpose", "年度抽查"),
            ("population", "甲\n甲"),
            ("permille", "50"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("重复"));
    let res = sup
        .post(app.url("/draws"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("purpose", "年度抽查"),
            ("kind", "cases"),
            ("population", population.as_str()),
            ("permille", "50"),
            ("minimum", "1"),
            ("method", "sm3"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let at = crate::support::location(&res);
    assert!(at.starts_with("/draws/"), "{at}");
    let perform = || {
        sup.post(app.url(&format!("{at}/perform")))
            .form(&[("csrf", csrf.as_str())])
            .send()
    };
    let early = perform().await.unwrap();
    assert_eq!(early.status(), 400);
    assert!(early.text().await.unwrap().contains("种子尚未产生"));
    app.custody.checkpoint().await.unwrap();
    assert_eq!(perform().await.unwrap().status(), 303);
    let html = sup
        .get(app.url(&at))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("由日志重算，结果一致"), "{html}");
    assert_eq!(
        html.matches("<li class=\"mono\">案件-").count(),
        2,
        "5 % of 40"
    );
    assert!(html.contains("/pdf\""));
    let list = sup
        .get(app.url("/draws"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("年度抽查") && list.contains("已实施"));
}
