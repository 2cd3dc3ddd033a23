//! The gate of R5.1: pure checks of each step of a decision's life. A decision the catalog
//! matches is issued only after a review that passed and that was given for the very draft
//! being issued (same SHA-256); a returned review is a loop back to the draft, never a pass.

use super::{DecisionStatus, ReviewOutcome};

/// The latest review round of a decision, as the gate needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoundFacts<'a> {
    /// `None` while the round waits for the reviewer.
    pub outcome: Option<ReviewOutcome>,
    /// The draft's digest the round was submitted (and decided) with.
    pub draft_sha256: &'a str,
}

/// Who wants to review, as the gate needs it (the role itself is checked by the policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewerFacts<'a> {
    /// The reviewer is on the case team or drafted / submitted the decision.
    pub handles_case: bool,
    /// The legal qualification certificate recorded on the account.
    pub certificate: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GateRefusal {
    #[error("no draft document")]
    NoDraft,
    #[error("legal review required")]
    ReviewRequired,
    #[error("review pending")]
    ReviewPending,
    #[error("review returned")]
    ReviewReturned,
    #[error("review disapproved")]
    Disapproved,
    #[error("draft changed since the review")]
    DraftChanged,
    #[error("not allowed in this status")]
    WrongStatus,
    #[error("the reviewer handles the case")]
    OwnCase,
    #[error("no legal qualification")]
    NoQualification,
    #[error("opinion missing")]
    OpinionMissing,
    #[error("not in the catalog")]
    NotInCatalog,
    #[error("materials missing")]
    MaterialsMissing,
    #[error("already extended")]
    AlreadyExtended,
    #[error("reason missing")]
    ReasonMissing,
}

impl GateRefusal {
    pub fn code(self) -> &'static str {
        match self {
            Self::NoDraft => "no_draft",
            Self::ReviewRequired => "review_required",
            Self::ReviewPending => "review_pending",
            Self::ReviewReturned => "review_returned",
            Self::Disapproved => "review_disapproved",
            Self::DraftChanged => "draft_changed",
            Self::WrongStatus => "wrong_status",
            Self::OwnCase => "own_case",
            Self::NoQualification => "no_legal_qualification",
            Self::OpinionMissing => "opinion_missing",
            Self::NotInCatalog => "not_in_catalog",
            Self::MaterialsMissing => "materials_missing",
            Self::AlreadyExtended => "already_extended",
            Self::ReasonMissing => "reason_missing",
        }
    }

    /// Incomplete input (a missing opinion, reason, draft or material), not an attempt
    /// around the gate: answered as bad input, not logged as a refusal.
    pub fn is_input(self) -> bool {
        matches!(
            self,
            Self::NoDraft | Self::OpinionMissing | Self::MaterialsMissing | Self::ReasonMissing
        )
    }

    pub fn message_zh(self) -> &'static str {
        match self {
            Self::NoDraft => "请先上传决定文书草案",
            Self::ReviewRequired => "该决定属于重大执法决定法制审核目录，未经法制审核不得作出",
            Self::ReviewPending => "法制审核尚未完成，不得作出决定",
            Self::ReviewReturned => "法制审核已退回补充材料，须补充后重新送审",
            Self::Disapproved => "法制审核不同意，不得作出该决定",
            Self::DraftChanged => "决定文书草案在审核后已修改，须重新送审",
            Self::WrongStatus => "该决定当前状态下不能进行此操作",
            Self::OwnCase => "案件承办人员不得审核本案的决定",
            Self::NoQualification => "审核人员须登记法律职业资格证书编号",
            Self::OpinionMissing => "请填写书面审核意见",
            Self::NotInCatalog => "该决定不属于法制审核目录，如依法需要审核请先标记并说明理由",
            Self::MaterialsMissing => "送审材料不全，请勾选清单中的必备材料",
            Self::AlreadyExtended => "审核期限只能延长一次",
            Self::ReasonMissing => "请说明理由",
        }
    }
}

