//! Issue 10.1, camera side and the people's side: a police number (警号) on an account,
//! set by the system administrator (a session: never an API token), names the officer of
//! a tus upload and of the station's camera; an unknown number is nobody's own and
//! listed; the unit's records keeper resolves the listed rows on `/admin/identities`.

use liuhen_domain::RecordId;
use reqwest::Method;
use serde_json::{Value, json};

use crate::access_world::{GX, WD, World};
use crate::support::{Entry, TEST_PASSWORD};
use crate::uploads::{TUS, b64};

/// A signed-in browser session of `key`: (client, CSRF token).
async fn session(w: &World, key: &str) -> (reqwest::Client, String) {
    let client = w.app.client();
    let csrf = w.app.login(&client, key, TEST_PASSWORD).await;
    (client, csrf)
}

async fn put_police(
    w: &World,
    s: &(reqwest::Client, String),
    user: &str,
    number: &str,
) -> (u16, Value) {
    let res =
        s.0.put(w.app.url(&format!("/api/v1/users/{user}/police-number")))
            .header("X-CSRF-Token", &s.1)
            .json(&json!({ "police_number": number }))
            .send()
            .await
            .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Uploads `body` in one tus PATCH as `key` with these metadata pairs; (status of the
/// creation, record id once complete).
async fn upload(
    w: &World,
    key: &str,
    pairs: &[(&str, &str)],
    body: &[u8],
) -> (u16, Option<String>) {
    let http = w.app.client();
    let token = &w.who(key).token;
    let meta: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k} {}", b64(v)))
        .collect();
    let res = http
        .post(w.app.url("/api/v1/uploads"))
        .bearer_auth(token)
        .header("Tus-Resumable", TUS)
        .header("Upload-Length", body.len().to_string())
        .header("Upload-Metadata", meta.join(","))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    if status != 201 {
        return (status, None);
    }
    let loc = res.headers()["location"].to_str().unwrap().to_owned();
    let res = http
        .request(Method::PATCH, w.app.url(&loc))
        .bearer_auth(token)
        .header("Tus-Resumable", TUS)
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "0")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204, "{:?}", res.text().await);
    let id = loc.rsplit('/').next().unwrap();
    let info = w
        .app
        .custody
        .upload_status(&w.who(key).principal, id)
        .await
        .unwrap();
    (status, info.record_id)
}

async fn officer_id(w: &World, record: &str) -> Option<String> {
    let id = RecordId::parse(record).unwrap();
    w.app.custody.record(&id).await.unwrap().officer_id
}

