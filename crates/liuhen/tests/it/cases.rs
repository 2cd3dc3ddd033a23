//! `liuhen case …` end to end: a hearing step without video is a violation; linking a
//! video whose capture time covers the step clears it; bad input changes nothing.

use std::process::{Command, Output};

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use crate::support::{TestApp, require_tool};

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}): stdout {} stderr {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn failed_with(out: &Output, code: i32, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {stderr}");
    assert!(stderr.contains(needle), "{needle:?} not in: {stderr}");
}

/// A `secs`-second H.264 video whose container says it was recorded at `start`.
fn make_video(app: &TestApp, name: &str, start: Timestamp, secs: u32) -> String {
    let path = app.work.join(name);
    let ok = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc=duration={secs}:size=160x120:rate=2"))
        .args(["-c:v", "libx264", "-pix_fmt", "yuv420p", "-metadata"])
        .arg(format!("creation_time={start}"))
        .arg(&path)
        .status()
        .unwrap()
        .success();
    assert!(ok, "ffmpeg failed");
    path.to_str().unwrap().to_owned()
}

#[tokio::test]
async fn hearing_without_video_is_a_violation_until_a_covering_video_is_linked() {
    if !require_tool("ffmpeg") {
        return;
    }
    let app = TestApp::new();
    app.officers(&["张伟", "李娜"]);
    let number = "平高应急罚〔2026〕7号";

    // Bad input: nothing is created.
    let out = app.run(&[
        "case",
        "create",
        "--number",
        number,
        "--name",
        "某化工厂案",
        "--category",
        "行政征收",
        "--department",
        "执法监察大队",
        "--team",
        "张伟,李娜",
    ]);
    failed_with(&out, 2, "未知的执法类别");
    let out = app.run(&[
        "case",
        "create",
        "--number",
        number,
        "--name",
        "某化工厂案",
        "--category",
        "行政处罚",
        "--department",
        "执法监察大队",
        "--team",
        "张伟",
        "--party",
        "company:某公司:91410400",
    ]);
    failed_with(&out, 2, "party kind must be person or unit");
    failed_with(&app.run(&["case", "show", number]), 2, "not found");

    let out = app.run(&[
        "case",
        "create",
        "--json",
        "--number",
        number,
        "--name",
        "某化工有限公司未按规定开展隐患排查案",
        "--category",
        "行政处罚",
        "--department",
        "执法监察大队",
        "--party",
        "unit:某化工有限公司:91410400MA00000000",
        "--team",
        "张伟,李娜",
    ]);
    ok(&out);
    let case = json_of(&out);
    assert_eq!(case["number"], number);
    assert_eq!(case["category"], "penalty");
    assert_eq!(case["team"], serde_json::json!(["张伟", "李娜"]));
    // The number is unique.
    let out = app.run(&[
        "case",
        "create",
        "--number",
        number,
        "--name",
        "x",
        "--category",
        "行政处罚",
        "--department",
        "x",
        "--team",
        "张伟",
    ]);
    failed_with(&out, 2, "case number already exists");

    // Flags need a reason, and are logged.
    failed_with(
        &app.run(&["case", "flag", number, "--set", "disputed", "--reason", " "]),
        2,
        "reason is required",
    );
    failed_with(
        &app.run(&["case", "flag", number, "--set", "loud", "--reason", "x"]),
        2,
        "unknown case flag",
    );
    ok(&app.run(&[
        "case",
        "flag",
        number,
        "--set",
        "hearing",
        "--reason",
        "当事人申请听证",
    ]));

    // A hearing (row 1.1) an hour ago, 50 s long.
    let t0 = Timestamp::from_second(Timestamp::now().as_second() - 3600).unwrap();
    let t1 = t0 + SignedDuration::from_secs(50);
    let (from, to) = (t0.to_string(), t1.to_string());
    failed_with(
        &app.run(&[
            "case",
            "step",
            number,
            "--row",
            "9.9",
            "--from",
            &from,
            "--to",
            &to,
            "--place",
            "听证室",
            "--officers",
            "张伟",
        ]),
        2,
        "no such checklist row",
    );
    failed_with(
        &app.run(&[
            "case",
            "step",
            number,
            "--row",
            "1.1",
            "--from",
            &to,
            "--to",
            &from,
            "--place",
            "听证室",
            "--officers",
            "张伟",
        ]),
        2,
        "must end after it starts",
    );
    let out = app.run(&[
        "case",
        "step",
        number,
        "--json",
        "--row",
        "1.1",
        "--name",
        "听证会",
        "--from",
        &from,
        "--to",
        &to,
        "--place",
        "局三楼听证室",
        "--officers",
        "张伟",
    ]);
    ok(&out);
    let step = json_of(&out);
    let step_id = step["id"].as_str().unwrap().to_owned();
    assert_eq!(step["checklist_row"], "1.1");

    // No video: a violation, explained in Chinese; exit status 1.
    let out = app.run(&["case", "check", number, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json_of(&out);
    assert_eq!(v["level"], "violation");
    let s = &v["steps"][0];
    assert_eq!(s["name"], "听证会");
    assert_eq!(s["level"], "violation");
    assert!(s["full_process"].as_bool().unwrap());
    let f = s["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "missing_recording")
        .expect("missing_recording finding");
    assert_eq!(f["level"], "violation");
    assert!(f["message_zh"].as_str().unwrap().contains("听证会"));
    let out = app.run(&["case", "check", number]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("违规") && text.contains("没有关联任何记录"),
        "{text}"
    );

    // Linking a record that does not exist changes nothing.
    failed_with(
        &app.run(&[
            "case",
            "link",
            &step_id,
            "0190f3a0-0000-7000-8000-00000000dead",
        ]),
        2,
        "not found",
    );
    failed_with(
        &app.run(&["case", "link", &step_id, "nope"]),
        2,
        "not a UUID",
    );

    // A video recorded from 2 s before to 58 s after the start covers the step.
    let video = make_video(&app, "hearing.mp4", t0 - SignedDuration::from_secs(2), 60);
    let (ingested, reports) = app.ingest(&["--officer", "张伟", "--device", "DSJ-01", &video]);
    assert!(ingested, "{reports:?}");
    let record_id = reports[0]["record_id"].as_str().unwrap().to_owned();

    // No interruption to explain in a single covering video.
    failed_with(
        &app.run(&[
            "case", "explain", &step_id, "--record", &record_id, "--reason", "battery", "--at", "3",
        ]),
        2,
        "no interruption",
    );

    // It is proposed (officer of the step, time overlap); a person confirms it.
    let out = app.run(&["case", "propose", &step_id, "--json"]);
    ok(&out);
    let proposals = json_of(&out);
    assert_eq!(proposals[0]["record_id"], record_id.as_str());
    assert!(
        proposals[0]["reasons"][1]
            .as_str()
            .unwrap()
            .contains("本环节执法人员")
    );
    ok(&app.run(&["case", "link", &step_id, &record_id]));
    let out = app.run(&["case", "propose", &step_id, "--json"]);
    assert_eq!(
        json_of(&out),
        serde_json::json!([]),
        "linked: no longer proposed"
    );
    failed_with(
        &app.run(&["case", "link", &step_id, &record_id]),
        2,
        "already linked",
    );

    let out = app.run(&["case", "check", number, "--json"]);
    let v = json_of(&out);
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    assert_eq!(v["level"], "ok");
    let codes: Vec<&str> = v["steps"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"recorded"), "{codes:?}");
    assert!(codes.contains(&"covered_in_full"), "{codes:?}");

    // The history names every change; the log still verifies.
    let out = app.run(&["case", "show", number, "--json"]);
    ok(&out);
    let actions: Vec<String> = json_of(&out)["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        actions,
        [
            "case.created",
            "case.changed",
            "case.step_added",
            "case.record_linked"
        ]
    );
    app.assert_verifies();

    // Unlinking (with a reason) brings the violation back.
    ok(&app.run(&[
        "case",
        "unlink",
        &step_id,
        &record_id,
        "--reason",
        "关联错误",
    ]));
    assert_eq!(app.run(&["case", "check", number]).status.code(), Some(1));
    app.assert_verifies();
}

#[tokio::test]
async fn an_interruption_is_a_violation_until_its_reason_is_stated_in_the_next_recording() {
    if !require_tool("ffmpeg") {
        return;
    }
    let app = TestApp::new();
    app.officers(&["张伟", "李娜"]);
    let number = "平高应急罚〔2026〕8号";
    ok(&app.run(&[
        "case",
        "create",
        "--number",
        number,
        "--name",
        "听证中断案",
        "--category",
        "penalty",
        "--department",
        "执法监察大队",
        "--team",
        "张伟",
    ]));
    let t0 = Timestamp::from_second(Timestamp::now().as_second() - 3600).unwrap();
    let (from, to) = (
        t0.to_string(),
        (t0 + SignedDuration::from_secs(50)).to_string(),
    );
    let out = app.run(&[
        "case",
        "step",
        number,
        "--json",
        "--row",
        "1.1",
        "--from",
        &from,
        "--to",
        &to,
        "--place",
        "听证室",
        "--officers",
        "张伟",
    ]);
    ok(&out);
    let step_id = json_of(&out)["id"].as_str().unwrap().to_owned();
    assert_eq!(
        json_of(&out)["name"],
        "听证程序",
        "named after the checklist row"
    );

    // One device: 20 s from 2 s before the start, then a 12 s gap, then 30 s.
    let first = make_video(&app, "a.mp4", t0 - SignedDuration::from_secs(2), 20);
    let second = make_video(&app, "b.mp4", t0 + SignedDuration::from_secs(30), 30);
    let mut ids = Vec::new();
    for path in [&first, &second] {
        let (ingested, r) = app.ingest(&["--officer", "张伟", "--device", "DSJ-01", path]);
        assert!(ingested, "{r:?}");
        ids.push(r[0]["record_id"].as_str().unwrap().to_owned());
        ok(&app.run(&["case", "link", &step_id, ids.last().unwrap()]));
    }

    let out = app.run(&["case", "check", number, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json_of(&out);
    assert_eq!(v["unexplained_interruptions"], 1, "{v:#}");
    assert_eq!(v["steps"][0]["interruptions"][0]["after"], ids[1].as_str());

    // Refused: attached to the wrong recording, spoken after the next recording ends,
    // "other" without a text. Nothing is stored.
    failed_with(
        &app.run(&[
            "case", "explain", &step_id, "--record", &ids[0], "--reason", "battery", "--at", "3",
        ]),
        2,
        "no interruption",
    );
    failed_with(
        &app.run(&[
            "case", "explain", &step_id, "--record", &ids[1], "--reason", "battery", "--at", "300",
        ]),
        2,
        "outside the next recording",
    );
    failed_with(
        &app.run(&[
            "case", "explain", &step_id, "--record", &ids[1], "--reason", "other", "--at", "3",
        ]),
        2,
        "needs a text",
    );
    failed_with(
        &app.run(&[
            "case", "explain", &step_id, "--record", &ids[1], "--reason", "tired", "--at", "3",
        ]),
        2,
        "unknown interruption reason",
    );
    assert_eq!(app.run(&["case", "check", number]).status.code(), Some(1));

    ok(&app.run(&[
        "case", "explain", &step_id, "--record", &ids[1], "--reason", "battery", "--at", "3",
    ]));
    let out = app.run(&["case", "check", number, "--json"]);
    let v = json_of(&out);
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    assert_eq!(v["unexplained_interruptions"], 0);
    let text = String::from_utf8_lossy(&app.run(&["case", "check", number]).stdout).into_owned();
    assert!(text.contains("电量不足"), "{text}");
    app.assert_verifies();
}

#[tokio::test]
async fn ingest_links_new_records_to_a_step() {
    let app = TestApp::new();
    app.officers(&["张伟", "李娜"]);
    let number = "平高应急检〔2026〕3号";
    ok(&app.run(&[
        "case",
        "create",
        "--number",
        number,
        "--name",
        "某加油站安全检查",
        "--category",
        "行政检查",
        "--agency",
        "平顶山高新区应急管理局",
        "--department",
        "执法一科",
        "--party",
        "unit:某加油站:91410400MA11111111",
        "--team",
        "张伟",
    ]));
    let out = app.run(&[
        "case",
        "step",
        number,
        "--json",
        "--name",
        "现场检查",
        "--from",
        "2026-03-01 09:00",
        "--to",
        "2026-03-01 10:00",
        "--place",
        "某加油站",
        "--officers",
        "张伟",
    ]);
    ok(&out);
    let step_id = json_of(&out)["id"].as_str().unwrap().to_owned();
    let a = app.work.join("a.jpg");
    let b = app.work.join("b.jpg");
    std::fs::write(&a, "photo a").unwrap();
    std::fs::write(&b, "photo b").unwrap();
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());

    // A step of no case, or of another case: nothing is ingested.
    failed_with(
        &app.run(&["ingest", a, "--case", number, "--step", "nope"]),
        2,
        "nothing ingested",
    );
    failed_with(&app.run(&["ingest", a, "--step", &step_id]), 2, "--case");
    let out = app.run(&["record", "list", "--json"]);
    if out.status.success() {
        assert!(!String::from_utf8_lossy(&out.stdout).contains("a.jpg"));
    }

    let out = app.run(&[
        "ingest", a, b, "--case", number, "--step", &step_id, "--json",
    ]);
    ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    let linked: Value = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v.get("linked").is_some())
        .expect("a linked line");
    assert_eq!(linked["linked"]["step"], step_id.as_str());
    assert_eq!(linked["linked"]["records"].as_array().unwrap().len(), 2);
    // Again: the records are already in custody and already linked; nothing changes.
    let out = app.run(&["ingest", a, "--case", number, "--step", &step_id, "--json"]);
    ok(&out);
    let out = app.run(&["case", "show", number, "--json"]);
    ok(&out);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(shown.matches("case.record_linked").count(), 2, "{shown}");
}
