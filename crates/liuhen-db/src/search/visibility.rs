//! The SQL of [`RecordVisibility::admits`]: which records a principal sees in lists, by
//! rule scope and case state, grants, and confidentiality labels (agrees with
//! `liuhen_domain::authz::decide` for viewing; checked on both backends by the suite).
//!
//! Speed: every case, team, grant and label condition is an uncorrelated `records.id [NOT]
//! IN (…)` set, and before a query the visibility is pruned against the store (no active
//! grant, not on any team, no open case, no label at all …), so that the common case stays
//! the single indexed predicate (`agency = …` or `officer = …`) it was without them.

use liuhen_domain::access::CaseCond;
use liuhen_domain::authz::RecordVisibility;

use super::{Arg, Where};
use crate::error::QueryContext;
use crate::{Db, DbError};

/// Records linked to a case matching `cond` (SQL over `cases c`).
fn linked(cond: &str) -> String {
    format!(
        "SELECT sr.record_id FROM cases c JOIN steps s ON s.case_id = c.id \
         JOIN step_records sr ON sr.step_id = s.id WHERE {cond}"
    )
}

fn case_cond_sql(c: CaseCond) -> String {
    let open = format!("records.id NOT IN ({})", linked("c.status <> 'archived'"));
    match c {
        CaseCond::Any => "1 = 1".into(),
        CaseCond::ArchivedOrNone => open,
        CaseCond::Archived => format!("(records.id IN ({}) AND {open})", linked("1 = 1")),
    }
}

