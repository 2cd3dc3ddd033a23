//! What the tamper-evident log records. Every state change, and every failed or refused
//! attempt, appends exactly one entry with one of these actions (R6.1).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// A new original entered custody; the entry carries the record's full snapshot.
    RecordIngested,
    /// Content already in custody was offered again; nothing new was stored.
    RecordDuplicate,
    /// Classification or other metadata changed; the entry carries the new snapshot.
    RecordMetadataChanged,
    /// An ingest attempt failed; the reason is in the entry.
    IngestFailed,
    /// A source file was deleted after its stored copy was read back and matched (R3.4).
    SourceCleared,
    /// Retain-until of an original was extended.
    RetentionExtended,
    /// The signing keys were generated (first start).
    KeysCreated,
    /// An action was refused by the access policy; who, what and why are in the entry.
    AccessRefused,
    /// A record's page or metadata was viewed.
    RecordViewed,
    /// A record was played back; the entry names the seconds played.
    RecordPlayed,
    /// An original was downloaded.
    RecordDownloaded,
    /// A resumable upload was created.
    UploadStarted,
    /// A resumable upload was cancelled; its partial data is discarded.
    UploadTerminated,
    /// A browser-playable proxy or thumbnail was made from an original.
    DerivativeCreated,
    /// An account was created.
    UserCreated,
    /// An account's roles, unit or status changed.
    UserChanged,
    /// A user signed in.
    LoginSucceeded,
    /// A sign-in failed (wrong password, locked, wrong second factor).
    LoginFailed,
    /// A user signed out.
    Logout,
    /// A password was changed or reset.
    PasswordChanged,
    /// A TOTP second factor was enrolled or reset.
    SecondFactorChanged,
    /// An API token was issued.
    TokenCreated,
    /// An API token was revoked.
    TokenRevoked,
    /// A custodian acted through the CLI without a token, on the server's own console as
    /// the data directory's owner (break-glass), with a stated reason.
    BreakGlass,
    /// A unit or department was created or changed.
    OrgChanged,
    /// A case was created; the entry carries its number, category, parties and team.
    CaseCreated,
    /// A case changed (a flag set or cleared); the entry names the change and the reason.
    CaseChanged,
    /// An enforcement step was added to a case.
    StepAdded,
    /// A record was linked to an enforcement step.
    RecordLinked,
    /// A record was unlinked from an enforcement step.
    RecordUnlinked,
    /// The reason of an interruption of full-process recording was stated (R2.5).
    InterruptionExplained,
    /// A case's fields (number, name, category, unit, department, status, parties, team)
    /// were edited; the entry carries the changes and the reason.
    CaseEdited,
    /// A reviewer ticked items of a record's reviewer sheet (R2.3, R2.4).
    RecordReviewed,
    /// A request to view, copy, borrow or an outside request was filed.
    AccessRequestFiled,
    /// One approval step was decided (`details.step`, `details.decision`).
    AccessApproved,
    /// A time-limited grant was issued for exactly the approved records and actions.
    AccessGranted,
    /// A grant was revoked; it stops working at once.
    AccessRevoked,
    /// An approved copy was made, bound to the original's digest (R3.10).
    CopyMade,
    /// Records were lent to internal staff (R4.6).
    LoanIssued,
    /// Lent records were returned.
    LoanReturned,
    /// An outside requester consulted records (R4.3–R4.5).
    VisitOutside,
    /// A copying fee was paid; the receipt number is in the entry (R4.10).
    FeePaid,
    /// A confidentiality label or the conclusive-document mark was set or cleared.
    LabelChanged,
    /// A scan of an outside requester's paper was attached to a request.
    PaperAttached,
    /// The access register was read; the entry names the filter.
    RegisterViewed,
    /// The access register was exported (CSV or PDF); the entry names filter and format.
    RegisterExported,
    /// The misconduct signals were read.
    AlertsViewed,
    /// A supervisor acknowledged a misconduct signal; the entry names it and the note.
    AlertAcknowledged,
    /// The scan of an outside requester's paper was opened; the entry names paper and digest.
    PaperViewed,
    /// A preservation hold was placed on a record or a case (R3.7): hold, target, ground.
    HoldPlaced,
    /// A preservation hold was lifted with a reason and its approver (R3.7).
    HoldLifted,
    /// A keeper drew up a disposal list (销毁清册, R6.3): list, chain, items with appraisals.
    DisposalDrafted,
    /// A step of a disposal list's approval chain was decided, with its reason.
    DisposalDecided,
    /// An approved disposal list was executed: list, executor, items disposed and withheld.
    DisposalExecuted,
    /// One original (and its derivatives) was deleted by an approved disposal list; the
    /// entry is its tombstone.
    RecordDisposed,
    /// The keeper bound a camera (serial → unit, officer) or a police number → account for
    /// the offload station (issue 15); the entry is the binding.
    StationBound,
    /// The offload station saw, held or finished a camera; the entry names the camera,
    /// officer, files and problems.
    StationEvent,
    /// A random draw was announced: population, parameters and how its seed will be fixed
    /// (R6.4); the entry is the commitment.
    DrawAnnounced,
    /// A random draw was made from its announced seed; the entry carries seed and result.
    DrawPerformed,
    /// An export package (BagIt) was built for a copy request; the entry names the request,
    /// the records, the package id and the digest of its manifest.
    PackageExported,
    /// An original re-hashed for an export did not match its digests: the export stopped.
    PackageHashMismatch,
    /// A participant (case team, camera operator, head of department) confirmed the
    /// disc-burn record form of a package in the system; the entry names them and the package.
    PackageBurnConfirmed,
    /// The hand-signed scan of a package's disc-burn record form was attached; the entry
    /// carries its SHA-256 and size.
    PackageScanAttached,
    /// An archive transfer package (归档移交) was built for an archived case; the entry names
    /// the case, its records, the package, the manifest's digest and the 四性 check's result.
    PackageTransferred,
    /// A package of records taken as evidence of a case (R2.9) was built, without approval
    /// (evidence use needs none); the entry names the case, records, extractor, what they
    /// prove, the package and its manifest's digest.
    PackageEvidenceExported,
    /// A package for the long-term preservation on disc (R3.7) of a case's held records was
    /// built; the entry names the case, records, package and manifest digest.
    PackagePreservationExported,
    /// A case page (its steps, linked records, compliance, history) was opened; the entry
    /// names the case and its linked records: a consultation of the case file (R4.1, R6.1).
    CaseViewed,
    /// A search or list of records; the entry names the query, not the results (R6.1).
    RecordsSearched,
    /// A search or list of cases; the entry names the query, not the results (R6.1).
    CasesSearched,
    /// A list of cases or a dashboard table was exported; the entry names query and format.
    CasesExported,
    /// A note appended to a case file (after archiving, the only way to correct it, R4.7);
    /// the entry carries the note's text. The log is its only store.
    CaseNoted,
    /// Reopening an archived case was requested, with a reason (R4.7); only a role of
    /// `[cases] reopen_roles` other than the requester may approve it (then `case.edited`
    /// with `reopened` and the request's entry) or decline it.
    CaseReopenRequested,
    /// A request to reopen an archived case was declined, with a reason.
    CaseReopenDeclined,
    /// The unit dashboard (standing findings and lateness of the cases one may see) was
    /// shown; the entry counts what it showed (R6.1).
    DashboardViewed,
    /// A court or reconsideration body requisitioned records (调卷, R4.6); carries the
    /// access contract's fields like `visit.outside`.
    FileRequisitioned,
    /// A decision (决定) was drafted on a case; the entry carries the decision's row.
    DecisionCreated,
    /// A new version of the draft decision document was stored; the entry names its digest.
    DecisionDraftUploaded,
    /// A user marked a decision for legal review ("other … by law") with a reason.
    DecisionMarked,
    /// A decision was submitted for legal review with its materials checklist.
    DecisionSubmitted,
    /// The legal office decided a review round (outcome, written opinion, reviewer's certificate).
    DecisionReviewed,
    /// A review round's time limit was extended once, with a reason.
    DecisionReviewExtended,
    /// A review round passed its time limit without an outcome: the overdue alert, raised
    /// once per round and time limit (actor `system`).
    DecisionReviewOverdue,
    /// A decision was issued (作出).
    DecisionIssued,
    /// A decision was served on the party (送达).
    DecisionServed,
    /// An account's legal qualification certificate number was recorded or cleared.
    LegalQualificationSet,
    /// A scheduled fixity pass re-hashed an original and found it as recorded (R6.2); the
    /// entry names the pass, the digests and the bytes read.
    FixityChecked,
    /// A fixity check found an original altered, missing or unreadable (R6.2): an alert.
    FixityFailed,
    /// A fixity pass over every original finished; the entry carries its counts and times.
    FixityPass,
    /// A download of an original was cut before its last bytes because what was read did
    /// not hash to the record's digest (R6.2): an alert.
    DownloadAborted,
    /// An account's police number (警号) was set, changed or cleared.
    PoliceNumberSet,
    /// A supervision plan was made (R3.12): period, scope, proportions, minimum.
    SupervisionPlanned,
    /// An inspection sheet of a sampled case was filed: the three checks (prefill, answer,
    /// note) and the findings with the officers responsible.
    InspectionFiled,
    /// A consequence was decided against a finding (R3.14): kind, decider, reasoning and
    /// the officer's statement.
    ConsequenceDecided,
}

