//! `liuhen access`: a bureau's policy file is checked before use, with the entry named.

use crate::support::TestApp;

#[test]
fn check_policy_accepts_the_shipped_default_and_names_a_bad_entry() {
    let app = TestApp::new();
    let good = app.work.join("policy.toml");
    std::fs::write(&good, liuhen_domain::access::DEFAULT_POLICY).unwrap();
    let out = app
        .anonymous_cmd()
        .args(["access", "check-policy", good.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("法制部门审核 → 主管执法工作领导批准"),
        "{text}"
    );
    assert!(
        !app.data.exists(),
        "checking a file opens no data directory"
    );

    let bad = app.work.join("bad.toml");
    std::fs::write(
        &bad,
        liuhen_domain::access::DEFAULT_POLICY.replace(
            "loan = [\"consent\", \"deputy_approval\"]",
            "loan = [\"mayor\"]",
        ),
    )
    .unwrap();
    let out = app
        .anonymous_cmd()
        .args(["access", "check-policy", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("flows.loan") && err.contains("mayor"), "{err}");
}
