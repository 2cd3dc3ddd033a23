//! `liuhen decision …`: a bureau's catalog and calendar are checked without a data
//! directory, with errors naming the entry; `overdue` lists nothing on a fresh custody.

use liuhen_domain::decision::catalog::Catalog;

use crate::support::TestApp;

#[test]
fn check_catalog_and_calendar_name_the_bad_entry() {
    let app = TestApp::new();
    let good = app.work.join("catalog.toml");
    std::fs::write(&good, Catalog::shipped_text()).unwrap();
    let out = app.run_anonymous(&["decision", "check-catalog", good.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("12 entries"));
    assert!(
        !app.data.exists(),
        "checking a file opens no data directory"
    );

    let bad = app.work.join("bad.toml");
    let text =
        Catalog::shipped_text().replace("measures = [\"stop_supply\"]", "measures = [\"stop\"]");
    std::fs::write(&bad, text).unwrap();
    let out = app.run_anonymous(&["decision", "check-catalog", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("coercion.stop_supply") && err.contains("stop"),
        "{err}"
    );

    let cal = app.work.join("calendar.toml");
    std::fs::write(
        &cal,
        "weekend = [\"sunday\"]\n[[years]]\nyear = 2027\nholidays = [\"2027-02-30\"]\n",
    )
    .unwrap();
    let out = app.run_anonymous(&["decision", "check-calendar", cal.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("2027-02-30"));
}

#[test]
fn overdue_on_a_fresh_custody_lists_nothing() {
    let app = TestApp::new();
    let out = app.run(&["decision", "overdue", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
}