/// Whether the decision may be issued (作出). `needs_review`: the catalog matches it.
pub fn check_issue(
    status: DecisionStatus,
    needs_review: bool,
    draft_sha256: &str,
    last: Option<RoundFacts<'_>>,
) -> Result<(), GateRefusal> {
    if draft_sha256.is_empty() {
        return Err(GateRefusal::NoDraft);
    }
    match status {
        DecisionStatus::Draft | DecisionStatus::Reviewed => {}
        DecisionStatus::UnderReview => return Err(GateRefusal::ReviewPending),
        DecisionStatus::Disapproved => return Err(GateRefusal::Disapproved),
        DecisionStatus::Issued | DecisionStatus::Served => return Err(GateRefusal::WrongStatus),
    }
    if !needs_review {
        return Ok(());
    }
    let Some(round) = last else {
        return Err(GateRefusal::ReviewRequired);
    };
    match round.outcome {
        None => Err(GateRefusal::ReviewPending),
        Some(ReviewOutcome::Return) => Err(GateRefusal::ReviewReturned),
        Some(ReviewOutcome::Disapprove) => Err(GateRefusal::Disapproved),
        Some(_) if round.draft_sha256 != draft_sha256 => Err(GateRefusal::DraftChanged),
        Some(_) if status != DecisionStatus::Reviewed => Err(GateRefusal::ReviewRequired),
        Some(_) => Ok(()),
    }
}

/// Whether the decision may be submitted for review with these materials (`missing`:
/// required items of the checklist not ticked).
pub fn check_submit(
    status: DecisionStatus,
    needs_review: bool,
    draft_sha256: &str,
    missing: usize,
) -> Result<(), GateRefusal> {
    if status != DecisionStatus::Draft {
        return Err(GateRefusal::WrongStatus);
    }
    if !needs_review {
        return Err(GateRefusal::NotInCatalog);
    }
    if draft_sha256.is_empty() {
        return Err(GateRefusal::NoDraft);
    }
    if missing > 0 {
        return Err(GateRefusal::MaterialsMissing);
    }
    Ok(())
}

/// Whether this reviewer may decide the pending round; gives the decision's next status.
pub fn check_review(
    status: DecisionStatus,
    reviewer: ReviewerFacts<'_>,
    outcome: ReviewOutcome,
    opinion: &str,
) -> Result<DecisionStatus, GateRefusal> {
    if status != DecisionStatus::UnderReview {
        return Err(GateRefusal::WrongStatus);
    }
    if reviewer.handles_case {
        return Err(GateRefusal::OwnCase);
    }
    if reviewer.certificate.is_none_or(|c| c.trim().is_empty()) {
        return Err(GateRefusal::NoQualification);
    }
    if opinion.trim().is_empty() {
        return Err(GateRefusal::OpinionMissing);
    }
    Ok(match outcome {
        ReviewOutcome::Approve | ReviewOutcome::ApproveWithChanges => DecisionStatus::Reviewed,
        ReviewOutcome::Return => DecisionStatus::Draft,
        ReviewOutcome::Disapprove => DecisionStatus::Disapproved,
    })
}

/// A new draft version: allowed while drafting and after a review (which it voids: the
/// status goes back to draft); refused while under review and once issued.
pub fn check_new_draft(status: DecisionStatus) -> Result<DecisionStatus, GateRefusal> {
    match status {
        DecisionStatus::Draft | DecisionStatus::Reviewed => Ok(DecisionStatus::Draft),
        DecisionStatus::UnderReview => Err(GateRefusal::ReviewPending),
        _ => Err(GateRefusal::WrongStatus),
    }
}

/// Marking for review ("other … by law") needs a reason and a decision not yet submitted.
pub fn check_mark(status: DecisionStatus, reason: &str) -> Result<(), GateRefusal> {
    if status != DecisionStatus::Draft {
        return Err(GateRefusal::WrongStatus);
    }
    if reason.trim().is_empty() {
        return Err(GateRefusal::ReasonMissing);
    }
    Ok(())
}

/// Extending a pending round's time limit: once, with a reason.
pub fn check_extend(
    status: DecisionStatus,
    already_extended: bool,
    reason: &str,
) -> Result<(), GateRefusal> {
    if status != DecisionStatus::UnderReview {
        return Err(GateRefusal::WrongStatus);
    }
    if already_extended {
        return Err(GateRefusal::AlreadyExtended);
    }
    if reason.trim().is_empty() {
        return Err(GateRefusal::ReasonMissing);
    }
    Ok(())
}

pub fn check_serve(status: DecisionStatus) -> Result<(), GateRefusal> {
    if status == DecisionStatus::Issued {
        Ok(())
    } else {
        Err(GateRefusal::WrongStatus)
    }
}