fn in_list(w: &mut Where, items: &[String]) -> String {
    if items.is_empty() {
        // Matches no label.
        return "''".into();
    }
    items
        .iter()
        .map(|i| w.text(i))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A visibility pruned against the store's current state; same answers, simpler SQL.
pub(crate) struct Pruned {
    pub v: RecordVisibility,
    /// Some record or case carries a label.
    pub labels: bool,
    /// The principal is on some case team.
    pub on_team: bool,
}

impl Db {
    async fn exists(&self, sql: &'static str, args: &[Arg]) -> Result<bool, DbError> {
        let mut q = sqlx::query(sql);
        for a in args {
            q = match a {
                Arg::Text(t) => q.bind(t.clone()),
                Arg::Int(i) => q.bind(*i),
            };
        }
        let row = q
            .fetch_optional(self.pool())
            .await
            .ctx("pruning the list visibility")?;
        Ok(row.is_some())
    }

    /// The visibility alone, as a condition on `records` whose placeholders are numbered
    /// after the `taken` arguments the caller binds first; `None`: nothing is visible.
    pub(crate) async fn visibility_condition(
        &self,
        v: &RecordVisibility,
        taken: usize,
    ) -> Result<Option<(String, Vec<Arg>)>, DbError> {
        let pruned = self.prune(v).await?;
        let mut w = Where::new((0..taken).map(|_| Arg::Int(0)).collect());
        let Some(sql) = visibility_sql(&mut w, &pruned, "") else {
            return Ok(None);
        };
        let args = w.args.split_off(taken);
        Ok(Some((sql, args)))
    }

    pub(crate) async fn prune(&self, v: &RecordVisibility) -> Result<Pruned, DbError> {
        let mut v = v.clone();
        let on_team = self
            .exists(
                "SELECT 1 FROM case_team WHERE user_id = $1 LIMIT 1",
                &[Arg::Text(v.me.clone())],
            )
            .await?;
        if !on_team {
            v.team = None;
        }
        if let Some((_, d, _)) = &v.department
            && !self
                .exists(
                    "SELECT 1 FROM cases WHERE department = $1 LIMIT 1",
                    &[Arg::Text(d.clone())],
                )
                .await?
        {
            v.department = None;
        }
        if let Some((user, now)) = &v.grantee
            && !self
                .exists(
                    "SELECT 1 FROM access_grants WHERE grantee_id = $1 AND can_view = 1 \
                     AND revoked_ms IS NULL AND expires_ms > $2 LIMIT 1",
                    &[Arg::Text(user.clone()), Arg::Int(*now)],
                )
                .await?
        {
            v.grantee = None;
        }
        if !self
            .exists(
                "SELECT 1 FROM cases WHERE status <> 'archived' LIMIT 1",
                &[],
            )
            .await?
        {
            // No open case: "no linked case is open" holds for every record.
            let widen = |c: &mut CaseCond| {
                if *c == CaseCond::ArchivedOrNone {
                    *c = CaseCond::Any;
                }
            };
            v.own.as_mut().map(widen);
            v.team.as_mut().map(widen);
            v.any.as_mut().map(widen);
            if let Some(x) = v.department.as_mut() {
                widen(&mut x.2);
            }
            if let Some(x) = v.unit.as_mut() {
                widen(&mut x.1);
            }
        }
        let labels = self
            .exists("SELECT 1 FROM record_labels LIMIT 1", &[])
            .await?
            || self
                .exists("SELECT 1 FROM case_labels LIMIT 1", &[])
                .await?;
        Ok(Pruned { v, labels, on_team })
    }
}

/// The SQL of [`RecordVisibility::admits`]; `None` when nothing can be visible.
pub(super) fn visibility_sql(w: &mut Where, p: &Pruned, unary: &str) -> Option<String> {
    let v = &p.v;
    if v.nothing() {
        return None;
    }
    let me = w.text(&v.me);
    let own = format!("officer_id = {me}");
    let team = format!(
        "records.id IN (SELECT sr.record_id FROM case_team t JOIN steps s ON s.case_id = t.case_id \
         JOIN step_records sr ON sr.step_id = s.id WHERE t.user_id = {me})"
    );
    let with_cond = |base: String, c: CaseCond| match c {
        CaseCond::Any => base,
        c => format!("({base} AND {})", case_cond_sql(c)),
    };
    let mut by_rule = Vec::new();
    if let Some(c) = v.own {
        by_rule.push(with_cond(own.clone(), c));
    }
    if let Some(c) = v.team {
        by_rule.push(with_cond(team.clone(), c));
    }
    if let Some((u, d, c)) = &v.department {
        let (u, d) = (w.text(u), w.text(d));
        let base = format!(
            "(agency = {u} AND records.id IN ({}))",
            linked(&format!("c.department = {d}"))
        );
        by_rule.push(with_cond(base, *c));
    }
    if let Some((u, c)) = &v.unit {
        let u = w.text(u);
        by_rule.push(with_cond(format!("{unary}agency = {u}"), *c));
    }
    if let Some(c) = v.any {
        by_rule.push(case_cond_sql(c));
    }
    let granted = match &v.grantee {
        Some((user, now)) => {
            let user = w.text(user);
            let now = w.arg(Arg::Int(*now));
            Some(format!(
                "(records.id IN (SELECT gr.record_id FROM access_grants g JOIN access_grant_records gr \
                 ON gr.grant_id = g.id WHERE g.grantee_id = {user} AND g.can_view = 1 \
                 AND g.revoked_ms IS NULL AND g.expires_ms > {now}) AND {})",
                case_cond_sql(CaseCond::ArchivedOrNone)
            ))
        }
        None => None,
    };
    let mut reach: Vec<String> = by_rule;
    reach.extend(granted.clone());
    let reach = if reach.len() == 1 {
        reach.remove(0)
    } else {
        format!("({})", reach.join(" OR "))
    };
    if !p.labels {
        return Some(reach);
    }
    let labels_outside = |w: &mut Where, allowed: &[String]| {
        let list = in_list(w, allowed);
        format!(
            "records.id NOT IN (SELECT rl.record_id FROM record_labels rl WHERE rl.label NOT IN ({list})) \
             AND records.id NOT IN (SELECT sr.record_id FROM case_labels cl JOIN steps s \
             ON s.case_id = cl.case_id JOIN step_records sr ON sr.step_id = s.id \
             WHERE cl.label NOT IN ({list}))"
        )
    };
    let cleared = labels_outside(w, &v.cleared_labels);
    let mut exceptions = vec![format!("({cleared})"), own];
    if p.on_team {
        exceptions.push(team);
    }
    if let Some(g) = granted {
        let opens = labels_outside(w, &v.grant_opens);
        exceptions.push(format!("({g} AND {opens})"));
    }
    Some(format!("{reach} AND ({})", exceptions.join(" OR ")))
}
