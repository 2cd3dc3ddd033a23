//! The printed forms of a package: the copy statement of each record (文字说明材料, R2.9,
//! R3.10), the disc-burn record form (执法音像记录设备摄录内容刻盘存储记录表, R3.6) and the
//! readable manifest (证据包清单).

use jiff::tz::TimeZone;
use liuhen_db::{ApprovalRow, CopyRow, RequestRow};
use liuhen_domain::Record;
use liuhen_domain::lists::StatementTemplate;

use crate::pdf::{Field, Form};

pub(super) fn at(ms: Option<i64>, tz: &TimeZone) -> String {
    ms.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(|t| {
            t.to_zoned_datetime(tz.clone())
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

fn duration(ms: Option<u64>) -> String {
    ms.map(|ms| {
        let s = ms / 1000;
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    })
    .unwrap_or_default()
}

fn approvals_text(approvals: &[ApprovalRow]) -> String {
    approvals
        .iter()
        .map(|a| format!("{}：{}（{}）", a.step, a.approver_name, a.decision))
        .collect::<Vec<_>>()
        .join("；")
}

/// 文字说明材料 of one copied record, worded by the configured `template`.
pub fn statement(
    record: &Record,
    copy: &CopyRow,
    request: &RequestRow,
    approvals: &[ApprovalRow],
    payload_path: &str,
    tz: &TimeZone,
    template: &StatementTemplate,
) -> Form {
    let c = &record.classification;
    Form {
        title: template.title.clone(),
        info: vec![format!(
            "申请编号：{}    复制件编号：{}",
            request.id, copy.id
        )],
        fields: vec![
            Field::new("原始记录编号", record.id.as_str()),
            Field::new("原始文件名", &record.original_name),
            Field::new("包内文件", payload_path),
            Field::new("原始文件 SHA-256", record.sha256.to_hex()),
            Field::new("原始文件 SM3", record.sm3.to_hex()),
            Field::new("文件大小", format!("{} 字节", record.size_bytes)),
            Field::new("执法机构", opt(&c.agency)),
            Field::new("执法人员", opt(&c.officer)),
            Field::new("案件名称", opt(&c.case_name)),
            Field::new("当事人", opt(&c.party)),
            Field::new(
                "摄录起止时间",
                format!(
                    "{} 至 {}",
                    at(record.media.capture_start.map(|t| t.as_millisecond()), tz),
                    at(record.media.capture_end.map(|t| t.as_millisecond()), tz)
                ),
            ),
            Field::new("制作人", &copy.maker_name),
            Field::new("提取人", &copy.extractor),
            Field::new("提取时间", at(Some(copy.extracted_ms), tz)),
            Field::new("证明对象", &copy.proves),
            Field::new("申请人", &request.requester_name),
            Field::new("用途", &request.purpose),
            Field::new("审批", approvals_text(approvals)),
        ],
        notes: template.notes.clone(),
        signatures: template.signatures.clone(),
    }
}

/// 执法音像记录设备摄录内容刻盘存储记录表, one row group per record; one signature line per
/// participant, with their confirmation in the system when there is one. `places[i]` are the
/// places of the steps record `i` is linked to (摄录地点; blank for a hand entry when none).
pub fn burn_form(
    records: &[Record],
    places: &[Vec<String>],
    head: Vec<Field>,
    people: &[super::burn::Participant],
    tz: &TimeZone,
) -> Form {
    let mut fields = head;
    for (n, r) in records.iter().enumerate() {
        let m = &r.media;
        let c = &r.classification;
        fields.push(Field::new(format!("记录 {}", n + 1), r.id.as_str()));
        fields.push(Field::new("执法人员", opt(&c.officer)));
        fields.push(Field::new("摄录人员", opt(&c.camera_operator)));
        fields.push(Field::new(
            "起止时间",
            format!(
                "{} 至 {}",
                at(m.capture_start.map(|t| t.as_millisecond()), tz),
                at(m.capture_end.map(|t| t.as_millisecond()), tz)
            ),
        ));
        let place = places.get(n).map(|p| p.join("；")).unwrap_or_default();
        fields.push(Field::new("摄录地点", place));
        fields.push(Field::new("案件名称", opt(&c.case_name)));
        fields.push(Field::new(
            "设备品牌型号",
            format!(
                "{} {} {}",
                opt(&m.device_make),
                opt(&m.device_model),
                opt(&c.device)
            )
            .trim()
            .to_owned(),
        ));
        fields.push(Field::new(
            "记录格式",
            format!("{} {}", opt(&m.container), opt(&m.video_codec))
                .trim()
                .to_owned(),
        ));
        fields.push(Field::new("时长", duration(m.duration_ms)));
    }
    let mut signatures: Vec<String> = people
        .iter()
        .map(|p| match p.confirmed_ms {
            Some(ms) => format!("{} {}（{} 已在系统确认）", p.role, p.name, at(Some(ms), tz)),
            None => format!("{} {}", p.role, p.name),
        })
        .collect();
    signatures.push("刻录人".into());
    if !people.iter().any(|p| p.role == "部门负责人") {
        signatures.push("部门负责人".into());
    }
    Form {
        title: "执法音像记录设备摄录内容刻盘存储记录表".into(),
        info: vec![],
        fields,
        notes: vec![
            "摄录人员取自记录的“摄录人员”字段（采集时登记，修改须说明理由并留痕）；为空的，请先在系统中补录。".into(),
            "摄录地点取自记录所关联执法环节登记的地点；未关联环节的记录，地点请手工填写。".into(),
        ],
        signatures,
    }
}

/// The head of the disc-burn form of a copy request's package.
pub fn request_head(request: &RequestRow) -> Vec<Field> {
    vec![
        Field::new("申请编号", &request.id),
        Field::new("用途", &request.purpose),
        Field::new("光盘数量", request.discs.to_string()),
    ]
}

/// What a case's own package is for (its 用途), by its source code.
pub fn case_purpose(source: &str, case: &liuhen_db::CaseRow) -> String {
    let what = match source {
        "evidence" => "作为证据提交",
        "preservation" => "长期保存",
        _ => "归档移交",
    };
    format!("{what}：{} {}", case.number, case.name)
}

/// The head of a case's own package's disc-burn form.
pub fn case_head(case: &liuhen_db::CaseRow, purpose: &str) -> Vec<Field> {
    vec![
        Field::new("案件编号", &case.number),
        Field::new("用途", purpose),
    ]
}

/// 文字说明材料 of one record taken as evidence (R2.9, R3.10) or preserved on disc (R3.7):
/// no request, the basis named instead; notes and signature lines from `template`.
pub fn source_statement(
    record: &Record,
    title: &str,
    rows: Vec<Field>,
    payload_path: &str,
    tz: &TimeZone,
    template: &StatementTemplate,
) -> Form {
    let c = &record.classification;
    let mut fields = vec![
        Field::new("原始记录编号", record.id.as_str()),
        Field::new("原始文件名", &record.original_name),
        Field::new("包内文件", payload_path),
        Field::new("原始文件 SHA-256", record.sha256.to_hex()),
        Field::new("原始文件 SM3", record.sm3.to_hex()),
        Field::new("文件大小", format!("{} 字节", record.size_bytes)),
        Field::new("执法机构", opt(&c.agency)),
        Field::new("执法人员", opt(&c.officer)),
        Field::new(
            "摄录起止时间",
            format!(
                "{} 至 {}",
                at(record.media.capture_start.map(|t| t.as_millisecond()), tz),
                at(record.media.capture_end.map(|t| t.as_millisecond()), tz)
            ),
        ),
    ];
    fields.extend(rows);
    Form {
        title: title.into(),
        info: vec![],
        fields,
        notes: template.notes.clone(),
        signatures: template.signatures.clone(),
    }
}

/// 证据包清单: every payload file with its digests.
pub fn manifest_form(manifest: &super::Manifest) -> Form {
    let mut fields = vec![
        Field::new("证据包编号", &manifest.package),
        Field::new("申请编号", &manifest.request.id),
        Field::new("制作时间", &manifest.created_at),
        Field::new("制作人", &manifest.created_by),
        Field::new(
            "检查点",
            format!(
                "日志规模 {}，Ed25519 公钥标识 {}，SM2 公钥标识 {}",
                manifest.log.tree_size, manifest.keys.ed25519_key_id, manifest.keys.sm2_key_id
            ),
        ),
    ];
    for f in &manifest.files {
        fields.push(Field::new(
            f.path.clone(),
            format!("{} 字节\nSHA-256 {}\nSM3 {}", f.size, f.sha256, f.sm3),
        ));
    }
    Form {
        title: "行政执法音像记录证据包清单".into(),
        info: vec![],
        fields,
        notes: vec![
            "核验方法见包内 verifying-a-package.md；命令 `liuhen verify-package` 或光盘上的 verify.html 可离线核验。".into(),
        ],
        signatures: vec!["制作人".into()],
    }
}

/// The printable disc label (光盘标签): case, disc n of m, date, the image's checksum.
pub fn disc_label(label: &DiscLabel) -> Form {
    Form {
        title: "行政执法音像记录证据光盘".into(),
        info: vec![],
        fields: vec![
            Field::new("单位", &label.bureau),
            Field::new("案件", &label.case),
            Field::new("复制申请", &label.request),
            Field::new("证据包编号", &label.package),
            Field::new(
                "光盘",
                format!("第 {} 张 共 {} 张", label.disc, label.discs),
            ),
            Field::new("刻录日期", &label.date),
            Field::new("映像 SHA-256", &label.image_sha256),
        ],
        notes: vec![
            "核验：liuhen verify-package 本光盘映像，或在浏览器中打开光盘上的 data/verify.html。"
                .into(),
        ],
        signatures: vec!["刻录人".into()],
    }
}

/// What a disc label shows.
#[derive(Debug, Clone)]
pub struct DiscLabel {
    pub bureau: String,
    pub case: String,
    pub request: String,
    pub package: String,
    pub disc: u32,
    pub discs: u32,
    pub date: String,
    pub image_sha256: String,
}
