//! The printable form of a random draw (随机抽取记录): what was announced, the seed, the
//! selection in draw order and whether it recomputes, through the shared PDF writer.

use liuhen_domain::authz::{Action, Principal, Target};
use serde_json::Value;

use crate::pdf::{Column, Table};
use crate::{AppError, Custody};

impl Custody {
    /// The draw as a PDF (for supervisors and the legal office).
    pub async fn draw_pdf(&self, by: &Principal, id: &str) -> Result<Vec<u8>, AppError> {
        self.authorize(by, Action::RunDraw, Target::System, None)
            .await?;
        let view = self.draw(id).await?;
        let check = self.verify_draw(id).await?;
        let a = &view.announcement;
        let name = |user: String| async move {
            self.user(&user)
                .await
                .map(|u| u.display_name)
                .unwrap_or(user)
        };
        let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
        let population = a["population"].as_array().map_or(0, Vec::len);
        let mut info = vec![
            format!("单位：{}    抽取编号：{id}", self.config.bureau.name),
            format!(
                "事由：{}    对象：{}",
                text(&a["purpose"]),
                text(&a["kind"])
            ),
            format!(
                "方法：{}    总体：{population} 项（SHA-256 {}）    比例：{}‰    最少：{}    抽取：{} 项",
                text(&a["method"]),
                text(&a["population_sha256"]),
                a["permille"],
                a["minimum"],
                a["count"],
            ),
            format!(
                "公布：日志第 {} 条    {}    {}",
                view.announced.seq,
                self.local_time(view.announced.at_ms),
                name(view.announced.actor.clone()).await
            ),
        ];
        if let Some(step) = a["step"].as_str() {
            info.push(format!("关联执法环节（随机抽查）：{step}"));
        }
        if let Some((e, p)) = &view.performed {
            let seed = match p["seed"]["kind"].as_str() {
                Some("checkpoint") => format!(
                    "签名检查点 树大小 {} 根 {}",
                    p["seed"]["tree_size"],
                    text(&p["seed"]["root"])
                ),
                _ => format!("公开随机源 {}", p["seed"]["values"]),
            };
            info.push(format!(
                "实施：日志第 {} 条    {}    {}    种子：{seed}",
                e.seq,
                self.local_time(e.at_ms),
                name(e.actor.clone()).await
            ));
        }
        info.push(if check.ok {
            "核验：由日志重算，结果一致".to_owned()
        } else {
            format!("核验：不一致 —— {}", check.problems.join("；"))
        });
        let population_list: Vec<String> =
            serde_json::from_value(a["population"].clone()).unwrap_or_default();
        let rows = check
            .logged
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let position = population_list
                    .iter()
                    .position(|p| p == item)
                    .map_or_else(|| "—".to_owned(), |p| (p + 1).to_string());
                vec![(i + 1).to_string(), position, item.clone()]
            })
            .collect();
        let col = |h: &str, w: f32| Column {
            header: h.into(),
            weight: w,
        };
        Ok(crate::pdf::render(&Table {
            title: "随机抽取记录".into(),
            info,
            columns: vec![
                col("抽取顺序", 0.6),
                col("总体序号", 0.6),
                col("抽中项", 4.0),
            ],
            rows,
            empty: "尚未实施".into(),
        }))
    }
}
