//! The approval workflows through the HTTP API: a copy from request to fee with the log
//! entries the access register reads; approval bypasses (self-approval, skipped step,
//! replayed or expired approval, an approval used for another request or record, one
//! person deciding two steps) all refused and logged; revocation stops a grant at once;
//! loans to internal staff only with return and the overdue list; outside requesters with
//! their papers checklist and the conclusive-documents rule.

use serde_json::{Value, json};

use crate::access_world::{GX, World};

use crate::support::Entry;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn archived_records(w: &World, n: usize, case_no: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..n {
        ids.push(w.record(GX, "李娜").await);
    }
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    w.case(case_no, &["李娜"], &refs, true).await;
    ids
}

async fn refused_logged(w: &World, request: &str, actor_key: &str, reason: &str) -> bool {
    let actor = w.who(actor_key).principal.user_id.clone();
    w.entries(&format!("request:{request}"))
        .await
        .into_iter()
        .any(
            |Entry {
                 actor: a,
                 action,
                 details: d,
                 ..
             }| a == actor && action == "access.refused" && d["reason"] == reason,
        )
}

#[tokio::test]
async fn a_copy_passes_legal_review_and_leader_approval_and_is_made_with_its_fee() {
    let w = World::new().await;
    let recs = archived_records(&w, 2, "高新应急检〔2026〕11号").await;
    let req = w
        .file(
            "officer",
            json!({ "kind": "copy", "records": recs, "purpose": "行政诉讼举证", "discs": 1, "pages": 4 }),
        )
        .await;
    assert_eq!(req["flow"], json!(["legal_review", "leader_approval"]));
    let (s, v) = w.decide("legal", &req, "approve").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["next_step"], "leader_approval");
    let (s, v) = w.decide("leader", &req, "approve").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "approved");
    assert_eq!(v["grants"], json!([]), "a copy request grants no viewing");
    let rid = id(&req);
    let (s, v) = w
        .post(
            "keeper",
            &format!("/api/v1/access/requests/{rid}/copies"),
            json!({ "extractor": "李娜", "proves": "当事人拒绝停止动火作业的事实" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "done");
    assert_eq!(v["fee_cents"], 2000 + 4 * 50);
    let copies = v["copies"].as_array().unwrap();
    assert_eq!(copies.len(), 2);
    for c in copies {
        let (_, rec) = w
            .get(
                "keeper",
                &format!("/api/v1/records/{}", c["record"].as_str().unwrap()),
            )
            .await;
        assert_eq!(
            c["original_sha256"], rec["record"]["sha256"],
            "bound to the original's digest"
        );
        assert_eq!(c["maker"], "赵敏");
        assert_eq!(c["extractor"], "李娜");
        // The statement is a blob of its own, readable and naming everything R3.10 asks.
        let sha: liuhen_domain::Sha256Digest =
            c["statement_sha256"].as_str().unwrap().parse().unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut w.app.custody.blobs().open(&sha).unwrap(), &mut text)
            .unwrap();
        for needle in [
            "制作人：赵敏",
            "提取人：李娜",
            "提取时间：",
            "证明对象：当事人拒绝停止动火作业的事实",
            "行政诉讼举证",
        ] {
            assert!(text.contains(needle), "{needle} in {text}");
        }
    }
    let (s, v) = w
        .post(
            "keeper",
            &format!("/api/v1/access/requests/{rid}/fee"),
            json!({ "receipt_no": "NO.20261129-001" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["receipt_no"], "NO.20261129-001");
    let (s, _) = w
        .post(
            "keeper",
            &format!("/api/v1/access/requests/{rid}/fee"),
            json!({ "receipt_no": "again" }),
        )
        .await;
    assert_eq!(s, 400, "paid once");
    // The log carries what the access register needs.
    let log = w.entries(&format!("request:{rid}")).await;
    let actions: Vec<&str> = log
        .iter()
        .map(|Entry { action: a, .. }| a.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "access.request_filed",
            "access.approved",
            "access.approved",
            "fee.paid"
        ]
    );
    let filed = &log[0].details;
    assert_eq!(filed["kind"], "copy");
    assert_eq!(filed["purpose"], "行政诉讼举证");
    assert_eq!(filed["requester"]["name"], "张伟");
    assert_eq!(filed["requester"]["type"], "internal");
    assert_eq!(filed["records"].as_array().unwrap().len(), 2);
    assert_eq!(log[1].details["step"], "legal_review");
    assert_eq!(log[1].details["decision"], "approve");
    assert_eq!(log[2].details["step"], "leader_approval");
    assert_eq!(log[2].details["approved_by"], json!(["陈静", "杨军"]));
    assert_eq!(log[3].details["fee_cents"], 2200);
    assert_eq!(log[3].details["receipt_no"], "NO.20261129-001");
    for r in &recs {
        let made: Vec<_> = w
            .entries(&format!("record:{r}"))
            .await
            .into_iter()
            .filter(|Entry { action: a, .. }| a == "copy.made")
            .collect();
        assert_eq!(made.len(), 1);
        assert_eq!(made[0].details["request"], rid.as_str());
        assert_eq!(made[0].details["fee_cents"], 2200);
        assert_eq!(made[0].details["approved_by"], json!(["陈静", "杨军"]));
    }
}

#[tokio::test]
async fn approval_bypasses_are_refused_and_logged() {
    let w = World::new().await;
    let recs = archived_records(&w, 2, "高新应急检〔2026〕12号").await;
    let copy =
        |r: &str| json!({ "kind": "copy", "records": [r], "purpose": "案件研究", "discs": 1 });
    // Self-approval: the legal officer asks and reviews herself.
    let own = w.file("legal", copy(&recs[0])).await;
    let (s, v) = w.decide("legal", &own, "approve").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("self_approval")),
        "{v}"
    );
    assert!(refused_logged(&w, &id(&own), "legal", "self_approval").await);

    // Skipped step: the leader before the legal review.
    let a = w.file("officer", copy(&recs[0])).await;
    let (s, v) = w
        .post(
            "leader",
            &format!("/api/v1/access/requests/{}/decisions", id(&a)),
            json!({ "step": "leader_approval", "decision": "approve", "basis": a["basis"] }),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("step_out_of_order")),
        "{v}"
    );
    assert!(refused_logged(&w, &id(&a), "leader", "step_out_of_order").await);

    // Replayed approval: the same step again.
    let (s, _) = w.decide("legal", &a, "approve").await;
    assert_eq!(s, 200);
    let (s, v) = w
        .post(
            "legal",
            &format!("/api/v1/access/requests/{}/decisions", id(&a)),
            json!({ "step": "legal_review", "decision": "approve", "basis": a["basis"] }),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("step_already_decided")),
        "{v}"
    );

    // An approval meant for another request (another record): its basis does not fit.
    let b = w.file("officer", copy(&recs[1])).await;
    let (s, v) = w
        .post(
            "legal",
            &format!("/api/v1/access/requests/{}/decisions", id(&b)),
            json!({ "step": "legal_review", "decision": "approve", "basis": a["basis"] }),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("approval_basis_mismatch")),
        "{v}"
    );
    assert!(refused_logged(&w, &id(&b), "legal", "approval_basis_mismatch").await);

    // Expired approval: the legal review is older than the policy's 72 hours.
    w.sql(
        "UPDATE access_approvals SET decided_ms = decided_ms - 73 * 3600 * 1000 WHERE request_id = ?",
        &id(&a),
    )
    .await;
    let (s, v) = w.decide("leader", &a, "approve").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("approval_expired")),
        "{v}"
    );
    let (_, v) = w
        .get("officer", &format!("/api/v1/access/requests/{}", id(&a)))
        .await;
    assert_eq!(v["status"], "expired");

    // One person, two steps: someone who is both legal office and leader.
    let c = w.file("officer", copy(&recs[1])).await;
    let both = w
        .app
        .custody
        .create_user_unchecked(
            "test",
            liuhen_app::accounts::NewUser {
                username: "both".into(),
                display_name: "双职".into(),
                password: crate::support::TEST_PASSWORD.into(),
                unit: Some(GX.into()),
                department: None,
                roles: vec![
                    liuhen_domain::Role::LegalOffice,
                    liuhen_domain::Role::EnforcementLeader,
                ],
            },
        )
        .await
        .unwrap();
    let token = w.app.custody.create_api_token(&both, "t").await.unwrap();
    let http = w.app.client();
    let decide = |step: &'static str| {
        http.post(
            w.app
                .url(&format!("/api/v1/access/requests/{}/decisions", id(&c))),
        )
        .bearer_auth(&token)
        .json(&json!({ "step": step, "decision": "approve", "basis": c["basis"] }))
        .send()
    };
    assert_eq!(decide("legal_review").await.unwrap().status(), 200);
    let res = decide("leader_approval").await.unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "same_approver"
    );

    // A role that decides nothing, and an approver of another unit.
    let (s, _) = w.decide("officer", &b, "approve").await;
    assert_eq!(s, 403);
    let (s, _) = w.decide("other_unit", &b, "approve").await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn a_view_grant_covers_exactly_its_records_and_revocation_stops_it_at_once() {
    let w = World::new().await;
    let recs = archived_records(&w, 2, "高新应急检〔2026〕13号").await;
    let req = w
        .file(
            "officer",
            json!({ "kind": "view", "records": [recs[0]], "purpose": "类案研究" }),
        )
        .await;
    assert_eq!(req["flow"], json!(["consent"]));
    // A colleague has no business with it; the department that consents has.
    let path = format!("/api/v1/access/requests/{}", id(&req));
    assert_eq!(w.get("camera", &path).await.0, 404);
    assert_eq!(w.get("other_unit", &path).await.0, 404);
    assert_eq!(w.get("dept", &path).await.0, 200);
    // A department that does not handle the case cannot consent.
    let (s, v) = w.decide("other_dept", &req, "approve").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("approver_outside_scope")),
        "{v}"
    );
    let (s, _) = w
        .get("officer", &format!("/api/v1/records/{}", recs[0]))
        .await;
    assert_eq!(s, 404, "nothing before consent (not even that it exists)");
    let (s, v) = w.decide("dept", &req, "approve").await;
    assert_eq!(s, 200, "{v}");
    let grant = v["grants"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(v["grants"][0]["download"], false, "in place only");
    let (s, _) = w
        .get("officer", &format!("/api/v1/records/{}", recs[0]))
        .await;
    assert_eq!(s, 200);
    let (s, _) = w
        .get("officer", &format!("/api/v1/records/{}", recs[1]))
        .await;
    assert_eq!(
        s, 404,
        "the grant does not reach another record (not even that it exists)"
    );
    let (s, _) = w
        .get("officer", &format!("/api/v1/records/{}/original", recs[0]))
        .await;
    assert_eq!(s, 403, "no download under a view grant");
    // The view through the grant names it and its purpose.
    let viewed = w.entries(&format!("record:{}", recs[0])).await;
    let v = viewed
        .iter()
        .rev()
        .find(|Entry { action: a, .. }| a == "record.viewed")
        .unwrap();
    assert_eq!(v.details["grant"], grant.as_str());
    assert_eq!(v.details["purpose"], "类案研究");
    let (s, _) = w
        .post(
            "officer",
            &format!("/api/v1/access/grants/{grant}/revoke"),
            json!({ "reason": "x" }),
        )
        .await;
    assert_eq!(s, 403, "a requester does not revoke");
    let (s, _) = w
        .post(
            "keeper",
            &format!("/api/v1/access/grants/{grant}/revoke"),
            json!({ "reason": "" }),
        )
        .await;
    assert_eq!(s, 400, "a reason is required");
    let (s, _) = w
        .post(
            "keeper",
            &format!("/api/v1/access/grants/{grant}/revoke"),
            json!({ "reason": "研究已结束" }),
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = w
        .get("officer", &format!("/api/v1/records/{}", recs[0]))
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("grant_revoked")),
        "{v}"
    );
    let log = w.entries(&format!("request:{}", id(&req))).await;
    assert!(log.iter().any(
        |Entry {
             action: a,
             details: d,
             ..
         }| a == "access.granted" && d["grant"] == grant.as_str()
    ));
    assert!(log.iter().any(
        |Entry {
             action: a,
             details: d,
             ..
         }| a == "access.revoked" && d["grant"] == grant.as_str()
    ));
}

