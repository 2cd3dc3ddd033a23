//! What the access pages show, formatted: times in the bureau's zone, amounts in yuan,
//! codes as labels of the current language.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use liuhen_app::access::{GrantRow, LoanRow, RequestDetail};
use liuhen_domain::access::Step;
use liuhen_domain::approval::{RequestKind, RequestStatus};
use liuhen_domain::authz::Action;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::i18n::Tr;

pub fn tz(s: &AppState) -> TimeZone {
    s.custody.config().utc_offset().unwrap_or(TimeZone::UTC)
}

pub fn when(ms: i64, tz: &TimeZone) -> String {
    Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned_datetime(tz.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// Fen as yuan: `1250` → `¥12.50`.
pub fn yuan(cents: i64) -> String {
    format!("¥{}.{:02}", cents / 100, cents % 100)
}

/// A request's human number (文号, issue 18); requests filed before numbers existed show
/// the last 8 characters of their id.
pub fn number_of(r: &liuhen_app::access::RequestRow) -> String {
    number_or_tail(r.number.as_deref(), &r.id)
}

/// A human number (文号), else the last 8 characters of the id (things made before numbers).
pub fn number_or_tail(number: Option<&str>, id: &str) -> String {
    match number {
        Some(n) => n.to_owned(),
        None => {
            let tail: Vec<char> = id.chars().rev().take(8).collect();
            tail.into_iter().rev().collect()
        }
    }
}

fn kind_label(k: RequestKind, t: &Tr) -> &'static str {
    t.s(&format!("access.kind.{}", k.code()))
}

fn status_label(s: RequestStatus, t: &Tr) -> &'static str {
    t.s(&format!("access.status.{}", s.code()))
}

fn step_label(s: Step, t: &Tr) -> &'static str {
    t.s(&format!("access.step.{}", s.code()))
}

/// One request in a list.
pub struct ReqRow {
    pub id: String,
    pub short: String,
    pub kind: &'static str,
    pub status_code: &'static str,
    pub status: &'static str,
    pub purpose: String,
    pub records: usize,
    pub requester: String,
    pub next_step: String,
    pub filed: String,
}

impl ReqRow {
    pub fn new(d: &RequestDetail, t: &Tr, tz: &TimeZone) -> Self {
        let r = &d.request;
        Self {
            id: r.id.clone(),
            short: number_of(r),
            kind: kind_label(d.kind, t),
            status_code: d.status.code(),
            status: status_label(d.status, t),
            purpose: r.purpose.clone(),
            records: r.records.len(),
            requester: r.requester_name.clone(),
            next_step: d
                .next_step
                .map(|s| step_label(s, t))
                .unwrap_or("")
                .to_owned(),
            filed: when(r.filed_ms, tz),
        }
    }
}

pub struct FlowLine {
    pub label: &'static str,
    pub decided: bool,
    pub approved: bool,
    pub approver: String,
    pub comment: String,
    pub at: String,
}

pub struct PaperLine {
    pub code: String,
    pub name: String,
    pub file_name: String,
    pub sha256: String,
}

pub struct CopyLine {
    /// The copy's human number (文号), else its request's.
    pub number: String,
    pub record: String,
    /// The record's file name when the reader may view it (filled by the page), else empty.
    pub record_name: String,
    pub original_sha256: String,
    pub statement_sha256: String,
    pub maker: String,
    pub extractor: String,
    pub extracted: String,
    pub proves: String,
}

pub struct DetailView {
    pub id: String,
    pub kind: &'static str,
    pub kind_code: &'static str,
    pub status_code: &'static str,
    pub status: &'static str,
    pub purpose: String,
    pub legal_basis: String,
    pub requester: String,
    pub requester_type: String,
    pub requester_unit: String,
    pub id_number: String,
    pub agency: String,
    pub case: String,
    /// The case's number and name (filled from the request's records), else empty.
    pub case_title: String,
    pub department: String,
    /// The human number (文号), else the id's tail for requests filed before numbers.
    pub number: String,
    pub discs: i64,
    pub pages: i64,
    pub due: String,
    pub filed: String,
    pub fee: String,
    pub fee_due: bool,
    pub receipt_no: String,
    pub paid: String,
    pub flow: Vec<FlowLine>,
    pub basis: String,
    pub next_step_code: String,
    pub next_step: String,
    pub can_decide: bool,
    pub can_copy: bool,
    /// The copy is made: the keeper may build its export package (issue 19).
    pub can_package: bool,
    pub packages: Vec<PackageView>,
    pub can_fee: bool,
    pub can_issue_loan: bool,
    pub can_return: bool,
    pub can_visit: bool,
    pub can_attach: bool,
    pub papers: Vec<PaperLine>,
    pub missing: Vec<String>,
    pub grants: Vec<GrantLine>,
    pub copies: Vec<CopyLine>,
    pub loan: String,
    pub visits: Vec<(String, String)>,
}

