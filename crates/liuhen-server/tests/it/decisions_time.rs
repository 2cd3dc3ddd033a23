//! Time limits of the legal review over HTTP (issue 13, R5): overdue rounds are listed as
//! the clock moves and extended once with a reason; an overdue round is alerted once (alerts
//! page, the legal office's inbox and home page, the log, `verify`); a limit that reaches a
//! year the calendar does not list is refused; certificates are recorded by the
//! administrator. On SQLite and PostgreSQL where the world allows.

use jiff::{SignedDuration, Timestamp};
use liuhen_domain::Role;
use reqwest::Method;
use serde_json::json;

use crate::decisions::{GX, World, assert_verifies, call, each_backend, text, verify, who, world};
use crate::support::TestApp;

#[tokio::test]
async fn overdue_reviews_are_listed_as_the_clock_moves_and_extended_once() {
    each_backend(|app| async move {
        let w = world(app).await;
        let id = w.draft_fine("50000", "organisation").await;
        assert_eq!(w.submit(&id).await.0, 200);
        let now = w.app.custody.now();
        let pending = w.app.custody.pending_reviews(now).await.unwrap();
        assert_eq!(pending.len(), 1);
        assert!(!pending[0].overdue);
        let later = now + SignedDuration::from_hours(24 * 30);
        let pending = w.app.custody.pending_reviews(later).await.unwrap();
        assert!(
            pending[0].overdue,
            "a month later the 5 working days are past"
        );
        let (status, v) = call(&w.app, &w.legal, Method::GET, "/api/v1/legal-review", None).await;
        assert_eq!(status, 200);
        assert_eq!(v["pending"][0]["decision"]["id"], id.as_str());
        let due = v["pending"][0]["due_date"].as_str().unwrap().to_owned();
        // An extension needs a reason (bad input, nothing changed).
        let (status, r) = w.post(&w.legal, &id, "extend", json!({"reason": ""})).await;
        assert_eq!(
            (status, r["error"]["code"].as_str()),
            (400, Some("invalid")),
            "{r}"
        );
        let (status, r) = w
            .post(
                &w.legal,
                &id,
                "extend",
                json!({"reason": "案情复杂，需补充调查"}),
            )
            .await;
        assert_eq!(status, 200, "{r}");
        assert!(r["due_date"].as_str().unwrap() > due.as_str());
        let r = w
            .post(&w.legal, &id, "extend", json!({"reason": "再次延期"}))
            .await;
        w.refused(r, &w.legal, &id, "already_extended").await;
        // The inbox page shows it.
        let html = w
            .legal
            .client
            .get(w.app.url("/legal-review"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("平高应急罚〔2026〕88号"), "{html}");
        assert_verifies(&w.app).await;
    })
    .await;
}

#[tokio::test]
async fn an_administrator_records_a_certificate_on_the_users_page() {
    each_backend(|app| async move {
        let w = world(app).await;
        let html = w
            .admin
            .client
            .get(w.app.url("/admin/users"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("A20161234567"),
            "chenjing's certificate is shown"
        );
        let res = w
            .admin
            .client
            .post(w.app.url(&format!(
                "/admin/users/{}/legal-qualification",
                w.uncertified.id
            )))
            .form(&[("csrf", w.admin.csrf.as_str()), ("cert_no", "A20200001111")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let cert = w
            .app
            .custody
            .legal_qualification(&w.uncertified.id)
            .await
            .unwrap();
        assert_eq!(cert.as_deref(), Some("A20200001111"));
        let logged = w
            .app
            .custody
            .db()
            .entries_for(&format!("user:{}", w.uncertified.id))
            .await
            .unwrap();
        assert!(
            logged
                .iter()
                .any(|e| e.action == "account.legal_qualification" && e.actor == w.admin.id)
        );
        // The officer may not record one.
        let (status, _) = call(
            &w.app,
            &w.officer,
            Method::PUT,
            &format!("/api/v1/users/{}/legal-qualification", w.officer.id),
            Some(json!({ "cert_no": "X" })),
        )
        .await;
        assert_eq!(status, 403);
        assert_verifies(&w.app).await;
    })
    .await;
}

#[tokio::test]
async fn a_time_limit_beyond_the_calendar_is_refused() {
    // The shipped calendar lists 2026 only: from Fri 25 Dec 2026 the 5 working days of the
    // review reach 2027, whose holidays it does not know.
    let mut w = world(TestApp::new().await).await;
    let late = "2026-12-28T02:00:00Z".parse::<Timestamp>().unwrap();
    let now = w.app.custody.now();
    if now < late {
        w.app.clock.advance(late.duration_since(now));
        w.officer = who(&w.app, "zhangwei").await;
    }
    let id = w.draft_fine("200000", "organisation").await;
    let (status, v) = w.submit(&id).await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (403, Some("calendar_not_covered")),
        "{v}"
    );
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("未载入 2027 年"), "{message}");
    assert_eq!(w.status(&id).await, "draft", "nothing changed");
    assert!(
        w.app
            .custody
            .pending_reviews(w.app.custody.now())
            .await
            .unwrap()
            .is_empty()
    );
    assert_verifies(&w.app).await;
}

#[tokio::test]
async fn an_overdue_review_is_alerted_once_on_the_alerts_page_inbox_and_home() {
    each_backend(|app| async move {
        app.user_named("ducha", "督察", &[Role::Supervisor], GX)
            .await;
        let mut w = world(app).await;
        let id = w.draft_fine("200000", "organisation").await;
        assert_eq!(w.submit(&id).await.0, 200);
        let raised = |w: &World| {
            let db = w.app.custody.db().clone();
            let subject = format!("decision:{id}");
            async move {
                db.entries_for(&subject)
                    .await
                    .unwrap()
                    .into_iter()
                    .filter(|e| e.action == "decision.review_overdue")
                    .collect::<Vec<_>>()
            }
        };
        // Within its limit: waiting, not overdue, nothing raised.
        let sup = who(&w.app, "ducha").await;
        let home = text(&w.app, &w.legal, "/").await;
        assert!(home.contains("id=\"home-reviews\""), "{home}");
        assert!(home.contains("件待法制审核"));
        let path = "/api/v1/alerts?kind=review_overdue";
        let (_, v) = call(&w.app, &sup, Method::GET, path, None).await;
        assert_eq!(v["alerts"].as_array().map(Vec::len), Some(0), "{v}");
        assert!(raised(&w).await.is_empty());
        // A month later (the injected clock) the 5 working days are past; sessions have
        // lapsed, so everyone signs in again.
        w.app.clock.advance(SignedDuration::from_hours(24 * 30));
        let sup = who(&w.app, "ducha").await;
        w.legal = who(&w.app, "chenjing").await;
        let (status, v) = call(&w.app, &sup, Method::GET, path, None).await;
        assert_eq!(status, 200, "{v}");
        let alerts = v["alerts"].as_array().unwrap().clone();
        assert_eq!(alerts.len(), 1, "{v}");
        let html = text(&w.app, &sup, "/alerts").await;
        assert!(html.contains("法制审核逾期未办结"), "{html}");
        assert!(html.contains("平高应急罚〔2026〕88号"), "{html}");
        let inbox = text(&w.app, &w.legal, "/legal-review").await;
        assert!(inbox.contains("id=\"overdue-alert\""), "{inbox}");
        let home = text(&w.app, &w.legal, "/").await;
        assert!(home.contains("id=\"home-reviews-overdue\""), "{home}");
        assert!(
            home.contains("<span class=\"num\">1</span><span>件法制审核已逾期"),
            "{home}"
        );
        // Looked at again and again, and by the background check: raised once, logged.
        text(&w.app, &sup, "/alerts").await;
        text(&w.app, &w.legal, "/legal-review").await;
        let again = w
            .app
            .custody
            .raise_overdue_reviews(w.app.custody.now())
            .await
            .unwrap();
        assert!(again.is_empty(), "already raised");
        let entries = raised(&w).await;
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].actor, "system");
        let details = liuhen_db::EntryBody::parse(&entries[0].body)
            .unwrap()
            .details;
        assert_eq!(details["round"], 1);
        assert_eq!(alerts[0]["evidence"], json!([entries[0].seq]));
        // Extended once: the new limit, when it passes too, is alerted again (once).
        let body = json!({"reason": "案情复杂，需补充调查"});
        assert_eq!(w.post(&w.legal, &id, "extend", body).await.0, 200);
        w.app.clock.advance(SignedDuration::from_hours(24 * 30));
        w.legal = who(&w.app, "chenjing").await;
        text(&w.app, &w.legal, "/legal-review").await;
        text(&w.app, &w.legal, "/").await;
        assert_eq!(raised(&w).await.len(), 2);
        // Decided: no longer pending, nothing more raised.
        assert_eq!(w.review(&w.legal, &id, "approve").await.0, 200);
        w.app.clock.advance(SignedDuration::from_hours(24 * 30));
        w.app
            .custody
            .raise_overdue_reviews(w.app.custody.now())
            .await
            .unwrap();
        assert_eq!(raised(&w).await.len(), 2);
        assert_verifies(&w.app).await;
        // A raised alert deleted from its table shows in verify.
        liuhen_db::testing::tamper(w.app.custody.db(), "DELETE FROM decision_review_alerts")
            .await
            .unwrap();
        let report = verify(&w.app).await;
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.code == "review_alert_missing"),
            "{:#?}",
            report.problems
        );
    })
    .await;
}