#[tokio::test]
async fn open_cases_follow_the_team_rules_and_loans_stay_inside() {
    let w = World::new().await;
    let open = w.record(GX, "李娜").await;
    w.case("高新应急检〔2026〕14号", &["李娜"], &[&open], false)
        .await;
    let (s, v) = w
        .post(
            "officer",
            "/api/v1/access/requests",
            json!({ "kind": "view", "records": [open], "purpose": "学习" }),
        )
        .await;
    assert_eq!(s, 400, "R4.9: {v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("尚未归档"));
    let recs = archived_records(&w, 1, "高新应急检〔2026〕15号").await;
    let due = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(48)).to_string();
    let (s, v) = w
        .post(
            "external",
            "/api/v1/access/requests",
            json!({ "kind": "loan", "records": recs, "purpose": "调查", "due": due }),
        )
        .await;
    assert_eq!(s, 403, "outside requesters file nothing themselves: {v}");
    let loan = w
        .file(
            "officer",
            json!({ "kind": "loan", "records": recs, "purpose": "整改复查比对", "due": due }),
        )
        .await;
    // R2.8: the case-handling department consents first, then the deputy head (R4.6)
    assert_eq!(loan["flow"], json!(["consent", "deputy_approval"]));
    let (s, v) = w.decide("deputy", &loan, "approve").await;
    assert_ne!(
        s, 200,
        "the deputy head cannot decide before the consent: {v}"
    );
    let (s, v) = w.decide("dept", &loan, "approve").await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = w.decide("deputy", &loan, "approve").await;
    assert_eq!(s, 200, "{v}");
    let lid = id(&loan);
    let (s, v) = w
        .post(
            "keeper",
            &format!("/api/v1/access/requests/{lid}/loan"),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, _) = w
        .get("officer", &format!("/api/v1/records/{}/original", recs[0]))
        .await;
    assert_eq!(s, 200, "a loan takes the record away");
    let (_, v) = w.get("keeper", "/api/v1/access/loans").await;
    assert_eq!(v["loans"][0]["overdue"], false);
    // Issue 18: the loan is listed by its loan request's human number.
    let (s, html) = w.get("keeper", "/access/loans").await;
    assert_eq!(s, 200);
    let loan_no = loan["number"].as_str().unwrap();
    assert!(loan_no.starts_with("平高应急借字〔"), "{loan_no}");
    assert!(
        html.as_str().unwrap().contains(&format!(">{loan_no}</a>")),
        "{html}"
    );
    w.sql(
        "UPDATE access_loans SET due_ms = 1 WHERE request_id = ?",
        &lid,
    )
    .await;
    let (_, v) = w.get("keeper", "/api/v1/access/loans").await;
    assert_eq!(v["loans"][0]["overdue"], true, "reminder list");
    let (s, page) = w.get("keeper", "/access").await;
    assert_eq!(s, 200);
    assert!(
        page.as_str()
            .unwrap()
            .contains("逾期未还的借阅，请及时催还： 1"),
        "reminder on the overview"
    );
    let (s, v) = w
        .post(
            "keeper",
            &format!("/api/v1/access/requests/{lid}/return"),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "done");
    let (s, _) = w
        .get("officer", &format!("/api/v1/records/{}/original", recs[0]))
        .await;
    assert_eq!(s, 403, "returned: the grant ended");
    let (_, v) = w.get("keeper", "/api/v1/access/loans").await;
    assert_eq!(v["loans"], json!([]));
    let log = w.entries(&format!("request:{lid}")).await;
    let actions: Vec<&str> = log
        .iter()
        .map(|Entry { action: a, .. }| a.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "access.request_filed",
            "access.refused",
            "access.approved",
            "access.approved",
            "access.granted",
            "loan.issued",
            "loan.returned"
        ],
        "the deputy head's early decision is refused and logged; consent, then approval"
    );
    assert_eq!(log[6].details["overdue"], true);
}