/// An export package of the request, as listed on its page and the case page.
pub struct PackageView {
    pub package: String,
    /// `copy`, `evidence`, `preservation` or `transfer` (an i18n key's tail).
    pub source: &'static str,
    /// The i18n key of the source's name.
    pub source_key: &'static str,
    /// The package's human number (文号), else its id's tail.
    pub number: String,
    pub request: String,
    pub request_number: String,
    pub at: String,
    pub maker: String,
    pub records: usize,
    pub manifest_sha256: String,
    pub image: bool,
}

impl PackageView {
    pub fn new(s: &AppState, p: &liuhen_app::package::PackageLine) -> Self {
        Self {
            package: p.package.clone(),
            source: p.source,
            source_key: match p.source {
                "evidence" => "case.packages.source.evidence",
                "preservation" => "case.packages.source.preservation",
                "transfer" => "case.packages.source.transfer",
                _ => "case.packages.source.copy",
            },
            number: number_or_tail(p.number.as_deref(), &p.package),
            request: p.request.clone(),
            request_number: number_or_tail(p.request_number.as_deref(), &p.request),
            at: when(p.at_ms, &tz(s)),
            maker: p.maker.clone(),
            records: p.records,
            manifest_sha256: p.manifest_sha256.clone(),
            image: p.image,
        }
    }
}

