//! Export packages from the browser (issue 19): after the copy is made, the keeper builds
//! the package on the request page, downloads its ISO image, and the case page lists it.

use serde_json::json;

use crate::access_world::{GX, World};

use crate::support::Entry;

#[tokio::test]
async fn the_keeper_builds_a_package_downloads_its_image_and_the_case_lists_it() {
    let w = World::new().await;
    let recs = vec![w.record(GX, "李娜").await];
    let refs: Vec<&str> = recs.iter().map(String::as_str).collect();
    let case = w
        .case("高新应急检〔2026〕19号", &["李娜"], &refs, true)
        .await;
    let req = w
        .file(
            "officer",
            json!({ "kind": "copy", "records": recs, "purpose": "行政诉讼举证", "discs": 1, "pages": 0 }),
        )
        .await;
    assert_eq!(w.decide("legal", &req, "approve").await.0, 200);
    assert_eq!(w.decide("leader", &req, "approve").await.0, 200);
    let rid = req["id"].as_str().unwrap().to_owned();
    let token = &w.who("keeper").token;
    let http = w.app.client();
    let page = |path: String| {
        let http = http.clone();
        let url = w.app.url(&path);
        async move {
            let res = http.get(url).bearer_auth(token).send().await.unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    let (_, html) = page(format!("/access/requests/{rid}")).await;
    assert!(
        !html.contains("package-form"),
        "no package before the copy is made"
    );
    let (s, v) = w
        .post(
            "keeper",
            &format!("/api/v1/access/requests/{rid}/copies"),
            json!({ "extractor": "李娜", "proves": "现场检查过程" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, html) = page(format!("/access/requests/{rid}")).await;
    assert!(
        html.contains("package-form") && html.contains("导出证据包"),
        "{html}"
    );
    // Issue 18: the made copy has a human number of its own, shown instead of ids.
    let (_, d) = w
        .get("keeper", &format!("/api/v1/access/requests/{rid}"))
        .await;
    let copy_no = d["copies"][0]["number"].as_str().unwrap().to_owned();
    assert!(
        copy_no.starts_with("平高应急复制件〔") && copy_no.ends_with("〕1号"),
        "{copy_no}"
    );
    assert!(
        html.contains(&copy_no),
        "the request page shows the copy's number"
    );
    assert!(
        !html.contains(&format!("<code>{}</code>", recs[0])),
        "the copy names its record by file name, not id"
    );

    let res = http
        .post(w.app.url(&format!("/access/requests/{rid}/package")))
        .bearer_auth(token)
        .form(&[("csrf", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let log = w.entries(&format!("request:{rid}")).await;
    let exported = log
        .iter()
        .find(|Entry { action: a, .. }| a == "package.exported")
        .expect("export logged");
    let package = exported.details["package"].as_str().unwrap().to_owned();
    let number = exported.details["number"].as_str().unwrap().to_owned();
    assert!(
        number.starts_with("平高应急包字〔") && number.ends_with("〕1号"),
        "the package's human number is logged with it: {number}"
    );
    assert_eq!(exported.details["request_number"], req["number"]);
    assert_eq!(exported.details["case"], case.as_str());
    assert_eq!(
        exported.details["manifest_sha256"].as_str().unwrap().len(),
        64
    );

    let (_, html) = page(format!("/access/requests/{rid}")).await;
    assert!(
        html.contains(&format!("<td class=\"package-number\">{number}</td>")),
        "the request lists its package by number"
    );
    if liuhen_test_support::require_tool("xorriso") {
        let href = format!("/access/requests/{rid}/packages/{package}");
        assert!(html.contains(&href), "{html}");
        let res = http
            .get(w.app.url(&href))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let iso = res.bytes().await.unwrap();
        assert_eq!(&iso[0x8001..0x8006], b"CD001", "an ISO 9660 image");
        // Another person without the keeper's rights gets nothing.
        let other = &w.who("officer").token;
        let res = http
            .get(w.app.url(&href))
            .bearer_auth(other)
            .send()
            .await
            .unwrap();
        assert_ne!(res.status(), 200);
    }
    let (s, html) = page(format!("/cases/{case}")).await;
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains(&number) && html.contains("证据包"),
        "the case lists its package by number"
    );
    let req_no = req["number"].as_str().unwrap();
    assert!(
        html.contains(&format!("/access/requests/{rid}\">{req_no}</a>")),
        "and its request by number"
    );
    let burn = format!("/access/requests/{rid}/packages/{package}/burn");
    assert!(html.contains(&burn), "the case links the burn form");

    // The disc-burn record form: the head of department is listed and confirms in the
    // system; someone not listed finds nothing; the keeper prints it and attaches the scan.
    let as_who = |key: &'static str, path: String| {
        let http = http.clone();
        let url = w.app.url(&path);
        let token = w.who(key).token.clone();
        async move {
            let res = http.get(url).bearer_auth(token).send().await.unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    let (s, html) = as_who("head", burn.clone()).await;
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains("孙鹏") && html.contains("部门负责人") && html.contains("burn-confirm"),
        "{html}"
    );
    let (s, _) = as_who("officer", burn.clone()).await;
    assert_ne!(s, 200, "not a participant");
    let res = http
        .post(w.app.url(&format!("{burn}/confirm")))
        .bearer_auth(&w.who("head").token)
        .form(&[("csrf", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let (_, html) = as_who("head", burn.clone()).await;
    assert!(
        html.contains("burn-mine") && !html.contains("id=\"burn-confirm\""),
        "{html}"
    );
    let confirmed: Vec<_> = w
        .entries(&format!("request:{rid}"))
        .await
        .into_iter()
        .filter(|Entry { action: a, .. }| a == "package.burn_confirmed")
        .collect();
    assert_eq!(confirmed.len(), 1);
    assert_eq!(confirmed[0].details["name"], "孙鹏");
    assert_eq!(confirmed[0].details["package"], package.as_str());

    let res = http
        .get(w.app.url(&format!("{burn}/form.pdf")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().starts_with(b"%PDF-"));
    let scan_url =
        format!("/api/v1/access/requests/{rid}/packages/{package}/scan?file_name=signed.pdf");
    let put = |key: &'static str, body: &'static [u8]| {
        let http = http.clone();
        let url = w.app.url(&scan_url);
        let token = w.who(key).token.clone();
        async move {
            let res = http
                .put(url)
                .bearer_auth(token)
                .body(body)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    let (s, body) = put("keeper", b"not a scan").await;
    assert_eq!(s, 403, "{body}");
    assert!(body.contains("scan_not_accepted"), "{body}");
    let (s, _) = put("officer", b"%PDF-1.4\n").await;
    assert_ne!(s, 200);
    let (s, body) = put("keeper", b"%PDF-1.4\n% signed burn form scan\n").await;
    assert_eq!(s, 200, "{body}");
    // `printf '%PDF-1.4\n%% signed burn form scan\n' | sha256sum`
    let sha = "fc5bc5a28d289af2915efaea98ec771c5d835cc148cd40e89f53f0760aaf602e";
    assert!(body.contains(sha), "{body}");
    let (_, html) = as_who("keeper", burn.clone()).await;
    assert!(html.contains(sha) && html.contains("signed.pdf"), "{html}");
    // The scan reads back, for the keeper only.
    let file = format!("/api/v1/access/requests/{rid}/packages/{package}/scan/{sha}");
    assert!(html.contains(&file), "the form's page links the scan");
    let (s, body) = as_who("keeper", file.clone()).await;
    assert_eq!(
        (s, body.as_str()),
        (200, "%PDF-1.4\n% signed burn form scan\n")
    );
    let (s, _) = as_who("officer", file).await;
    assert_ne!(s, 200);
}

/// The case's own packages over HTTP: evidence by the case team (no approval), preservation
/// and transfer by the keeper, each refusal named; listed on the case page with its image
/// and its disc-burn form, which a participant confirms.
#[tokio::test]
async fn a_case_builds_evidence_preservation_and_transfer_packages_over_http() {
    let w = World::new().await;
    let recs = [w.record(GX, "张伟").await, w.record(GX, "张伟").await];
    let unlinked = w.record(GX, "张伟").await;
    let refs: Vec<&str> = recs.iter().map(String::as_str).collect();
    let case = w
        .case("高新应急检〔2026〕20号", &["张伟"], &refs, false)
        .await;
    let url = format!("/api/v1/cases/{case}/packages");
    let build = |key: &'static str, body: serde_json::Value| w.post(key, &url, body);
    let evidence = |records: Vec<&str>| json!({ "source": "evidence", "records": records, "extractor": "李律师", "proves": "现场检查过程" });
    let code = |v: &serde_json::Value| v["error"]["code"].as_str().unwrap_or_default().to_owned();

    let (s, v) = build("officer", evidence(vec![unlinked.as_str()])).await;
    assert_eq!((s, code(&v).as_str()), (403, "evidence_not_of_case"), "{v}");
    let (s, v) = build("officer", evidence(vec![])).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        (v["source"].as_str(), v["records"].as_u64()),
        (Some("evidence"), Some(2))
    );
    let package = v["package"].as_str().unwrap().to_owned();
    let (s, v) = build("keeper", json!({ "source": "preservation" })).await;
    assert_eq!(
        (s, code(&v).as_str()),
        (403, "preservation_not_held"),
        "{v}"
    );
    let (s, v) = build("keeper", json!({ "source": "transfer" })).await;
    assert_eq!((s, code(&v).as_str()), (403, "case_not_archived"), "{v}");
    let (s, v) = build("officer", json!({ "source": "gift" })).await;
    assert_eq!(s, 400, "{v}");

    let (s, v) = w.get("officer", &url).await;
    assert_eq!(s, 200, "{v}");
    let listed = &v["packages"][0];
    assert_eq!(
        (listed["package"].as_str(), listed["source"].as_str()),
        (Some(package.as_str()), Some("evidence")),
        "{v}"
    );

    let http = w.app.client();
    let get = |key: &'static str, path: String| {
        let http = http.clone();
        let url = w.app.url(&path);
        let token = w.who(key).token.clone();
        async move {
            let res = http.get(url).bearer_auth(token).send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.bytes().await.unwrap().to_vec())
        }
    };
    let (_, html) = get("officer", format!("/cases/{case}")).await;
    let html = String::from_utf8_lossy(&html).into_owned();
    let burn = format!("/cases/{case}/packages/{package}/burn");
    assert!(
        html.contains(&package) && html.contains("作为证据提交") && html.contains(&burn),
        "{html}"
    );
    if liuhen_test_support::require_tool("xorriso") {
        let image = format!("/api/v1/cases/{case}/packages/{package}/image");
        let (s, iso) = get("officer", image.clone()).await;
        assert_eq!(s, 200);
        assert_eq!(&iso[0x8001..0x8006], b"CD001", "an ISO 9660 image");
        assert!(html.contains(&format!("/cases/{case}/packages/{package}\"")));
        let (s, _) = get("camera", image).await;
        assert_ne!(s, 200, "not of the case team");
    }

    // The disc-burn record form of the case's package: the head of department confirms.
    let (s, page) = get("head", burn.clone()).await;
    assert_eq!(s, 200);
    assert!(String::from_utf8_lossy(&page).contains("burn-confirm"));
    let res = http
        .post(w.app.url(&format!("{burn}/confirm")))
        .bearer_auth(&w.who("head").token)
        .form(&[("csrf", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let confirmed: Vec<_> = w
        .entries(&format!("case:{case}"))
        .await
        .into_iter()
        .filter(|Entry { action: a, .. }| a == "package.burn_confirmed")
        .collect();
    assert_eq!(confirmed.len(), 1);
    assert_eq!(confirmed[0].details["case"], case.as_str());
    let (s, pdf) = get("keeper", format!("{burn}/form.pdf")).await;
    assert_eq!(s, 200);
    assert!(pdf.starts_with(b"%PDF-"));

    // Archived: the keeper transfers it (the files are not media: the 四性 usability check
    // fails, the package is written all the same); no more evidence.
    w.sql("UPDATE cases SET status = 'archived' WHERE id = ?", &case)
        .await;
    let (s, v) = build("keeper", json!({ "source": "transfer" })).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        (v["source"].as_str(), v["checks_ok"].as_bool()),
        (Some("transfer"), Some(false))
    );
    let (s, v) = build("officer", evidence(vec![])).await;
    assert_eq!((s, code(&v).as_str()), (403, "case_archived"), "{v}");
}
