//! The printed forms of an archive transfer package: the case's compliance report
//! (合规报告), the 四性 check report (四性检测报告, DA/T 70) and the transfer-and-acceptance
//! register form (移交接收检验登记表).

use liuhen_db::{CaseRow, StepRow};
use liuhen_domain::compliance::CaseVerdict;

use super::four_checks::FourChecks;
use crate::pdf::{Field, Form};

fn mark(ok: bool) -> &'static str {
    if ok { "合格" } else { "不合格" }
}

/// 行政执法音像记录合规报告 of a case: each step's verdict and findings, then the case's own.
pub fn compliance_form(case: &CaseRow, steps: &[StepRow], verdict: &CaseVerdict, at: &str) -> Form {
    let mut fields = vec![
        Field::new("案件编号", &case.number),
        Field::new("案件名称", &case.name),
        Field::new("执法机构", &case.agency),
        Field::new("承办处室", &case.department),
        Field::new("总体结论", verdict.level.label_zh()),
        Field::new(
            "统计",
            format!(
                "违规 {} 项，提示 {} 项，未说明的中断 {} 处",
                verdict.violations(),
                verdict.warnings(),
                verdict.unexplained_interruptions()
            ),
        ),
    ];
    for (n, sv) in verdict.steps.iter().enumerate() {
        let step = steps.iter().find(|s| s.step.id == sv.step_id);
        let name = step.map(|s| s.step.name.clone()).unwrap_or_default();
        let place = step.map(|s| s.step.place.clone()).unwrap_or_default();
        let mut text = format!("{}；地点 {place}", sv.level.label_zh());
        for f in &sv.findings {
            text.push_str(&format!("\n[{}] {}", f.rule, f.message_zh));
        }
        fields.push(Field::new(format!("环节 {} {name}", n + 1), text));
    }
    for f in &verdict.findings {
        fields.push(Field::new(
            format!("案件 [{}]", f.rule),
            format!("{}：{}", f.level.label_zh(), f.message_zh),
        ));
    }
    Form {
        title: "行政执法音像记录合规报告".into(),
        info: vec![format!("生成时间：{at}")],
        fields,
        notes: vec![
            "合规结论由系统按执法环节清单与已确认的关联、中断说明重新计算（R1.2、R1.3、R2.2、R2.5），不保存。".into(),
        ],
        signatures: vec!["档案管理人员".into()],
    }
}

/// 电子档案四性检测报告: each property's verdict, then every failed item by name.
pub fn four_checks_form(case: &CaseRow, package: &str, checks: &FourChecks) -> Form {
    let mut fields = vec![
        Field::new("案件", format!("{} {}", case.number, case.name)),
        Field::new("移交包编号", package),
        Field::new("检测时间", &checks.checked_at),
        Field::new("检测结论", mark(checks.ok)),
    ];
    for p in &checks.properties {
        let failed: Vec<String> = p
            .failures()
            .map(|i| format!("{}：{}", i.subject, i.detail))
            .collect();
        let mut text = format!("{}（检测 {} 项）\n{}", mark(p.ok), p.items.len(), p.method);
        for f in &failed {
            text.push_str(&format!("\n不合格 {f}"));
        }
        fields.push(Field::new(&p.name, text));
    }
    Form {
        title: "电子档案真实性、完整性、可用性和安全性检测报告".into(),
        info: vec!["依据 DA/T 70 归档检测；逐项结果见包内 data/transfer/four_checks.json".into()],
        fields,
        notes: vec![
            "真实性：原始文件的 SHA-256/SM3 与保管记录及日志一致，日志条目的包含证明与签名检查点有效；完整性：案件关联的全部记录及其元数据齐全；可用性：每个文件可由 ffprobe 解码且为可接受的归档格式；安全性：无可执行内容，密级标识随元数据移交。".into(),
        ],
        signatures: vec!["检测人".into()],
    }
}

/// What the register form needs beyond the checks.
pub struct RegisterFacts<'a> {
    pub bureau: &'a str,
    pub case: &'a CaseRow,
    pub package: &'a str,
    pub records: usize,
    pub bytes: u64,
    pub years: String,
    pub date: &'a str,
    pub maker: &'a str,
}

/// 移交接收检验登记表 (transfer and acceptance inspection register).
pub fn register_form(f: &RegisterFacts<'_>, checks: &FourChecks) -> Form {
    let mut fields = vec![
        Field::new("移交单位", f.bureau),
        Field::new("接收单位", ""),
        Field::new(
            "档案内容",
            format!("{} {}（行政执法音像记录）", f.case.number, f.case.name),
        ),
        Field::new("移交包编号", f.package),
        Field::new("档案数量", format!("{} 件", f.records)),
        Field::new("数据量", format!("{} 字节", f.bytes)),
        Field::new("起止年度", &f.years),
        Field::new("载体", "电子（BagIt 包，可刻录为光盘）"),
        Field::new("移交日期", f.date),
    ];
    for p in &checks.properties {
        fields.push(Field::new(
            format!("{}检验", p.name),
            format!(
                "{}（{} 项，不合格 {} 项）",
                mark(p.ok),
                p.items.len(),
                p.failures().count()
            ),
        ));
    }
    fields.push(Field::new("检验结论", mark(checks.ok)));
    fields.push(Field::new("移交人", f.maker));
    Form {
        title: "电子档案移交接收检验登记表".into(),
        info: vec![],
        fields,
        notes: vec!["接收方可用 liuhen verify-package 独立核验本包的摘要、日志证明与签名。".into()],
        signatures: vec![
            "移交人".into(),
            "接收人".into(),
            "检验人".into(),
            "移交单位负责人".into(),
            "接收单位负责人".into(),
        ],
    }
}