impl DetailView {
    pub fn new(s: &AppState, d: &RequestDetail, user: &CurrentUser, t: &Tr) -> Self {
        let policy = s.custody.policy();
        let tz = tz(s);
        let r = &d.request;
        let p = &user.principal;
        let in_unit = p.unit.as_deref() == Some(r.agency.as_str());
        let handler = in_unit && s.custody.allows_system(p, Action::HandleRequest);
        let approved = d.status == RequestStatus::Approved;
        let copying = d.kind == RequestKind::Copy || r.outside_action.as_deref() == Some("copy");
        let paper_name = |code: &str| {
            policy
                .papers
                .get(code)
                .cloned()
                .unwrap_or_else(|| code.to_owned())
        };
        let flow = d
            .flow
            .iter()
            .map(|step| {
                let a = d
                    .approvals
                    .iter()
                    .find(|a| Step::parse(&a.step) == Some(*step));
                FlowLine {
                    label: step_label(*step, t),
                    decided: a.is_some(),
                    approved: a.is_some_and(|a| a.decision == "approve"),
                    approver: a.map(|a| a.approver_name.clone()).unwrap_or_default(),
                    comment: a.map(|a| a.comment.clone()).unwrap_or_default(),
                    at: a.map(|a| when(a.decided_ms, &tz)).unwrap_or_default(),
                }
            })
            .collect();
        let can_decide = d.next_step.is_some_and(|step| {
            liuhen_domain::approval::may_decide(
                policy,
                p,
                step,
                &r.filed_by,
                &r.agency,
                r.department.as_deref(),
            )
        });
        let outside_type = policy.outside_type(&r.requester_type);
        let papers = outside_type
            .map(|o| {
                o.papers
                    .iter()
                    .map(|code| {
                        let got = d.papers.iter().find(|x| &x.paper == code);
                        PaperLine {
                            code: code.clone(),
                            name: paper_name(code),
                            file_name: got.map(|g| g.file_name.clone()).unwrap_or_default(),
                            sha256: got.map(|g| g.sha256.clone()).unwrap_or_default(),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let names: HashMap<String, String> = HashMap::new();
        let now = s.custody.now();
        Self {
            id: r.id.clone(),
            kind: kind_label(d.kind, t),
            kind_code: d.kind.code(),
            status_code: d.status.code(),
            status: status_label(d.status, t),
            purpose: r.purpose.clone(),
            legal_basis: r.legal_basis.clone().unwrap_or_default(),
            requester: r.requester_name.clone(),
            requester_type: outside_type
                .map(|o| o.name.clone())
                .unwrap_or_else(|| t.s("access.requester.internal").to_owned()),
            requester_unit: r.requester_unit.clone().unwrap_or_default(),
            id_number: r.requester_id_no.clone().unwrap_or_default(),
            agency: r.agency.clone(),
            case: r.case_id.clone().unwrap_or_default(),
            case_title: String::new(),
            department: r.department.clone().unwrap_or_default(),
            number: number_of(r),
            discs: r.discs,
            pages: r.pages,
            due: r.due_ms.map(|m| when(m, &tz)).unwrap_or_default(),
            filed: when(r.filed_ms, &tz),
            fee: r.fee_cents.map(yuan).unwrap_or_default(),
            fee_due: r.fee_cents.is_some_and(|f| f > 0) && r.paid_ms.is_none(),
            receipt_no: r.receipt_no.clone().unwrap_or_default(),
            paid: r.paid_ms.map(|m| when(m, &tz)).unwrap_or_default(),
            flow,
            basis: r.basis.clone(),
            next_step_code: d.next_step.map(Step::code).unwrap_or("").to_owned(),
            next_step: d
                .next_step
                .map(|s| step_label(s, t))
                .unwrap_or("")
                .to_owned(),
            can_decide,
            can_copy: handler && approved && copying && d.copies.is_empty(),
            can_package: handler && copying && !d.copies.is_empty(),
            packages: Vec::new(),
            can_fee: handler && r.fee_cents.is_some_and(|f| f > 0) && r.paid_ms.is_none(),
            can_issue_loan: handler && approved && d.kind == RequestKind::Loan && d.loan.is_none(),
            can_return: handler && d.loan.as_ref().is_some_and(|l| l.returned_ms.is_none()),
            can_visit: in_unit
                && approved
                && d.kind == RequestKind::Outside
                && s.custody.allows_system(p, Action::RegisterOutside),
            can_attach: in_unit
                && d.kind == RequestKind::Outside
                && d.status == RequestStatus::Pending
                && s.custody.allows_system(p, Action::RegisterOutside),
            papers,
            missing: d.missing_papers.iter().map(|c| paper_name(c)).collect(),
            grants: d
                .grants
                .iter()
                .map(|g| GrantLine::new(g, &names, now, &tz, t))
                .collect(),
            copies: d
                .copies
                .iter()
                .map(|c| CopyLine {
                    number: c.number.clone().unwrap_or_else(|| number_of(r)),
                    record: c.record_id.clone(),
                    record_name: String::new(),
                    original_sha256: c.original_sha256.clone(),
                    statement_sha256: c.statement_sha256.clone(),
                    maker: c.maker_name.clone(),
                    extractor: c.extractor.clone(),
                    extracted: when(c.extracted_ms, &tz),
                    proves: c.proves.clone(),
                })
                .collect(),
            loan: d
                .loan
                .as_ref()
                .map(|l| match l.returned_ms {
                    Some(m) => format!("{} {}", t.s("access.loan.returned_at"), when(m, &tz)),
                    None => format!("{} {}", t.s("access.loan.due_at"), when(l.due_ms, &tz)),
                })
                .unwrap_or_default(),
            visits: d
                .visits
                .iter()
                .map(|v| (when(v.visited_ms, &tz), v.note.clone()))
                .collect(),
        }
    }
}

pub struct GrantLine {
    pub id: String,
    pub request: String,
    pub grantee: String,
    pub purpose: String,
    pub records: usize,
    pub actions: String,
    pub expires: String,
    pub state: &'static str,
    pub active: bool,
}

impl GrantLine {
    pub fn new(
        g: &GrantRow,
        names: &HashMap<String, String>,
        now: Timestamp,
        tz: &TimeZone,
        t: &Tr,
    ) -> Self {
        let active = g.revoked_ms.is_none() && g.expires_ms > now.as_millisecond();
        let mut actions = Vec::new();
        for (on, key) in [
            (g.can_view, "access.grant.view"),
            (g.can_play, "access.grant.play"),
            (g.can_download, "access.grant.download"),
        ] {
            if on {
                actions.push(t.s(key));
            }
        }
        Self {
            id: g.id.clone(),
            request: g.request_id.clone(),
            grantee: names
                .get(&g.grantee_id)
                .cloned()
                .unwrap_or_else(|| g.grantee_id.clone()),
            purpose: g.purpose.clone(),
            records: g.records.len(),
            actions: actions.join("、"),
            expires: when(g.expires_ms, tz),
            state: if g.revoked_ms.is_some() {
                t.s("access.grant.revoked")
            } else if active {
                t.s("access.grant.active")
            } else {
                t.s("access.grant.expired")
            },
            active,
        }
    }
}

pub struct LoanLine {
    pub request: String,
    /// The loan request's human number (文号): a loan is known by it.
    pub number: String,
    pub borrower: String,
    pub issued: String,
    pub due: String,
    pub overdue: bool,
}

impl LoanLine {
    pub fn new(
        l: &LoanRow,
        overdue: bool,
        (names, numbers): (&HashMap<String, String>, &HashMap<String, String>),
        tz: &TimeZone,
    ) -> Self {
        Self {
            request: l.request_id.clone(),
            number: number_or_tail(
                numbers.get(&l.request_id).map(String::as_str),
                &l.request_id,
            ),
            borrower: names
                .get(&l.borrower_id)
                .cloned()
                .unwrap_or_else(|| l.borrower_id.clone()),
            issued: when(l.issued_ms, tz),
            due: when(l.due_ms, tz),
            overdue,
        }
    }
}
