//! Issue 10.1–10.3 through HTTP: identity is the account and its unit, never a display
//! name; a grant stays what it was approved as; writes stay in the writer's unit. Each
//! regression test is named after the hole it pins (each failed on the code before).

use liuhen_domain::RecordId;
use serde_json::{Value, json};

use crate::access_world::{GX, WD, World};

use crate::support::Entry;

/// The first step of a case (the world's cases have one).
async fn step_of(w: &World, case: &str) -> String {
    w.app.custody.case_steps(case).await.unwrap()[0]
        .step
        .id
        .clone()
}

/// Whether `key` can open the record (200) — refused is 403 or 404.
async fn sees(w: &World, key: &str, record: &str) -> bool {
    let (s, v) = w.get(key, &format!("/api/v1/records/{record}")).await;
    assert!(matches!(s, 200 | 403 | 404), "{key} {record}: {s} {v}");
    s == 200
}

async fn listed(w: &World, key: &str) -> Vec<String> {
    let (s, v) = w.get(key, "/api/v1/records?page_size=100").await;
    if s != 200 {
        return Vec::new();
    }
    v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn same_display_name_in_another_unit_sees_nothing_of_the_others_records() {
    let w = World::new().await;
    let own = w.record(GX, "张伟").await;
    let secret = w.record(GX, "张伟").await;
    let in_case = w.record(GX, "张伟").await;
    let case = w
        .case("高新应急检〔2026〕61号", &["张伟"], &[&in_case], false)
        .await;
    let (s, v) = w
        .post(
            "keeper",
            &format!("/api/v1/records/{secret}/labels"),
            json!({ "label": "state_secret", "set": true, "reason": "涉及国家秘密" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // GX 张伟 sees his own, the 国家秘密 one (his own: need to know) and his case's.
    for r in [&own, &secret, &in_case] {
        assert!(sees(&w, "officer", r).await, "GX 张伟 sees {r}");
    }
    assert_eq!(
        w.get("officer", &format!("/api/v1/cases/{case}")).await.0,
        200
    );
    // WD 张伟: same display name, another account of another unit — nothing at all.
    for r in [&own, &secret, &in_case] {
        assert!(
            !sees(&w, "other_zhangwei", r).await,
            "WD 张伟 must not see {r}"
        );
        let (s, _) = w
            .get("other_zhangwei", &format!("/records/{r}/thumbnail"))
            .await;
        assert!(matches!(s, 403 | 404), "WD 张伟 plays {r}: {s}");
    }
    assert!(listed(&w, "other_zhangwei").await.is_empty());
    let (s, _) = w
        .get("other_zhangwei", &format!("/api/v1/cases/{case}"))
        .await;
    assert!(matches!(s, 403 | 404), "WD 张伟 opens GX's case: {s}");
    let (s, v) = w.get("other_zhangwei", "/api/v1/cases").await;
    assert!(
        s != 200 || v["total"].as_u64() == Some(0),
        "WD 张伟 lists GX's case: {v}"
    );
    // The record names the account, not only the name.
    let rec = w
        .app
        .custody
        .record(&RecordId::parse(&own).unwrap())
        .await
        .unwrap();
    assert_eq!(
        rec.officer_id.as_deref(),
        Some(w.who("officer").principal.user_id.as_str())
    );
}

#[tokio::test]
async fn a_grant_then_a_link_does_not_outlive_the_grant() {
    let w = World::new().await;
    // 张伟's record, in no case; 刘洋 (camera operator, same unit) has a case of his own.
    let record = w.record(GX, "张伟").await;
    let theirs = w
        .case("高新应急检〔2026〕62号", &["刘洋"], &[], false)
        .await;
    let step = step_of(&w, &theirs).await;
    assert!(!sees(&w, "camera", &record).await);
    // An approved view request: a grant for a week.
    let req = w
        .file(
            "camera",
            json!({ "kind": "view", "records": [&record], "purpose": "案件研究" }),
        )
        .await;
    let (s, v) = w.decide("dept", &req, "approve").await;
    assert_eq!(s, 200, "{v}");
    let grant = v["grants"][0]["id"].as_str().unwrap().to_owned();
    assert!(sees(&w, "camera", &record).await, "the grant opens it");
    // Linking it into his own case would make the view permanent: refused, nothing linked.
    let (s, v) = w
        .post(
            "camera",
            &format!("/api/v1/cases/{theirs}/steps/{step}/links"),
            json!({ "record_id": &record }),
        )
        .await;
    assert_eq!(s, 403, "link through a grant: {v}");
    assert!(
        w.app
            .custody
            .db()
            .step_records(&step)
            .await
            .unwrap()
            .is_empty()
    );
    // Widening his team to another unit is refused too (cross-unit help is a grant).
    let (s, v) = w
        .call(
            "camera",
            reqwest::Method::PATCH,
            &format!("/api/v1/cases/{theirs}"),
            Some(json!({ "team": ["刘洋", "王芳"], "reason": "协助" })),
        )
        .await;
    assert_eq!(s, 400, "cross-unit team member: {v}");
    let team = w.app.custody.case(&theirs).await.unwrap().team;
    assert_eq!(team, vec!["刘洋".to_owned()]);
    // The grant expires (its time moved back): the view is gone.
    w.sql(
        "UPDATE access_grants SET expires_ms = 1 WHERE id = ?",
        &grant,
    )
    .await;
    assert!(!sees(&w, "camera", &record).await, "expired grant");
    assert!(!listed(&w, "camera").await.contains(&record));
    // The record's keeper may link it (manages the record and the case).
    let (s, v) = w
        .post(
            "keeper",
            &format!("/api/v1/cases/{theirs}/steps/{step}/links"),
            json!({ "record_id": &record }),
        )
        .await;
    assert_eq!(s, 201, "{v}");
}

/// tus `Upload-Metadata`: `key base64,key base64`.
fn metadata(pairs: &[(&str, &str)]) -> String {
    use base64::Engine as _;
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{k} {}",
                base64::engine::general_purpose::STANDARD.encode(v)
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

async fn tus_create(w: &World, key: &str, meta: &str) -> (u16, String) {
    let res = w
        .app
        .client()
        .post(w.app.url("/api/v1/uploads"))
        .bearer_auth(&w.who(key).token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "16")
        .header("Upload-Metadata", meta)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap_or_default())
}

async fn count(w: &World, table: &str) -> i64 {
    use sqlx::{Connection, Row};
    let url = format!("sqlite://{}", w.app.data.join("liuhen.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) AS n FROM {table}"
    )))
    .fetch_one(&mut conn)
    .await
    .unwrap();
    row.try_get("n").unwrap()
}

#[tokio::test]
async fn an_officer_uploading_into_another_unit_is_refused() {
    let w = World::new().await;
    let before = (count(&w, "uploads").await, count(&w, "cases").await);
    // Another unit as the upload's agency.
    let (s, body) = tus_create(
        &w,
        "officer",
        &metadata(&[("filename", "a.mp4"), ("agency", WD)]),
    )
    .await;
    assert_eq!(s, 403, "{body}");
    // Another unit's officer as the upload's officer.
    let (s, body) = tus_create(
        &w,
        "officer",
        &metadata(&[("filename", "a.mp4"), ("officer", "王芳")]),
    )
    .await;
    assert_eq!(s, 403, "{body}");
    // A case put into another unit.
    let (s, v) = w
        .post(
            "officer",
            "/api/v1/cases",
            json!({
                "number": "卫东应急检〔2026〕1号", "name": "检查", "category": "inspection",
                "agency": WD, "department": "执法监察大队",
                "parties": [{"kind": "unit", "name": "某公司", "id_or_credit_code": "9141"}],
                "team": ["张伟"]
            }),
        )
        .await;
    assert_eq!(s, 403, "{v}");
    // Nothing changed.
    assert_eq!(
        (count(&w, "uploads").await, count(&w, "cases").await),
        before
    );
    // In his own unit, naming himself or a colleague of the unit: accepted.
    let (s, body) = tus_create(
        &w,
        "officer",
        &metadata(&[("filename", "a.mp4"), ("agency", GX), ("officer", "刘洋")]),
    )
    .await;
    assert_eq!(s, 201, "{body}");
    let (s, v) = w
        .post(
            "officer",
            "/api/v1/cases",
            json!({
                "number": "高新应急检〔2026〕63号", "name": "检查", "category": "inspection",
                "department": "执法监察大队",
                "parties": [{"kind": "unit", "name": "某公司", "id_or_credit_code": "9141"}],
                "team": ["张伟"]
            }),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["agency"], Value::from(GX));
}

/// A small deterministic generator (xorshift64*): the property test needs no crate.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
}

/// Every (person, record) pair the policy lets view now, as the single authorization
/// point answers for the stored facts.
async fn viewable(w: &World, records: &[String]) -> std::collections::BTreeSet<(String, String)> {
    let c = &w.app.custody;
    let mut out = std::collections::BTreeSet::new();
    for r in records {
        let record = c.record(&RecordId::parse(r).unwrap()).await.unwrap();
        for p in &w.people {
            let facts = c.record_facts(&p.principal, &record).await.unwrap();
            if c.allows(
                &p.principal,
                liuhen_domain::authz::Action::ViewRecord,
                &facts,
            ) {
                out.insert((p.key.to_owned(), r.clone()));
            }
        }
    }
    out
}

/// Issue 10.2's property: random sequences of acts by people who manage none of the
/// records (a camera operator, an officer of another unit, the other unit's 张伟) — view
/// requests approved, links, team changes, new cases, grants running out — never let
/// anyone view a record they could not view before, except the holder of an approved,
/// unexpired grant; once every grant has expired, exactly the first set remains.
#[tokio::test]
async fn grants_never_widen_under_random_acts_of_unprivileged_users() {
    let w = World::new().await;
    let records = vec![
        w.record(GX, "张伟").await,
        w.record(GX, "张伟").await,
        w.record(GX, "李娜").await,
        w.record(GX, "李娜").await,
        w.record(WD, "张伟").await,
    ];
    w.case("高新应急检〔2026〕81号", &["张伟"], &[&records[0]], false)
        .await;
    w.case("高新应急检〔2026〕82号", &["李娜"], &[&records[2]], true)
        .await;
    w.case("高新应急检〔2026〕83号", &["刘洋"], &[], false)
        .await;
    let actors = ["camera", "other_unit", "other_zhangwei"];
    let names = ["张伟", "刘洋", "王芳", "赵敏", "郭磊", "何明"];
    let start = viewable(&w, &records).await;
    let mut grants: Vec<(String, String, String)> = Vec::new(); // (person, record, grant)
    let mut rng = Rng(0x0001_de47_17e5);
    let mut acts = std::collections::BTreeMap::<&str, u32>::new();
    let mut granted = 0;
    for i in 0..40 {
        let actor = actors[rng.below(actors.len())];
        let record = &records[rng.below(records.len())];
        let cases: Vec<String> = w
            .app
            .custody
            .cases(100)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        let case = &cases[rng.below(cases.len())];
        let act = match rng.below(5) {
            0 => {
                let (s, req) = w
                    .post(
                        actor,
                        "/api/v1/access/requests",
                        json!({ "kind": "view", "records": [record], "purpose": "案件研究" }),
                    )
                    .await;
                if s == 201 {
                    let (s, v) = w.decide("dept", &req, "approve").await;
                    if s == 200
                        && let Some(g) = v["grants"][0]["id"].as_str()
                    {
                        grants.push((actor.to_owned(), record.clone(), g.to_owned()));
                        granted += 1;
                    }
                }
                "request"
            }
            1 => {
                let steps = w.app.custody.case_steps(case).await.unwrap();
                if let Some(st) = steps.first() {
                    w.post(
                        actor,
                        &format!("/api/v1/cases/{case}/steps/{}/links", st.step.id),
                        json!({ "record_id": record }),
                    )
                    .await;
                }
                "link"
            }
            2 => {
                let mut team = w.app.custody.case(case).await.unwrap().team;
                team.push(names[rng.below(names.len())].to_owned());
                w.call(
                    actor,
                    reqwest::Method::PATCH,
                    &format!("/api/v1/cases/{case}"),
                    Some(json!({ "team": team, "reason": "调整办案人员" })),
                )
                .await;
                "team"
            }
            3 => {
                let team = [names[rng.below(names.len())], names[rng.below(names.len())]];
                let agency = [GX, WD][rng.below(2)];
                w.post(
                    actor,
                    "/api/v1/cases",
                    json!({
                        "number": format!("随机〔2026〕{i}号"), "name": "检查",
                        "category": "inspection", "agency": agency,
                        "department": "执法监察大队",
                        "parties": [{"kind": "unit", "name": "某公司", "id_or_credit_code": "9141"}],
                        "team": team
                    }),
                )
                .await;
                "case"
            }
            _ => {
                // Time passes for one grant: its expiry moves into the past.
                if !grants.is_empty() {
                    let (_, _, g) = grants.remove(rng.below(grants.len()));
                    w.sql("UPDATE access_grants SET expires_ms = 1 WHERE id = ?", &g)
                        .await;
                }
                "expire"
            }
        };
        *acts.entry(act).or_default() += 1;
        let now = viewable(&w, &records).await;
        let widened: Vec<_> = now
            .difference(&start)
            .filter(|(p, r)| !grants.iter().any(|(gp, gr, _)| gp == p && gr == r))
            .collect();
        assert!(
            widened.is_empty(),
            "after act {i} ({act} by {actor}): {widened:?}"
        );
    }
    assert!(acts.len() == 5, "every kind of act was tried: {acts:?}");
    assert!(granted >= 2, "grants were approved: {granted}");
    for (_, _, g) in &grants {
        w.sql("UPDATE access_grants SET expires_ms = 1 WHERE id = ?", g)
            .await;
    }
    assert_eq!(
        viewable(&w, &records).await,
        start,
        "back once every grant expired"
    );
}

async fn problems(w: &World) -> Vec<String> {
    let report = w
        .app
        .custody
        .verify(
            liuhen_app::verify::VerifyOptions { fixity: false },
            &liuhen_app::verify::Quiet,
        )
        .await
        .unwrap();
    report.problems.iter().map(|p| p.code.to_owned()).collect()
}

/// Rows made before identity by account (names only, no account): the mapping after
/// migration 0013 takes a name that is exactly one account of the row's unit, logged;
/// an ambiguous or unknown name is listed and left to a person, whose resolution is
/// logged; `verify` holds throughout and notices an account edited outside liuhen.
#[tokio::test]
async fn names_before_0013_are_mapped_only_when_unambiguous_and_verify_holds() {
    let w = World::new().await;
    // 李娜 and 陈某 have no account yet: their rows carry no account, as before 0013.
    let mapped_later = w.record(GX, "李娜").await;
    let ambiguous = w.record(GX, "陈某").await;
    let case = w
        .case("高新应急检〔2026〕91号", &["李娜", "陈某"], &[], false)
        .await;
    assert!(problems(&w).await.is_empty());
    let c = &w.app.custody;
    let mut ids = Vec::new();
    for (username, name) in [("lina", "李娜"), ("chen1", "陈某"), ("chen2", "陈某")] {
        ids.push(
            c.create_user_unchecked(
                "test",
                liuhen_app::accounts::NewUser {
                    username: username.into(),
                    display_name: name.into(),
                    password: crate::support::TEST_PASSWORD.into(),
                    unit: Some(GX.into()),
                    department: None,
                    roles: vec![liuhen_domain::Role::Officer],
                },
            )
            .await
            .unwrap(),
        );
    }
    let done = c.backfill_identities().await.unwrap();
    assert_eq!(
        (
            done.records_mapped,
            done.records_left,
            done.members_mapped,
            done.members_left
        ),
        (1, 1, 1, 1)
    );
    let officer_of = |r: &str| {
        let r = RecordId::parse(r).unwrap();
        async move { c.record(&r).await.unwrap().officer_id }
    };
    assert_eq!(officer_of(&mapped_later).await, Some(ids[0].clone()));
    assert_eq!(officer_of(&ambiguous).await, None, "never guessed");
    assert_eq!(
        c.case(&case).await.unwrap().team_ids,
        vec![Some(ids[0].clone()), None]
    );
    let left = c.unresolved_identities(100).await.unwrap();
    assert_eq!(left.records.len(), 1);
    assert_eq!(left.records[0].record_id, ambiguous);
    assert_eq!(left.members.len(), 1);
    assert_eq!(
        (left.members[0].position, left.members[0].officer.as_str()),
        (1, "陈某")
    );
    assert!(problems(&w).await.is_empty(), "{:?}", problems(&w).await);
    // A person resolves them, each logged; an account of another unit is refused.
    let rid = RecordId::parse(&ambiguous).unwrap();
    assert!(
        c.resolve_record_officer(&rid, "other_unit", "核对", "tester")
            .await
            .is_err()
    );
    c.resolve_record_officer(&rid, "chen2", "经核对为陈某（chen2）", "tester")
        .await
        .unwrap();
    c.resolve_team_member(&case, 1, "chen2", "经核对为陈某（chen2）", "tester")
        .await
        .unwrap();
    assert_eq!(officer_of(&ambiguous).await, Some(ids[2].clone()));
    assert!(
        c.unresolved_identities(100)
            .await
            .unwrap()
            .records
            .is_empty()
    );
    let logged = w.entries(&format!("record:{ambiguous}")).await;
    assert!(logged.iter().any(
        |Entry {
             actor,
             action,
             details: d,
             ..
         }| actor == "tester"
            && action == "record.metadata_changed"
            && d["record"]["officer_id"] == ids[2].as_str()
    ));
    assert!(problems(&w).await.is_empty(), "{:?}", problems(&w).await);
    // An account set outside liuhen is caught.
    w.sql(
        "UPDATE records SET officer_id = 'intruder' WHERE id = ?",
        &ambiguous,
    )
    .await;
    w.sql(
        "UPDATE case_team SET user_id = 'intruder' WHERE case_id = ? AND position = 0",
        &case,
    )
    .await;
    let found = problems(&w).await;
    assert!(found.contains(&"record_edited".to_owned()), "{found:?}");
    assert!(found.contains(&"case_edited".to_owned()), "{found:?}");
}