#[tokio::test]
async fn a_police_number_is_set_by_the_administrators_session_never_by_a_token() {
    let w = World::new().await;
    let officer = w.who("officer").principal.user_id.clone();
    let camera = w.who("camera").principal.user_id.clone();
    // The system administrator's API token reaches no account administration — neither
    // this nor the legal qualification (both under /api/v1/users).
    for path in [
        format!("/api/v1/users/{officer}/police-number"),
        format!("/api/v1/users/{officer}/legal-qualification"),
    ] {
        let (s, v) = w
            .call(
                "sysadmin",
                Method::PUT,
                &path,
                Some(json!({ "police_number": "012345", "cert_no": "A1" })),
            )
            .await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (403, Some("token_not_for_administration")),
            "{path}"
        );
    }
    let admin = session(&w, "sysadmin").await;
    let (s, v) = put_police(&w, &admin, &officer, "012345").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["police_number"], "012345");
    // Unique in the bureau; letters and digits only.
    assert_eq!(put_police(&w, &admin, &camera, "012345").await.0, 400);
    assert_eq!(put_police(&w, &admin, &camera, "01-23").await.0, 400);
    // A records keeper manages no accounts.
    let keeper = session(&w, "keeper").await;
    assert_eq!(put_police(&w, &keeper, &camera, "054321").await.0, 403);
    // The users page shows it and its form sets another one.
    let html = admin
        .0
        .get(w.app.url("/admin/users"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"value="012345""#), "the number is shown");
    let res = admin
        .0
        .post(w.app.url(&format!("/admin/users/{camera}/police-number")))
        .form(&[("csrf", admin.1.as_str()), ("police_number", "054321")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let by = w
        .app
        .custody
        .account_by_police("054321")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by.user_id, camera);
    let logged = w.entries(&format!("user:{officer}")).await;
    assert!(logged.iter().any(
        |Entry {
             actor,
             action,
             details: d,
             ..
         }| actor == &w.who("sysadmin").principal.user_id
            && action == "account.police_number"
            && d["to"] == "012345"
    ));
}

#[tokio::test]
async fn a_tus_upload_naming_a_police_number_is_that_accounts_record() {
    let w = World::new().await;
    let c = &w.app.custody;
    let officer = w.who("officer").principal.user_id.clone();
    c.record_police_number("test", &officer, "012345")
        .await
        .unwrap();
    c.record_police_number("test", &w.who("other_zhangwei").principal.user_id, "077777")
        .await
        .unwrap();
    // The keeper uploads a camera file naming the officer by police number.
    let (s, rec) = upload(
        &w,
        "keeper",
        &[("filename", "a.mp4"), ("police", "012345")],
        b"camera one",
    )
    .await;
    assert_eq!(s, 201);
    let rec = rec.unwrap();
    assert_eq!(officer_id(&w, &rec).await, Some(officer.clone()));
    // An unknown number (or one of another unit's account) from the keeper: nobody's own,
    // listed as unresolved; the officer's text names the number.
    let mut nobodys = Vec::new();
    for (n, body) in [
        ("999999", b"camera two".as_slice()),
        ("077777", b"camera three"),
    ] {
        let (s, rec) = upload(&w, "keeper", &[("filename", "b.mp4"), ("police", n)], body).await;
        assert_eq!(s, 201);
        let rec = rec.unwrap();
        assert_eq!(officer_id(&w, &rec).await, None, "{n}");
        nobodys.push(rec);
    }
    let left = c.unresolved_identities(100).await.unwrap();
    let listed: Vec<&str> = left.records.iter().map(|r| r.record_id.as_str()).collect();
    for r in &nobodys {
        assert!(listed.contains(&r.as_str()), "{r} listed");
    }
    assert!(left.records.iter().any(|r| r.officer == "警号 999999"));
    // Who sees them, written out by hand (1 = GET answers 200): the officer his own
    // (by police number) and nothing of the nobody's-own ones; the keeper all of the
    // unit's; WD's 张伟 (who carries 077777) and WD's keeper none of GX's records.
    let oracle: &[(&str, [u16; 3])] = &[
        ("officer", [200, 404, 404]),
        ("keeper", [200, 200, 200]),
        ("other_zhangwei", [404, 404, 404]),
        ("other_keeper", [404, 404, 404]),
    ];
    let ids = [&rec, &nobodys[0], &nobodys[1]];
    for (key, row) in oracle {
        for (id, want) in ids.iter().zip(row) {
            let (s, v) = w.get(key, &format!("/api/v1/records/{id}")).await;
            assert_eq!(s, *want, "{key} {id}: {v}");
        }
    }
    // One answer for a record one may not know exists: the same as for none at all.
    let (s, hidden) = w
        .get("other_zhangwei", &format!("/api/v1/records/{rec}"))
        .await;
    let absent_id = format!(
        "{}{}",
        &rec[..35],
        if rec.ends_with('0') { '1' } else { '0' }
    );
    let (s2, absent) = w
        .get("other_zhangwei", &format!("/api/v1/records/{absent_id}"))
        .await;
    assert_eq!(
        (s, hidden["error"]["code"].clone()),
        (s2, absent["error"]["code"].clone())
    );
    // An officer may not upload in the name of a number no account of the unit carries.
    let (s, _) = upload(
        &w,
        "officer",
        &[("filename", "c.mp4"), ("police", "999999")],
        b"camera four",
    )
    .await;
    assert_eq!(s, 403);
    // A malformed number is refused at the edge.
    let (s, _) = upload(
        &w,
        "keeper",
        &[("filename", "d.mp4"), ("police", "12 34")],
        b"x",
    )
    .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn the_station_maps_a_police_number_set_on_an_account() {
    let w = World::new().await;
    let c = &w.app.custody;
    let officer = w.who("officer").principal.user_id.clone();
    c.record_police_number("test", &officer, "012345")
        .await
        .unwrap();
    c.record_police_number("test", &w.who("other_zhangwei").principal.user_id, "077777")
        .await
        .unwrap();
    c.station_bind_as(
        &w.who("keeper").principal,
        liuhen_app::station::registry::StationBind::Device {
            serial: "DSJ7",
            unit: GX,
            officer: None,
        },
    )
    .await
    .unwrap();
    let b = c
        .station_resolve(Some("DSJ7"), Some("012345"))
        .await
        .unwrap();
    assert_eq!(
        (
            b.unit.as_deref(),
            b.officer.as_deref(),
            b.officer_id.as_deref()
        ),
        (Some(GX), Some("张伟"), Some(officer.as_str()))
    );
    // A number of another unit's account on this unit's camera: held, never mapped.
    let b = c
        .station_resolve(Some("DSJ7"), Some("077777"))
        .await
        .unwrap();
    assert_eq!(b.officer_id, None);
    let b = c
        .station_resolve(Some("DSJ7"), Some("000001"))
        .await
        .unwrap();
    assert_eq!(b.officer_id, None);
    assert_ne!(GX, WD);
}

#[tokio::test]
async fn the_unresolved_identities_page_lets_the_units_keeper_resolve_each_row() {
    let w = World::new().await;
    let c = &w.app.custody;
    // 陈某 has no account: the record and the team member are nobody's.
    let record = w.record(GX, "陈某").await;
    let case = w
        .case("高新应急检〔2026〕95号", &["陈某"], &[], false)
        .await;
    let chen = c
        .create_user_unchecked(
            "test",
            liuhen_app::accounts::NewUser {
                username: "chen1".into(),
                display_name: "陈某某".into(),
                password: TEST_PASSWORD.into(),
                unit: Some(GX.into()),
                department: None,
                roles: vec![liuhen_domain::Role::Officer],
            },
        )
        .await
        .unwrap();
    let keeper = session(&w, "keeper").await;
    let page = |s: &(reqwest::Client, String), path: &'static str| {
        let req = s.0.get(w.app.url(path));
        async move {
            let res = req.send().await.unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    let (s, html) = page(&keeper, "/admin/identities").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("待对应的身份") && html.contains(&record),
        "{html}"
    );
    assert!(html.contains(&format!("/admin/identities/cases/{case}/members/0")));
    // The other unit's keeper sees none of it and may not resolve it.
    let other = session(&w, "other_keeper").await;
    let (s, html) = page(&other, "/admin/identities").await;
    assert_eq!(s, 200);
    assert!(!html.contains(&record));
    let res = other
        .0
        .post(w.app.url(&format!("/admin/identities/records/{record}")))
        .form(&[
            ("csrf", other.1.as_str()),
            ("username", "chen1"),
            ("reason", "核对"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        matches!(res.status().as_u16(), 403 | 404),
        "{}",
        res.status()
    );
    // An officer has no such page.
    let officer = session(&w, "officer").await;
    assert_eq!(page(&officer, "/admin/identities").await.0, 403);
    // A wrong account is refused with the reason, nothing changes.
    let res = keeper
        .0
        .post(w.app.url(&format!("/admin/identities/records/{record}")))
        .form(&[
            ("csrf", keeper.1.as_str()),
            ("username", "other_zhangwei"),
            ("reason", "核对"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert!(res.text().await.unwrap().contains("不属于本单位"));
    assert_eq!(officer_id(&w, &record).await, None);
    // The keeper resolves both rows; each is logged under the keeper.
    for path in [
        format!("/admin/identities/records/{record}"),
        format!("/admin/identities/cases/{case}/members/0"),
    ] {
        let res = keeper
            .0
            .post(w.app.url(&path))
            .form(&[
                ("csrf", keeper.1.as_str()),
                ("username", "chen1"),
                ("reason", "经核对为陈某某"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303, "{path}");
    }
    assert_eq!(officer_id(&w, &record).await, Some(chen.clone()));
    assert_eq!(
        c.case(&case).await.unwrap().team_ids,
        vec![Some(chen.clone())]
    );
    let keeper_id = &w.who("keeper").principal.user_id;
    let logged = w.entries(&format!("record:{record}")).await;
    assert!(logged.iter().any(
        |Entry {
             actor,
             action,
             details: d,
             ..
         }| actor == keeper_id
            && action == "record.metadata_changed"
            && d["reason"] == "经核对为陈某某"
    ));
    let logged = w.entries(&format!("case:{case}")).await;
    assert!(
        logged
            .iter()
            .any(|Entry { actor, action, .. }| actor == keeper_id && action == "case.edited")
    );
    let (_, html) = page(&keeper, "/admin/identities?done=1").await;
    assert!(html.contains("已对应") && html.contains(r#"id="no-records""#));
    // English strings.
    keeper.0.get(w.app.url("/lang/en")).send().await.unwrap();
    let (_, html) = page(&keeper, "/admin/identities").await;
    assert!(html.contains("Unresolved identities"), "{html}");
}
