//! The legal review opinion form (法制审核意见书) of a decided round, printed with the same
//! PDF engine as the other forms (`crate::pdf::render`): a two-column table of the form's
//! items and their content.

use jiff::Timestamp;
use liuhen_domain::authz::{Action, Principal};
use liuhen_domain::decision::format_yuan;

use crate::pdf::{Column, Table};
use crate::{AppError, Custody};

impl Custody {
    /// The opinion form of the decision's round `round` (or its latest decided round).
    pub async fn opinion_pdf(
        &self,
        who: &Principal,
        id: &str,
        round: Option<i64>,
    ) -> Result<Vec<u8>, AppError> {
        let d = self.decision_row(id).await?;
        let case = self.decision_case(who, Action::ViewCase, &d).await?;
        let rounds = self.db.rounds(id).await?;
        let r = rounds
            .iter()
            .rev()
            .filter(|r| r.outcome.is_some())
            .find(|r| round.is_none_or(|n| r.round == n))
            .ok_or_else(|| AppError::NotFound(format!("decided review of decision {id}")))?;
        let name = |user: &str| {
            let user = user.to_owned();
            async move {
                self.db
                    .user_by_id(&user)
                    .await
                    .ok()
                    .flatten()
                    .map_or(user, |u| u.display_name)
            }
        };
        let catalog = self.decision_catalog();
        let entries: Vec<String> = catalog
            .matching(&super::facts(&d))
            .iter()
            .map(|e| format!("{} {}", e.group, e.text))
            .collect();
        let materials: Vec<String> = r
            .materials
            .iter()
            .map(|m| {
                catalog
                    .materials
                    .iter()
                    .find(|x| &x.code == m)
                    .map_or_else(|| m.clone(), |x| x.name.clone())
            })
            .collect();
        let tz = self.tz();
        let when = |ms: i64| {
            Timestamp::from_millisecond(ms)
                .map(|t| {
                    let dt = tz.to_datetime(t);
                    format!(
                        "{}年{:02}月{:02}日 {:02}:{:02}",
                        dt.year(),
                        dt.month(),
                        dt.day(),
                        dt.hour(),
                        dt.minute()
                    )
                })
                .unwrap_or_default()
        };
        let mut measure = catalog
            .measure_name(d.kind, &d.measure)
            .unwrap_or(&d.measure)
            .to_owned();
        if d.measure == "fine" {
            measure = format!("{measure} 人民币 {} 元", format_yuan(d.fine_fen));
        }
        let outcome = r.outcome.map(|o| o.label_zh()).unwrap_or_default();
        let mut rows = vec![
            vec!["案件编号".into(), case.number.clone()],
            vec!["案件名称".into(), case.name.clone()],
            vec!["执法机构".into(), case.agency.clone()],
            vec!["承办部门".into(), case.department.clone()],
            vec![
                "当事人".into(),
                format!("{}（{}）", d.party_name, d.party_type.label_zh()),
            ],
            vec!["决定类别".into(), d.kind.label_zh().into()],
            vec!["拟作出的决定".into(), measure],
            vec!["案情摘要".into(), d.summary.clone()],
            vec!["目录条目".into(), entries.join("\n")],
            vec!["送审人".into(), name(&r.submitted_by).await],
            vec!["送审时间".into(), when(r.submitted_ms)],
            vec!["送审材料".into(), materials.join("、")],
            vec![
                "决定文书草案".into(),
                format!("{}（SHA-256 {}）", d.draft_name, r.draft_sha256),
            ],
            vec!["审核期限".into(), r.due_date.clone()],
        ];
        if !r.extend_reason.is_empty() {
            rows.push(vec!["延期理由".into(), r.extend_reason.clone()]);
        }
        rows.extend([
            vec!["审核结论".into(), outcome.into()],
            vec!["审核意见".into(), r.opinion.clone()],
        ]);
        if !r.changes.is_empty() {
            rows.push(vec!["修改意见".into(), r.changes.clone()]);
        }
        rows.extend([
            vec!["审核人".into(), name(&r.reviewer).await],
            vec!["法律职业资格证书编号".into(), r.reviewer_cert.clone()],
            vec!["审核时间".into(), when(r.reviewed_ms)],
        ]);
        let table = Table {
            title: "法制审核意见书".into(),
            info: vec![
                format!("{} 法制审核机构", case.agency),
                format!("第 {} 轮审核", r.round),
            ],
            columns: vec![
                Column {
                    header: "项目".into(),
                    weight: 1.0,
                },
                Column {
                    header: "内容".into(),
                    weight: 4.0,
                },
            ],
            rows,
            empty: String::new(),
        };
        Ok(crate::pdf::render(&table))
    }
}
