//! The SQL of [`RecordVisibility::admits`]: which records a principal sees in lists, by
//! rule scope and case state, grants, and confidentiality labels (agrees with
//! `liuhen_domain::authz::decide` for viewing; checked on both backends by the suite).

use liuhen_domain::access::CaseCond;
use liuhen_domain::authz::RecordVisibility;

use super::{Arg, Where};

/// Linked cases of the row's record (`records.id`), through its steps.
const CASES_OF_RECORD: &str = "FROM step_records sr JOIN steps s ON s.id = sr.step_id \
     JOIN cases c ON c.id = s.case_id WHERE sr.record_id = records.id";

fn case_cond_sql(c: CaseCond) -> String {
    let open = format!("NOT EXISTS (SELECT 1 {CASES_OF_RECORD} AND c.status <> 'archived')");
    match c {
        CaseCond::Any => "1 = 1".into(),
        CaseCond::ArchivedOrNone => open,
        CaseCond::Archived => format!("(EXISTS (SELECT 1 {CASES_OF_RECORD}) AND {open})"),
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

/// The SQL of [`RecordVisibility::admits`]; `None` when nothing can be visible.
pub(super) fn visibility_sql(w: &mut Where, v: &RecordVisibility, unary: &str) -> Option<String> {
    if v.nothing() {
        return None;
    }
    let me = w.text(&v.me);
    let own = format!("officer = {me}");
    // Uncorrelated `id IN (…)` sets, so that each OR branch stays an index lookup (officer,
    // agency, primary key) instead of a probe per row.
    let team = format!(
        "records.id IN (SELECT sr.record_id FROM case_team t JOIN steps s ON s.case_id = t.case_id \
         JOIN step_records sr ON sr.step_id = s.id WHERE t.officer = {me})"
    );
    let mut by_rule = Vec::new();
    if let Some(c) = v.own {
        by_rule.push(format!("({own} AND {})", case_cond_sql(c)));
    }
    if let Some(c) = v.team {
        by_rule.push(format!("({team} AND {})", case_cond_sql(c)));
    }
    if let Some((u, d, c)) = &v.department {
        let (u, d) = (w.text(u), w.text(d));
        by_rule.push(format!(
            "(agency = {u} AND records.id IN (SELECT sr.record_id FROM cases c JOIN steps s \
             ON s.case_id = c.id JOIN step_records sr ON sr.step_id = s.id WHERE c.department = {d}) \
             AND {})",
            case_cond_sql(*c)
        ));
    }
    if let Some((u, c)) = &v.unit {
        let u = w.text(u);
        by_rule.push(format!("({unary}agency = {u} AND {})", case_cond_sql(*c)));
    }
    if let Some(c) = v.any {
        by_rule.push(format!("({})", case_cond_sql(c)));
    }
    let granted = match &v.grantee {
        Some((user, now)) => {
            let user = w.text(user);
            let now = w.arg(Arg::Int(*now));
            format!(
                "(records.id IN (SELECT gr.record_id FROM access_grants g JOIN access_grant_records gr \
                 ON gr.grant_id = g.id WHERE g.grantee_id = {user} AND g.can_view = 1 \
                 AND g.revoked_ms IS NULL AND g.expires_ms > {now}) AND {})",
                case_cond_sql(CaseCond::ArchivedOrNone)
            )
        }
        None => "1 = 0".into(),
    };
    let labels_outside = |w: &mut Where, allowed: &[String]| {
        let list = in_list(w, allowed);
        format!(
            "NOT EXISTS (SELECT 1 FROM record_labels rl WHERE rl.record_id = records.id \
             AND rl.label NOT IN ({list})) AND NOT EXISTS (SELECT 1 {CASES_OF_RECORD} AND \
             EXISTS (SELECT 1 FROM case_labels cl WHERE cl.case_id = c.id AND cl.label NOT IN ({list})))"
        )
    };
    let cleared = labels_outside(w, &v.cleared_labels);
    let grant_opens = labels_outside(w, &v.grant_opens);
    let rules = if by_rule.is_empty() {
        "1 = 0".to_owned()
    } else {
        by_rule.join(" OR ")
    };
    Some(format!(
        "(({rules}) OR {granted}) AND (({cleared}) OR {own} OR {team} OR ({granted} AND {grant_opens}))"
    ))
}
