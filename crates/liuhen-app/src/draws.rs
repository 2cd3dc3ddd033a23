//! Reproducible random draws (R6.4, 附件1 二.6, R3.12) as evidence in the log. A draw is
//! first announced (`draw.announced`: purpose, the canonical population, method, sample
//! size and how the seed will be fixed): that entry is the commitment. It is then made
//! (`draw.performed`: the seed, the key and the selection) from a seed nobody could know
//! when it was announced: the root of the first signed checkpoint whose tree covers the
//! announcement, or, RFC 3797 style, the values of public random sources named in the
//! announcement. [`Custody::verify_draw`] recomputes a past draw from the log alone.
//! The algorithm is `liuhen_domain::draw`, specified in `docs/draws.md`.

use liuhen_db::{AuditEntry, EntryBody, NewEntry, StoredCheckpoint};
use liuhen_domain::AuditAction;
use liuhen_domain::authz::{Action, Principal, Target};
use liuhen_domain::draw::{self, Method};
use liuhen_merkle::{Checkpoint, SignedCheckpoint};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{AppError, Custody};

/// How the seed of a draw is fixed after its announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedPlan {
    /// The root of the first signed checkpoint covering the announcement (the default).
    Checkpoint,
    /// Public future random sources (e.g. a lottery's numbers on a named date), RFC 3797
    /// section 3.1; their values are entered when the draw is made.
    Sources(Vec<String>),
}

/// What a supervisor announces.
#[derive(Debug, Clone)]
pub struct DrawSpec {
    /// Why and for which plan (e.g. "2026年第四季度执法音像记录抽查").
    pub purpose: String,
    /// What the items are: records, cases, officers, inspectors, targets, …
    pub kind: String,
    pub population: Vec<String>,
    pub method: Method,
    /// Sampling proportion in per mille (50 = 5 %).
    pub permille: u32,
    /// At least this many (capped at the population).
    pub minimum: usize,
    pub seed: SeedPlan,
    /// The 随机抽查 step of a case this draw is the record of, if any.
    pub step: Option<String>,
    /// The supervision plan this draw samples for, if any (`supervision.planned`).
    pub plan: Option<String>,
}

/// A draw as the log tells it.
#[derive(Debug, Clone)]
pub struct DrawView {
    pub id: String,
    pub announced: AuditEntry,
    pub announcement: Value,
    pub performed: Option<(AuditEntry, Value)>,
}

/// The outcome of recomputing a draw.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DrawCheck {
    pub id: String,
    pub ok: bool,
    pub problems: Vec<String>,
    /// The selection as logged.
    pub logged: Vec<String>,
    /// The selection recomputed from the announced population and the seed.
    pub recomputed: Vec<String>,
}

fn bad(e: draw::DrawError) -> AppError {
    AppError::Invalid(e.to_string())
}