#[tokio::test]
async fn outside_requests_need_their_papers_and_parties_see_conclusive_documents_only() {
    let w = World::new().await;
    let recs = archived_records(&w, 2, "高新应急检〔2026〕16号").await;
    let lawyer = json!({
        "kind": "outside", "records": [recs[0]], "purpose": "代理行政诉讼",
        "discs": 1, "legal_basis": "当事人已提起行政诉讼（某区人民法院受理）",
        "outside": { "type": "lawyer", "name": "孙律师", "unit": "某律师事务所", "id_number": "410400198001010000", "copy": true }
    });
    let (s, v) = w
        .post("keeper", "/api/v1/access/requests", lawyer.clone())
        .await;
    assert_eq!(s, 400, "not a conclusive document: {v}");
    let (s, _) = w
        .post(
            "keeper",
            &format!("/api/v1/records/{}/labels", recs[0]),
            json!({ "label": "conclusive", "set": true, "reason": "行政处罚决定书" }),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = w
        .post("officer", "/api/v1/access/requests", lawyer.clone())
        .await;
    assert_eq!(s, 403, "outside requests are registered by the keeper");
    let req = w.file("keeper", lawyer).await;
    assert_eq!(
        req["flow"],
        json!(["consent", "legal_review", "leader_approval"])
    );
    assert_eq!(req["missing_papers"].as_array().unwrap().len(), 5);
    let rid = id(&req);
    let (s, v) = w.decide("dept", &req, "approve").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("papers_missing")),
        "{v}"
    );
    assert!(refused_logged(&w, &rid, "dept", "papers_missing").await);
    let http = w.app.client();
    for paper in [
        "introduction_letter",
        "id_card",
        "power_of_attorney",
        "lawyer_letter",
        "practising_certificate",
    ] {
        let res = http
            .put(w.app.url(&format!(
                "/api/v1/access/requests/{rid}/papers/{paper}?file_name={paper}.pdf"
            )))
            .bearer_auth(&w.who("keeper").token)
            .header("content-type", "application/pdf")
            .body(format!("%PDF-1.4 scan of {paper}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{paper}");
    }
    let (s, v) = w.decide("dept", &req, "approve").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(w.decide("legal", &req, "approve").await.0, 200);
    assert_eq!(w.decide("leader", &req, "approve").await.0, 200);
    let (s, v) = w
        .post(
            "keeper",
            &format!("/api/v1/access/requests/{rid}/visits"),
            json!({ "note": "当场查阅" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = w
        .post(
            "keeper",
            &format!("/api/v1/access/requests/{rid}/copies"),
            json!({ "extractor": "赵敏", "proves": "处罚决定已送达" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["fee_cents"], 2000);
    let log = w.entries(&format!("request:{rid}")).await;
    let visit = log
        .iter()
        .find(|Entry { action: a, .. }| a == "visit.outside")
        .unwrap();
    assert_eq!(visit.details["requester"]["type"], "lawyer");
    assert_eq!(visit.details["requester"]["name"], "孙律师");
    assert_eq!(
        visit.details["legal_basis"],
        "当事人已提起行政诉讼（某区人民法院受理）"
    );
    assert_eq!(
        visit.details["approved_by"],
        json!(["郭磊", "陈静", "杨军"])
    );
    // A court needs no conclusive mark; a party does.
    let court = json!({ "kind": "outside", "records": [recs[1]], "purpose": "审理需要",
        "outside": { "type": "court", "name": "法官", "unit": "某区人民法院", "id_number": "1", "copy": false } });
    let (s, _) = w.post("keeper", "/api/v1/access/requests", court).await;
    assert_eq!(s, 201);
    let party = json!({ "kind": "outside", "records": [recs[1]], "purpose": "了解情况",
        "outside": { "type": "party", "name": "王某", "unit": "", "id_number": "2", "copy": false } });
    let (s, _) = w.post("keeper", "/api/v1/access/requests", party).await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn a_bureau_loads_its_own_policy_and_a_bad_one_stops_the_start_with_the_entry_named() {
    // Copies also need the case department's consent in this bureau, and cost more.
    let own = liuhen_domain::access::DEFAULT_POLICY
        .replace(
            "copy = [\"legal_review\", \"leader_approval\"]",
            "copy = [\"consent\", \"legal_review\", \"leader_approval\"]",
        )
        .replace("per_disc_cents = 2000", "per_disc_cents = 3000");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("policy.toml"), &own).unwrap();
    std::fs::write(
        data.join("liuhen.toml"),
        "[access]\npolicy_file = \"policy.toml\"\n",
    )
    .unwrap();
    let c = liuhen_app::Custody::open(liuhen_app::OpenOptions::new(&data))
        .await
        .unwrap();
    assert_eq!(
        c.policy().flow(liuhen_domain::access::Flow::Copy),
        &[
            liuhen_domain::access::Step::Consent,
            liuhen_domain::access::Step::LegalReview,
            liuhen_domain::access::Step::LeaderApproval
        ]
    );
    assert_eq!(c.policy().fees.per_disc_cents, 3000);
    drop(c);
    let bad = own.replace("scope = \"team\"", "scope = \"everyone\"");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("policy.toml"), &bad).unwrap();
    std::fs::write(
        data.join("liuhen.toml"),
        "[access]\npolicy_file = \"policy.toml\"\n",
    )
    .unwrap();
    let e = liuhen_app::Custody::open(liuhen_app::OpenOptions::new(&data))
        .await
        .err()
        .expect("a bad policy stops the start")
        .to_string();
    assert!(
        e.contains("rules[2]") && e.contains("everyone") && e.contains("policy.toml"),
        "{e}"
    );
}
