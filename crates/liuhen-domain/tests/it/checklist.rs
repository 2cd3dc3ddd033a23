//! Validation of a bureau's own checklist file: every error names the row and the field,
//! in Chinese and English.

use liuhen_domain::case::RecordingMode;
use liuhen_domain::checklist::{Checklist, ChecklistError, RowRef};

const GOOD: &str = r#"
[[row]]
id = "9.1"
category = "通用"
step = "现场检查"
requirement = "现场环境"
place = "现场"
modes = "录像或者视频监控"
obligation = "mandatory"
full_process = true
"#;

#[test]
fn a_bureau_file_parses() {
    let c = Checklist::parse(GOOD).unwrap();
    let r = c.row("9.1").unwrap();
    assert_eq!(r.category, None);
    assert_eq!(r.modes, [RecordingMode::Video, RecordingMode::Surveillance]);
    assert!(r.full_process);
}

#[test]
fn errors_name_the_row_and_the_field() {
    let edit = |from: &str, to: &str| GOOD.replacen(from, to, 1);
    let dup = format!(
        "{GOOD}{}",
        GOOD.replace(
            "obligation = \"mandatory\"",
            "obligation = \"mandatory_when_disputed\""
        )
    );
    // (text, expected error, fragment of its message)
    let cases: Vec<(String, ChecklistError, &str)> = {
        let r = |id: Option<&str>| RowRef {
            index: 1,
            id: id.map(str::to_owned),
        };
        let r1 = || r(Some("9.1"));
        vec![
            (
                edit("录像或者视频监控", "录像或者摄像"),
                ChecklistError::UnknownMode {
                    row: r1(),
                    value: "摄像".into(),
                },
                "未知",
            ),
            (
                edit("step = \"现场检查\"", "step = \"  \""),
                ChecklistError::EmptyField {
                    row: r1(),
                    field: "step",
                },
                "执法环节",
            ),
            (
                dup,
                ChecklistError::DuplicateId {
                    row: RowRef {
                        index: 2,
                        id: Some("9.1".into()),
                    },
                    first: 1,
                },
                "重复",
            ),
            (
                edit("place = \"现场\"\n", ""),
                ChecklistError::MissingField {
                    row: r1(),
                    field: "place",
                },
                "记录场所",
            ),
            (
                edit("id = \"9.1\"\n", ""),
                ChecklistError::MissingField {
                    row: r(None),
                    field: "id",
                },
                "缺少字段 id",
            ),
            (
                edit("\"mandatory\"", "\"always\""),
                ChecklistError::UnknownObligation {
                    row: r1(),
                    value: "always".into(),
                },
                "mandatory_when_disputed",
            ),
            (
                edit("\"通用\"", "\"行政征收\""),
                ChecklistError::UnknownCategory {
                    row: r1(),
                    value: "行政征收".into(),
                },
                "执法类别",
            ),
            (
                edit(
                    "modes = \"录像或者视频监控\"",
                    "modes = [\"录像\", \"录像\"]",
                ),
                ChecklistError::DuplicateMode {
                    row: r1(),
                    value: "录像".into(),
                },
                "重复",
            ),
            (
                edit("modes = \"录像或者视频监控\"", "modes = []"),
                ChecklistError::EmptyField {
                    row: r1(),
                    field: "modes",
                },
                "不能为空",
            ),
            (
                edit("modes = \"录像或者视频监控\"", "modes = 3"),
                ChecklistError::WrongType {
                    row: r1(),
                    field: "modes",
                    expected: "字符串数组 (an array of strings)",
                },
                "类型错误",
            ),
            (
                edit("modes = \"录像或者视频监控\"", "modes = [\"照相\"]"),
                ChecklistError::FullProcessWithoutContinuousMode { row: r1() },
                "全过程",
            ),
            (
                edit("full_process = true", "full_process = \"yes\""),
                ChecklistError::WrongType {
                    row: r1(),
                    field: "full_process",
                    expected: "true 或 false (a boolean)",
                },
                "类型错误",
            ),
            (
                edit("full_process", "fullprocess"),
                ChecklistError::UnknownField {
                    row: r1(),
                    field: "fullprocess".into(),
                },
                "未知字段",
            ),
            (
                format!("title = \"x\"\n{GOOD}"),
                ChecklistError::UnknownTopLevelKey("title".into()),
                "顶层",
            ),
            ("# nothing\n".into(), ChecklistError::NoRows, "[[row]]"),
        ]
    };
    for (text, want, fragment) in cases {
        let got = Checklist::parse(&text).unwrap_err();
        assert_eq!(got, want, "{text}");
        let msg = got.to_string();
        assert!(msg.contains(fragment), "{msg}");
        assert!(msg.contains(" / "), "bilingual: {msg}");
    }
    assert!(matches!(
        Checklist::parse("[[row]\n"),
        Err(ChecklistError::Syntax(_))
    ));
}

#[test]
fn messages_read_well() {
    let e = Checklist::parse(&GOOD.replace("录像或者视频监控", "录像或者摄像")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "第 1 条 [[row]]（id \"9.1\"）的记录方式 \"摄像\" 未知（应为 录像、照相、视频监控 或 录音） / row 1: unknown mode \"摄像\""
    );
}
