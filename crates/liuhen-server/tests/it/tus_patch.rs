//! Issue 10, item 4: the negative set of `PATCH /api/v1/uploads/{id}` (a tus chunk), one
//! request per way it can be wrong, against a real open upload. Each answer is the status
//! and stable code the OpenAPI document lists for it (hand-written here), and none of them
//! moves the upload's offset or logs anything but a refusal. (schemathesis also generates PATCH
//! cases, see scripts/schemathesis_hooks.py; this pins each refusal.)

use reqwest::Method;

use crate::support::TestApp;
use crate::uploads::{TUS, api_user, b64, sha256_b64};

const UNIT: &str = "平顶山高新区应急管理局";

/// (what, token, path, headers, body, expected status, expected code)
type Case<'a> = (
    &'a str,
    Option<&'a str>,
    String,
    Vec<(&'a str, String)>,
    &'a [u8],
    u16,
    &'a str,
);

#[tokio::test]
async fn every_malformed_tus_patch_is_refused_with_its_documented_code_and_changes_nothing() {
    let app = TestApp::new().await;
    let (_, token) = api_user(&app, "zhangwei", "张伟", UNIT).await;
    let (_, other) = api_user(&app, "liuyang", "刘洋", UNIT).await;
    let http = app.client();
    let res = http
        .post(app.url("/api/v1/uploads"))
        .bearer_auth(&token)
        .header("Tus-Resumable", TUS)
        .header("Upload-Length", "10")
        .header("Upload-Metadata", format!("filename {}", b64("a.mp4")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let loc = res.headers()["location"].to_str().unwrap().to_owned();
    let log_before = app.custody.db().log_size().await.unwrap();

    const OCTETS: (&str, &str) = ("Content-Type", "application/offset+octet-stream");
    const V: (&str, &str) = ("Tus-Resumable", "1.0.0");
    let good_sum = format!("sha256 {}", sha256_b64(b"01234"));
    let cases: Vec<Case> = vec![
        (
            "no credential",
            None,
            loc.clone(),
            h(&[V, OCTETS, ("Upload-Offset", "0")]),
            b"01234",
            401,
            "unauthenticated",
        ),
        (
            "another user's upload",
            Some(other.as_str()),
            loc.clone(),
            h(&[V, OCTETS, ("Upload-Offset", "0")]),
            b"01234",
            403,
            "not_owner",
        ),
        (
            "no such upload",
            Some(token.as_str()),
            "/api/v1/uploads/nope".into(),
            h(&[V, OCTETS, ("Upload-Offset", "0")]),
            b"01234",
            404,
            "not_found",
        ),
        (
            "no Tus-Resumable",
            Some(token.as_str()),
            loc.clone(),
            h(&[OCTETS, ("Upload-Offset", "0")]),
            b"01234",
            412,
            "tus_version",
        ),
        (
            "another tus version",
            Some(token.as_str()),
            loc.clone(),
            h(&[("Tus-Resumable", "0.2.2"), OCTETS, ("Upload-Offset", "0")]),
            b"01234",
            412,
            "tus_version",
        ),
        (
            "wrong content type",
            Some(token.as_str()),
            loc.clone(),
            h(&[
                V,
                ("Content-Type", "application/octet-stream"),
                ("Upload-Offset", "0"),
            ]),
            b"01234",
            400,
            "content_type",
        ),
        (
            "no Upload-Offset",
            Some(token.as_str()),
            loc.clone(),
            h(&[V, OCTETS]),
            b"01234",
            400,
            "missing_header",
        ),
        (
            "negative offset",
            Some(token.as_str()),
            loc.clone(),
            h(&[V, OCTETS, ("Upload-Offset", "-1")]),
            b"01234",
            400,
            "bad_header",
        ),
        (
            "offset past u64",
            Some(token.as_str()),
            loc.clone(),
            h(&[V, OCTETS, ("Upload-Offset", "99999999999999999999")]),
            b"01234",
            400,
            "bad_header",
        ),
        (
            "offset not the server's",
            Some(token.as_str()),
            loc.clone(),
            h(&[V, OCTETS, ("Upload-Offset", "3")]),
            b"01234",
            409,
            "offset_mismatch",
        ),
        (
            "checksum algorithm",
            Some(token.as_str()),
            loc.clone(),
            h(&[
                V,
                OCTETS,
                ("Upload-Offset", "0"),
                ("Upload-Checksum", "md5 AAAA"),
            ]),
            b"01234",
            400,
            "checksum_algorithm",
        ),
        (
            "checksum not base64",
            Some(token.as_str()),
            loc.clone(),
            h(&[
                V,
                OCTETS,
                ("Upload-Offset", "0"),
                ("Upload-Checksum", "sha256 !!!"),
            ]),
            b"01234",
            400,
            "bad_checksum",
        ),
        (
            "checksum of other bytes",
            Some(token.as_str()),
            loc.clone(),
            vec![
                ("Tus-Resumable", "1.0.0".into()),
                ("Content-Type", OCTETS.1.into()),
                ("Upload-Offset", "0".into()),
                ("Upload-Checksum", good_sum.clone()),
            ],
            b"43210",
            460,
            "checksum_mismatch",
        ),
        (
            "past Upload-Length",
            Some(token.as_str()),
            loc.clone(),
            h(&[V, OCTETS, ("Upload-Offset", "0")]),
            b"0123456789ABC",
            400,
            "exceeds_length",
        ),
    ];
    for (what, bearer, path, headers, body, status, code) in cases {
        let mut req = http.request(Method::PATCH, app.url(&path));
        if let Some(t) = bearer {
            req = req.bearer_auth(t);
        }
        for (k, v) in &headers {
            req = req.header(*k, v.as_str());
        }
        let res = req.body(body.to_vec()).send().await.unwrap();
        let got = res.status().as_u16();
        let text = res.text().await.unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(
            (got, v["error"]["code"].as_str().unwrap_or_default()),
            (status, code),
            "{what}: {text}"
        );
        // Nothing moved.
        let head = http
            .head(app.url(&loc))
            .bearer_auth(&token)
            .header("Tus-Resumable", TUS)
            .send()
            .await
            .unwrap();
        assert_eq!(head.headers()["upload-offset"], "0", "{what}");
    }
    // Only refusals are logged (another user's upload: `access.refused`), nothing else.
    let size = app.custody.db().log_size().await.unwrap();
    let refused = app
        .custody
        .db()
        .entries_with_actions(
            log_before.checked_sub(1),
            size + 1,
            &["access.refused"],
            100,
        )
        .await
        .unwrap();
    assert_eq!(size - log_before, refused.len() as u64);
    // The well-formed chunk is then taken.
    let res = http
        .request(Method::PATCH, app.url(&loc))
        .bearer_auth(&token)
        .header("Tus-Resumable", TUS)
        .header(OCTETS.0, OCTETS.1)
        .header("Upload-Offset", "0")
        .header("Upload-Checksum", good_sum)
        .body(b"01234".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
    assert_eq!(res.headers()["upload-offset"], "5");
}

fn h(pairs: &[(&'static str, &'static str)]) -> Vec<(&'static str, String)> {
    pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}
