//! `liuhen identity`: officers mapped to no account are listed for a person; resolving one
//! needs an account of the record's unit, and a refused resolution changes nothing.

use serde_json::Value;

use crate::support::TestApp;

#[test]
fn unmapped_officers_are_listed_and_a_bad_resolution_changes_nothing() {
    let app = TestApp::new();
    let files = app.make_files("in", 1, 2048, 7);
    let (ok, reports) = app.ingest(&[
        "--officer",
        "陈某",
        "--agency",
        "平顶山高新区应急管理局",
        files.to_str().unwrap(),
    ]);
    assert!(ok, "{reports:?}");
    let id = reports[0]["record_id"].as_str().unwrap().to_owned();
    let out = app.run(&["identity", "unresolved", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["record"], Value::from(id.clone()));
    assert_eq!(rows[0]["officer"], "陈某");
    // No such account: refused, nothing logged or changed.
    let out = app.run(&[
        "identity",
        "resolve-record",
        &id,
        "--user",
        "chen",
        "--reason",
        "核对",
    ]);
    assert!(!out.status.success());
    let out = app.run(&["identity", "unresolved"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&id) && text.contains("1 records"), "{text}");
    app.assert_verifies();
}