impl Custody {
    /// Announces a draw: one entry that fixes the population and the parameters. Returns
    /// the draw's id.
    pub async fn announce_draw(&self, by: &Principal, spec: &DrawSpec) -> Result<String, AppError> {
        self.authorize(by, Action::RunDraw, Target::System, None)
            .await?;
        if spec.purpose.trim().is_empty() {
            return Err(AppError::Invalid("请填写抽取事由".into()));
        }
        if spec.permille > 1000 {
            return Err(AppError::Invalid("抽取比例不能超过 100%".into()));
        }
        let population = draw::canonical_population(&spec.population).map_err(bad)?;
        let count = draw::sample_size(population.len(), spec.permille, spec.minimum);
        if count == 0 {
            return Err(AppError::Invalid("按此比例和最少数量抽取 0 项".into()));
        }
        if count > usize::from(u16::MAX) + 1 {
            return Err(bad(draw::DrawError::TooManyPicks));
        }
        let seed = match &spec.seed {
            SeedPlan::Checkpoint => json!({ "kind": "checkpoint" }),
            SeedPlan::Sources(names) => {
                if names.is_empty() || names.iter().any(|n| n.trim().is_empty()) {
                    return Err(AppError::Invalid("请逐一写明公开随机源".into()));
                }
                json!({ "kind": "sources", "sources": names })
            }
        };
        if let Some(step) = &spec.step {
            self.step(step).await?;
        }
        let id = uuid::Uuid::now_v7().to_string();
        let mut tx = self.db.begin().await?;
        tx.append(
            self.now(),
            NewEntry {
                actor: by.user_id.clone(),
                action: AuditAction::DrawAnnounced,
                subject: Some(format!("draw:{id}")),
                details: json!({
                    "draw": id,
                    "purpose": spec.purpose.trim(),
                    "kind": spec.kind.trim(),
                    "method": spec.method.code(),
                    "permille": spec.permille,
                    "minimum": spec.minimum,
                    "count": count,
                    "population": population,
                    "population_sha256": draw::population_digest(&population),
                    "seed": seed,
                    "step": spec.step,
                    "plan": spec.plan,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The records of an agency dated within `[from, to]` (inclusive, the bureau's calendar),
    /// by id: the population of a sample of records.
    pub async fn records_population(
        &self,
        by: &Principal,
        agency: &str,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> Result<Vec<String>, AppError> {
        self.authorize(by, Action::RunDraw, Target::System, None)
            .await?;
        if from > to {
            return Err(AppError::Invalid("起始日期不能晚于结束日期".into()));
        }
        Ok(self
            .db
            .record_ids_of_agency(agency.trim(), &from.to_string(), &to.to_string())
            .await?)
    }

    /// Makes an announced draw. `sources` are the values of the announced public sources
    /// (one string of numbers per source, in the announced order); empty for a
    /// checkpoint-seeded draw, whose checkpoint must exist already.
    pub async fn perform_draw(
        &self,
        by: &Principal,
        id: &str,
        sources: &[String],
    ) -> Result<Vec<String>, AppError> {
        self.authorize(by, Action::RunDraw, Target::System, None)
            .await?;
        let mut tx = self.db.begin().await?;
        let view = self.draw(id).await?;
        if view.performed.is_some() {
            return Err(AppError::Invalid("该随机抽取已经实施，不能重抽".into()));
        }
        let a = &view.announcement;
        let (seed, key) = match a["seed"]["kind"].as_str() {
            Some("checkpoint") => {
                if !sources.is_empty() {
                    return Err(AppError::Invalid(
                        "该抽取以签名检查点为种子，无需随机源".into(),
                    ));
                }
                let cp = self
                    .db
                    .first_checkpoint_covering(view.announced.seq)
                    .await?
                    .ok_or_else(|| {
                        AppError::Invalid(
                            "种子尚未产生：公布之后还没有签名检查点，请等待下一个检查点".into(),
                        )
                    })?;
                let root = hex::encode(&cp.root);
                let key = announced_checkpoint_key(id, a, cp.tree_size, &root)?;
                (
                    json!({ "kind": "checkpoint", "tree_size": cp.tree_size, "root": root }),
                    key,
                )
            }
            Some("sources") => {
                let named = a["seed"]["sources"].as_array().map_or(0, Vec::len);
                if sources.len() != named {
                    return Err(AppError::Invalid(format!(
                        "公布时写明了 {named} 个随机源，现提供了 {} 个",
                        sources.len()
                    )));
                }
                let key = draw::rfc3797_key(sources).map_err(bad)?;
                (json!({ "kind": "sources", "values": sources }), key)
            }
            _ => return Err(AppError::Invalid("公布记录中的种子方式无法识别".into())),
        };
        let (population, method, count) = announced_parameters(a)?;
        let picked = draw::select(method, key.as_bytes(), population.len(), count).map_err(bad)?;
        let selected: Vec<String> = picked.iter().map(|i| population[*i].clone()).collect();
        tx.append(
            self.now(),
            NewEntry {
                actor: by.user_id.clone(),
                action: AuditAction::DrawPerformed,
                subject: Some(format!("draw:{id}")),
                details: json!({
                    "draw": id,
                    "announced_seq": view.announced.seq,
                    "seed": seed,
                    "key": key,
                    "selected": selected,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(selected)
    }

    /// The latest announced draws, newest first, with whether each was made.
    pub async fn recent_draws(
        &self,
        by: &Principal,
        limit: usize,
    ) -> Result<Vec<(AuditEntry, Value, bool)>, AppError> {
        self.authorize(by, Action::RunDraw, Target::System, None)
            .await?;
        let made: std::collections::HashSet<Option<String>> = self
            .db
            .entries_of_action_between(AuditAction::DrawPerformed.as_str(), 0, i64::MAX)
            .await?
            .into_iter()
            .map(|e| e.subject)
            .collect();
        let announced = self
            .db
            .entries_of_action_between(AuditAction::DrawAnnounced.as_str(), 0, i64::MAX)
            .await?;
        Ok(announced
            .into_iter()
            .rev()
            .take(limit)
            .filter_map(|e| {
                let details = EntryBody::parse(&e.body).ok()?.details;
                let done = made.contains(&e.subject);
                Some((e, details, done))
            })
            .collect())
    }

    /// A draw's announcement and, once made, its result, read from the log.
    pub async fn draw(&self, id: &str) -> Result<DrawView, AppError> {
        let entries = self.db.entries_for(&format!("draw:{id}")).await?;
        let details = |e: &AuditEntry| -> Result<Value, AppError> {
            EntryBody::parse(&e.body)
                .map(|b| b.details)
                .map_err(|e| AppError::Invalid(format!("随机抽取的日志条目无法解析：{e}")))
        };
        let announced = entries
            .iter()
            .find(|e| e.action == AuditAction::DrawAnnounced.as_str())
            .ok_or_else(|| AppError::NotFound(format!("draw {id}")))?;
        let performed = entries
            .iter()
            .find(|e| e.action == AuditAction::DrawPerformed.as_str())
            .map(|e| details(e).map(|d| (e.clone(), d)))
            .transpose()?;
        Ok(DrawView {
            id: id.to_owned(),
            announcement: details(announced)?,
            announced: announced.clone(),
            performed,
        })
    }

    /// Recomputes a past draw from the log: the announcement's bytes are those a signed
    /// checkpoint covers, the population is canonical and matches its digest, the seed is
    /// the one the announcement fixed, and the selection follows from them.
    pub async fn verify_draw(&self, id: &str) -> Result<DrawCheck, AppError> {
        let view = self.draw(id).await?;
        let mut problems = Vec::new();
        for e in std::iter::once(&view.announced).chain(view.performed.as_ref().map(|(e, _)| e)) {
            if !leaf_matches(e) {
                problems.push(format!("日志条目 {} 的内容与其叶哈希不符（被改动）", e.seq));
            }
        }
        let covering = self
            .db
            .first_checkpoint_covering(view.announced.seq)
            .await?;
        match &covering {
            Some(cp) => problems.extend(self.check_covering(cp).await?),
            None => problems.push("公布条目尚无签名检查点覆盖".into()),
        }
        let a = &view.announcement;
        let mut recomputed = Vec::new();
        let logged: Vec<String> = view
            .performed
            .as_ref()
            .and_then(|(_, p)| serde_json::from_value(p["selected"].clone()).ok())
            .unwrap_or_default();
        let Some((_, p)) = &view.performed else {
            problems.push("该抽取尚未实施".into());
            return Ok(DrawCheck {
                id: id.to_owned(),
                ok: false,
                problems,
                logged,
                recomputed,
            });
        };
        match announced_parameters(a) {
            Err(e) => problems.push(e.to_string()),
            Ok((population, method, count)) => {
                if draw::canonical_population(&population).ok().as_ref() != Some(&population) {
                    problems.push("公布的总体不是规范顺序（排序、去重）".into());
                }
                if a["population_sha256"].as_str() != Some(&draw::population_digest(&population)) {
                    problems.push("总体与公布的摘要不符".into());
                }
                let expected_count = draw::sample_size(
                    population.len(),
                    a["permille"].as_u64().unwrap_or(0) as u32,
                    a["minimum"].as_u64().unwrap_or(0) as usize,
                );
                if count != expected_count {
                    problems.push(format!(
                        "抽取数量 {count} 与比例和最少数量不符（应为 {expected_count}）"
                    ));
                }
                let key = match (a["seed"]["kind"].as_str(), &covering) {
                    (Some("checkpoint"), Some(cp)) => {
                        let root = hex::encode(&cp.root);
                        if p["seed"]["tree_size"].as_u64() != Some(cp.tree_size)
                            || p["seed"]["root"].as_str() != Some(&root)
                        {
                            problems.push(format!(
                                "种子不是公布后第一个签名检查点（树大小 {}，根 {root}）",
                                cp.tree_size
                            ));
                        }
                        announced_checkpoint_key(id, a, cp.tree_size, &root).ok()
                    }
                    (Some("sources"), _) => {
                        let values: Vec<String> =
                            serde_json::from_value(p["seed"]["values"].clone()).unwrap_or_default();
                        let named = a["seed"]["sources"].as_array().map_or(0, Vec::len);
                        if values.len() != named {
                            problems.push("随机源数量与公布的不符".into());
                        }
                        draw::rfc3797_key(&values).ok()
                    }
                    _ => None,
                };
                match key {
                    None => problems.push("无法由公布内容重建种子".into()),
                    Some(key) => {
                        if p["key"].as_str() != Some(key.as_str()) {
                            problems.push("记录的密钥串与重建的不符".into());
                        }
                        match draw::select(method, key.as_bytes(), population.len(), count) {
                            Ok(picked) => {
                                recomputed = picked.iter().map(|i| population[*i].clone()).collect()
                            }
                            Err(e) => problems.push(e.to_string()),
                        }
                    }
                }
                if recomputed != logged {
                    problems.push("重算的抽取结果与记录的结果不符".into());
                }
            }
        }
        Ok(DrawCheck {
            id: id.to_owned(),
            ok: problems.is_empty(),
            problems,
            logged,
            recomputed,
        })
    }

    /// A signed checkpoint is genuine and its root is that of the stored log's first
    /// `tree_size` entries.
    async fn check_covering(&self, cp: &StoredCheckpoint) -> Result<Vec<String>, AppError> {
        let mut problems = Vec::new();
        let genuine = Checkpoint::parse_body(&cp.body).ok().filter(|c| {
            c.size == cp.tree_size && c.root.as_slice() == cp.root && c.origin == self.origin
        });
        match genuine {
            None => problems.push(format!("检查点 {} 的正文与其记录不符", cp.id)),
            Some(checkpoint) => {
                let signed = SignedCheckpoint {
                    checkpoint,
                    ed25519_sig: cp.ed25519_sig.clone(),
                    sm2_sig: cp.sm2_sig.clone(),
                };
                if self.keys.public_keys().verify(&signed).is_err() {
                    problems.push(format!("检查点 {} 的签名无效", cp.id));
                }
            }
        }
        let leaves = self.db.leaf_hashes(cp.tree_size).await?;
        if leaves.len() as u64 != cp.tree_size
            || liuhen_merkle::root_from_leaf_hashes(&leaves).as_slice() != cp.root
        {
            problems.push(format!(
                "日志前 {} 条与签名检查点的根不符（日志被改动）",
                cp.tree_size
            ));
        }
        Ok(problems)
    }
}

/// RFC 6962 leaf hash of the entry's body equals the stored one, and the body names the
/// entry's own sequence number.
fn leaf_matches(e: &AuditEntry) -> bool {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(e.body.as_bytes());
    h.finalize().as_slice() == e.leaf_hash.as_slice()
        && EntryBody::parse(&e.body).is_ok_and(|b| b.seq == e.seq)
}

/// Population, method and count as announced.
fn announced_parameters(a: &Value) -> Result<(Vec<String>, Method, usize), AppError> {
    let population: Vec<String> = serde_json::from_value(a["population"].clone())
        .map_err(|_| AppError::Invalid("公布记录中的总体无法读取".into()))?;
    let method = a["method"]
        .as_str()
        .and_then(Method::parse)
        .ok_or_else(|| AppError::Invalid("公布记录中的抽取方法无法识别".into()))?;
    let count = a["count"]
        .as_u64()
        .ok_or_else(|| AppError::Invalid("公布记录中的抽取数量无法读取".into()))?;
    Ok((population, method, count as usize))
}

fn announced_checkpoint_key(
    id: &str,
    a: &Value,
    tree_size: u64,
    root: &str,
) -> Result<String, AppError> {
    let (_, method, count) = announced_parameters(a)?;
    let digest = a["population_sha256"]
        .as_str()
        .ok_or_else(|| AppError::Invalid("公布记录中缺少总体摘要".into()))?;
    Ok(draw::checkpoint_key(
        id, method, count, digest, tree_size, root,
    ))
}