impl AuditAction {
    pub const ALL: [AuditAction; 93] = [
        Self::RecordIngested,
        Self::RecordDuplicate,
        Self::RecordMetadataChanged,
        Self::IngestFailed,
        Self::SourceCleared,
        Self::RetentionExtended,
        Self::KeysCreated,
        Self::AccessRefused,
        Self::RecordViewed,
        Self::RecordPlayed,
        Self::RecordDownloaded,
        Self::UploadStarted,
        Self::UploadTerminated,
        Self::DerivativeCreated,
        Self::UserCreated,
        Self::UserChanged,
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::Logout,
        Self::PasswordChanged,
        Self::SecondFactorChanged,
        Self::TokenCreated,
        Self::TokenRevoked,
        Self::BreakGlass,
        Self::OrgChanged,
        Self::CaseCreated,
        Self::CaseChanged,
        Self::StepAdded,
        Self::RecordLinked,
        Self::RecordUnlinked,
        Self::InterruptionExplained,
        Self::CaseEdited,
        Self::RecordReviewed,
        Self::AccessRequestFiled,
        Self::AccessApproved,
        Self::AccessGranted,
        Self::AccessRevoked,
        Self::CopyMade,
        Self::LoanIssued,
        Self::LoanReturned,
        Self::VisitOutside,
        Self::FeePaid,
        Self::LabelChanged,
        Self::PaperAttached,
        Self::RegisterViewed,
        Self::RegisterExported,
        Self::AlertsViewed,
        Self::AlertAcknowledged,
        Self::PaperViewed,
        Self::HoldPlaced,
        Self::HoldLifted,
        Self::DisposalDrafted,
        Self::DisposalDecided,
        Self::DisposalExecuted,
        Self::RecordDisposed,
        Self::StationBound,
        Self::StationEvent,
        Self::DrawAnnounced,
        Self::DrawPerformed,
        Self::PackageExported,
        Self::PackageHashMismatch,
        Self::PackageBurnConfirmed,
        Self::PackageScanAttached,
        Self::PackageTransferred,
        Self::PackageEvidenceExported,
        Self::PackagePreservationExported,
        Self::CaseViewed,
        Self::RecordsSearched,
        Self::CasesSearched,
        Self::CasesExported,
        Self::CaseNoted,
        Self::CaseReopenRequested,
        Self::CaseReopenDeclined,
        Self::DashboardViewed,
        Self::FileRequisitioned,
        Self::DecisionCreated,
        Self::DecisionDraftUploaded,
        Self::DecisionMarked,
        Self::DecisionSubmitted,
        Self::DecisionReviewed,
        Self::DecisionReviewExtended,
        Self::DecisionReviewOverdue,
        Self::DecisionIssued,
        Self::DecisionServed,
        Self::LegalQualificationSet,
        Self::FixityChecked,
        Self::FixityFailed,
        Self::FixityPass,
        Self::DownloadAborted,
        Self::PoliceNumberSet,
        Self::SupervisionPlanned,
        Self::InspectionFiled,
        Self::ConsequenceDecided,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RecordIngested => "record.ingested",
            Self::RecordDuplicate => "record.duplicate",
            Self::RecordMetadataChanged => "record.metadata_changed",
            Self::IngestFailed => "ingest.failed",
            Self::SourceCleared => "ingest.source_cleared",
            Self::RetentionExtended => "record.retention_extended",
            Self::KeysCreated => "keys.created",
            Self::AccessRefused => "access.refused",
            Self::RecordViewed => "record.viewed",
            Self::RecordPlayed => "record.played",
            Self::RecordDownloaded => "record.downloaded",
            Self::UploadStarted => "upload.started",
            Self::UploadTerminated => "upload.terminated",
            Self::DerivativeCreated => "derivative.created",
            Self::UserCreated => "user.created",
            Self::UserChanged => "user.changed",
            Self::LoginSucceeded => "auth.login",
            Self::LoginFailed => "auth.login_failed",
            Self::Logout => "auth.logout",
            Self::PasswordChanged => "auth.password_changed",
            Self::SecondFactorChanged => "auth.totp_changed",
            Self::TokenCreated => "auth.token_created",
            Self::TokenRevoked => "auth.token_revoked",
            Self::BreakGlass => "auth.break_glass",
            Self::OrgChanged => "org.changed",
            Self::CaseCreated => "case.created",
            Self::CaseChanged => "case.changed",
            Self::StepAdded => "case.step_added",
            Self::RecordLinked => "case.record_linked",
            Self::RecordUnlinked => "case.record_unlinked",
            Self::InterruptionExplained => "case.interruption_explained",
            Self::CaseEdited => "case.edited",
            Self::RecordReviewed => "record.reviewed",
            Self::AccessRequestFiled => "access.request_filed",
            Self::AccessApproved => "access.approved",
            Self::AccessGranted => "access.granted",
            Self::AccessRevoked => "access.revoked",
            Self::CopyMade => "copy.made",
            Self::LoanIssued => "loan.issued",
            Self::LoanReturned => "loan.returned",
            Self::VisitOutside => "visit.outside",
            Self::FeePaid => "fee.paid",
            Self::LabelChanged => "access.label_changed",
            Self::PaperAttached => "access.paper_attached",
            Self::RegisterViewed => "register.viewed",
            Self::RegisterExported => "register.exported",
            Self::AlertsViewed => "alerts.viewed",
            Self::AlertAcknowledged => "alert.acknowledged",
            Self::PaperViewed => "access.paper_viewed",
            Self::HoldPlaced => "hold.placed",
            Self::HoldLifted => "hold.lifted",
            Self::DisposalDrafted => "disposal.drafted",
            Self::DisposalDecided => "disposal.decided",
            Self::DisposalExecuted => "disposal.executed",
            Self::RecordDisposed => "record.disposed",
            Self::StationBound => "station.bound",
            Self::StationEvent => "station.event",
            Self::DrawAnnounced => "draw.announced",
            Self::DrawPerformed => "draw.performed",
            Self::PackageExported => "package.exported",
            Self::PackageHashMismatch => "package.hash_mismatch",
            Self::PackageBurnConfirmed => "package.burn_confirmed",
            Self::PackageScanAttached => "package.scan_attached",
            Self::PackageTransferred => "package.transferred",
            Self::PackageEvidenceExported => "package.evidence_exported",
            Self::PackagePreservationExported => "package.preservation_exported",
            Self::CaseViewed => "case.viewed",
            Self::RecordsSearched => "records.searched",
            Self::CasesSearched => "cases.searched",
            Self::CasesExported => "cases.exported",
            Self::CaseNoted => "case.noted",
            Self::CaseReopenRequested => "case.reopen_requested",
            Self::CaseReopenDeclined => "case.reopen_declined",
            Self::DashboardViewed => "dashboard.viewed",
            Self::FileRequisitioned => "file.requisitioned",
            Self::DecisionCreated => "decision.created",
            Self::DecisionDraftUploaded => "decision.draft_uploaded",
            Self::DecisionMarked => "decision.marked",
            Self::DecisionSubmitted => "decision.submitted",
            Self::DecisionReviewed => "decision.reviewed",
            Self::DecisionReviewExtended => "decision.review_extended",
            Self::DecisionReviewOverdue => "decision.review_overdue",
            Self::DecisionIssued => "decision.issued",
            Self::DecisionServed => "decision.served",
            Self::LegalQualificationSet => "account.legal_qualification",
            Self::FixityChecked => "fixity.checked",
            Self::FixityFailed => "fixity.failed",
            Self::FixityPass => "fixity.pass",
            Self::DownloadAborted => "record.download_aborted",
            Self::PoliceNumberSet => "account.police_number",
            Self::SupervisionPlanned => "supervision.planned",
            Self::InspectionFiled => "supervision.inspected",
            Self::ConsequenceDecided => "supervision.consequence",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Whether entries of this action carry the full snapshot of the record row they
    /// produced, so that the row can be checked against the log.
    pub fn carries_snapshot(self) -> bool {
        matches!(
            self,
            Self::RecordIngested | Self::RecordMetadataChanged | Self::RetentionExtended
        )
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::RecordIngested => "入库",
            Self::RecordDuplicate => "重复提交",
            Self::RecordMetadataChanged => "修改元数据",
            Self::IngestFailed => "入库失败",
            Self::SourceCleared => "清除源文件",
            Self::RetentionExtended => "延长保存期限",
            Self::KeysCreated => "生成签名密钥",
            Self::AccessRefused => "拒绝访问",
            Self::RecordViewed => "查看记录",
            Self::RecordPlayed => "播放记录",
            Self::RecordDownloaded => "下载原始文件",
            Self::UploadStarted => "开始上传",
            Self::UploadTerminated => "终止上传",
            Self::DerivativeCreated => "生成预览文件",
            Self::UserCreated => "创建用户",
            Self::UserChanged => "修改用户",
            Self::LoginSucceeded => "登录成功",
            Self::LoginFailed => "登录失败",
            Self::Logout => "退出登录",
            Self::PasswordChanged => "修改密码",
            Self::SecondFactorChanged => "变更双因素认证",
            Self::TokenCreated => "创建API令牌",
            Self::TokenRevoked => "吊销API令牌",
            Self::BreakGlass => "紧急授权操作（控制台）",
            Self::OrgChanged => "变更组织机构",
            Self::CaseCreated => "创建案件",
            Self::CaseChanged => "变更案件",
            Self::StepAdded => "添加执法环节",
            Self::RecordLinked => "关联记录",
            Self::RecordUnlinked => "取消关联记录",
            Self::InterruptionExplained => "说明中断原因",
            Self::CaseEdited => "修改案件信息",
            Self::RecordReviewed => "审查记录",
            Self::AccessRequestFiled => "提出查阅申请",
            Self::AccessApproved => "审批查阅申请",
            Self::AccessGranted => "授予查阅权限",
            Self::AccessRevoked => "撤销查阅权限",
            Self::CopyMade => "制作复制件",
            Self::LoanIssued => "借出",
            Self::LoanReturned => "归还",
            Self::VisitOutside => "外部人员查阅",
            Self::FeePaid => "收取复制费用",
            Self::LabelChanged => "变更密级标识",
            Self::PaperAttached => "附上申请材料",
            Self::RegisterViewed => "查看查阅登记簿",
            Self::RegisterExported => "导出查阅登记簿",
            Self::AlertsViewed => "查看违规预警",
            Self::AlertAcknowledged => "确认违规预警",
            Self::PaperViewed => "查看申请材料扫描件",
            Self::HoldPlaced => "设置保全标记",
            Self::HoldLifted => "解除保全标记",
            Self::DisposalDrafted => "编制销毁清册",
            Self::DisposalDecided => "审批销毁清册",
            Self::DisposalExecuted => "执行销毁清册",
            Self::RecordDisposed => "销毁原始记录",
            Self::StationBound => "采集站登记记录仪",
            Self::StationEvent => "采集站事件",
            Self::DrawAnnounced => "公布随机抽取",
            Self::DrawPerformed => "实施随机抽取",
            Self::PackageExported => "导出证据包",
            Self::PackageHashMismatch => "导出时原始文件校验不符",
            Self::PackageBurnConfirmed => "确认刻盘存储记录表",
            Self::PackageScanAttached => "附加刻盘存储记录表签字扫描件",
            Self::PackageTransferred => "归档移交",
            Self::PackageEvidenceExported => "导出证据提交包",
            Self::PackagePreservationExported => "导出长期保存刻盘包",
            Self::CaseViewed => "查阅案卷",
            Self::RecordsSearched => "检索记录",
            Self::CasesSearched => "检索案件",
            Self::CasesExported => "导出案件清单",
            Self::CaseNoted => "追加案卷说明",
            Self::CaseReopenRequested => "申请重新打开案件",
            Self::CaseReopenDeclined => "不同意重新打开案件",
            Self::DashboardViewed => "查看单位合规看板",
            Self::FileRequisitioned => "调卷",
            Self::DecisionCreated => "创建执法决定",
            Self::DecisionDraftUploaded => "上传决定文书草案",
            Self::DecisionMarked => "标记需法制审核",
            Self::DecisionSubmitted => "提交法制审核",
            Self::DecisionReviewed => "法制审核",
            Self::DecisionReviewExtended => "延长审核期限",
            Self::DecisionReviewOverdue => "法制审核逾期预警",
            Self::DecisionIssued => "作出执法决定",
            Self::DecisionServed => "送达执法决定",
            Self::LegalQualificationSet => "登记法律职业资格",
            Self::FixityChecked => "定期校验原始文件",
            Self::FixityFailed => "原始文件校验不符或缺失",
            Self::FixityPass => "完成一轮定期校验",
            Self::DownloadAborted => "下载时校验不符，已中断",
            Self::PoliceNumberSet => "登记警号",
            Self::SupervisionPlanned => "制定监督抽查计划",
            Self::InspectionFiled => "填写抽查检查表",
            Self::ConsequenceDecided => "决定责任追究措施",
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
