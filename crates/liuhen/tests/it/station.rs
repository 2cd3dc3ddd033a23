//! `liuhen station scan|held|bind` wiring: a camera nobody registered is held and listed,
//! a binding to no account is refused, and the log still verifies.

use serde_json::Value;

use crate::support::{OPERATOR_UNIT, TestApp};

#[test]
fn station_cli_holds_an_unknown_camera_and_refuses_a_bad_binding() {
    let app = TestApp::new();
    let root = app.work.join("media");
    let dcim = root.join("CAM/DCIM/100MEDIA");
    std::fs::create_dir_all(&dcim).unwrap();
    std::fs::write(
        dcim.join("DSJ777_010009_20261207083015_0001.MP4"),
        b"recording",
    )
    .unwrap();
    let root_s = root.to_str().unwrap();
    for _ in 0..2 {
        let out = app.run(&["station", "scan", "--root", root_s, "--json"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let slots: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(slots[0]["state"], "held", "{slots}");
        assert_eq!(slots[0]["camera"], "DSJ777");
        assert_eq!(slots[0]["files_done"], 0);
    }
    let out = app.run(&["station", "held", "--json"]);
    assert!(out.status.success());
    let held: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["serial"], "DSJ777");
    assert_eq!(held[0]["police"], "010009");
    let out = app.run(&[
        "station",
        "bind",
        "--serial",
        "DSJ777",
        "--unit",
        "平顶山高新区应急管理局",
        "--officer",
        "无此人",
    ]);
    assert!(!out.status.success(), "no such account: refused");
    let (ok, report) = app.verify();
    assert!(ok, "{report}");
}

/// `station bind` asks the policy (`station.bind`: records keepers) and stays within the
/// binder's unit. Expected outcomes by hand: (who, unit, allowed).
#[test]
fn station_bind_asks_the_policy_and_keeps_to_the_binders_unit() {
    let app = TestApp::new();
    let officer = app.account_token(
        "ofc",
        "执法员",
        OPERATOR_UNIT,
        &[liuhen_domain::Role::Officer],
    );
    let officer = app.token_file("ofc", &officer);
    let keeper = app.operator_token_file();
    let rows: &[(&std::path::Path, &str, bool)] = &[
        (&officer, OPERATOR_UNIT, false),
        (&keeper, "另一个局", false),
        (&keeper, OPERATOR_UNIT, true),
    ];
    for (who, unit, allowed) in rows {
        let out = app.run_as(
            who,
            &["station", "bind", "--serial", "DSJ778", "--unit", unit],
        );
        assert_eq!(
            out.status.success(),
            *allowed,
            "{who:?} {unit}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    app.assert_verifies();
}
