//! The disposal certificate (销毁记录, R6.3): for an executed list, each disposed item with
//! its digests, derivatives and appraisal, the chain's decisions (role, approver, reason,
//! time) and the executor, drawn by the one PDF engine (`crate::pdf`) from the tombstones.

use liuhen_domain::Role;
use liuhen_domain::authz::Principal;
use liuhen_domain::disposal_list::{DisposalRefusal, ListStatus};

use crate::pdf::{Field, Form};
use crate::{AppError, Custody};

fn role_zh(r: Role) -> &'static str {
    match r {
        Role::RecordsKeeper => "音像记录管理人员",
        Role::LegalOffice => "法制审核机构",
        Role::DeputyHead => "分管领导",
        Role::EnforcementLeader => "主管执法工作领导",
        Role::DepartmentHead => "部门主要负责人",
        Role::ArchiveKeeper => "档案管理人员",
        Role::CaseDepartment => "案件承办处室",
        Role::Supervisor => "监督人员",
        _ => "审批人",
    }
}

impl Custody {
    async fn disposal_person(&self, id: &str) -> Result<String, AppError> {
        Ok(match self.db.user_by_id(id).await? {
            Some(u) => format!("{}（{}）", u.display_name, u.username),
            None => id.to_owned(),
        })
    }

    /// The certificate of an executed list, as PDF bytes. For whoever may see the lists.
    pub async fn disposal_certificate(
        &self,
        who: &Principal,
        list_id: &str,
    ) -> Result<Vec<u8>, AppError> {
        // The same people as the lists (refusal logged there).
        self.disposal_lists_allowed(who).await?;
        let list = self.disposal_list(list_id).await?;
        if list.status != ListStatus::Executed {
            let r = DisposalRefusal::NotExecuted;
            return Err(AppError::Refused {
                code: r.code(),
                message: r.message(),
            });
        }
        let mut form = Form {
            title: "音像记录销毁记录".into(),
            info: vec![format!("销毁清册编号：{}", list.row.id)],
            ..Default::default()
        };
        form.fields.push(Field::new(
            "编制人",
            format!(
                "{}，{}",
                self.disposal_person(&list.row.drafted_by).await?,
                self.local_time(list.row.drafted_ms)
            ),
        ));
        if !list.row.note.is_empty() {
            form.fields.push(Field::new("说明", list.row.note.clone()));
        }
        for d in &list.decisions {
            form.fields.push(Field::new(
                format!("第{}环节 {}", d.step + 1, role_zh(d.role)),
                format!(
                    "{}：{}，{}，{}",
                    d.decision.label_zh(),
                    self.disposal_person(&d.approver_id).await?,
                    d.reason,
                    self.local_time(d.decided_ms)
                ),
            ));
        }
        let executor = list.row.executed_by.clone().unwrap_or_default();
        form.fields.push(Field::new(
            "执行人",
            format!(
                "{}，{}",
                self.disposal_person(&executor).await?,
                self.local_time(list.row.executed_ms.unwrap_or_default())
            ),
        ));
        let mut disposed = 0;
        for (i, item) in list.items.iter().enumerate() {
            let n = i + 1;
            let Some(t) = self.db.tombstone(&item.record_id).await? else {
                form.fields.push(Field::new(
                    format!("第{n}项 未销毁"),
                    format!("记录 {}：执行时不在可销毁之列，原件保留", item.record_id),
                ));
                continue;
            };
            disposed += 1;
            let name = match liuhen_domain::RecordId::parse(&item.record_id) {
                Ok(id) => self
                    .record(&id)
                    .await
                    .map(|r| r.original_name)
                    .unwrap_or_default(),
                Err(_) => String::new(),
            };
            let derivatives: Vec<String> = serde_json::from_str(&t.derivatives).unwrap_or_default();
            form.fields.push(Field::new(
                format!("第{n}项 记录"),
                format!("{} {}（{} 字节）", item.record_id, name, t.size_bytes),
            ));
            form.fields
                .push(Field::new(format!("第{n}项 SHA-256"), t.sha256.clone()));
            form.fields
                .push(Field::new(format!("第{n}项 SM3"), t.sm3.clone()));
            form.fields.push(Field::new(
                format!("第{n}项 衍生文件"),
                if derivatives.is_empty() {
                    "无".to_owned()
                } else {
                    derivatives.join("，")
                },
            ));
            form.fields.push(Field::new(
                format!("第{n}项 鉴定意见"),
                item.appraisal.clone(),
            ));
        }
        form.notes.push(format!(
            "本清册共 {} 项，已销毁 {disposed} 项。原件及其衍生文件已从存储中删除，删除前核对了保存期限和保全标记；每项的摘要值、审批和执行人记录在审计日志（record.disposed）中，可用 liuhen verify 核验。",
            list.items.len()
        ));
        form.signatures = vec!["执行人".into(), "监销人".into()];
        Ok(crate::pdf::render_form(self.pdf_style(), &form))
    }
}
