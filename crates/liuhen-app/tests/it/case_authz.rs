//! Issue 11: the case, step, link and record-edit use cases authorize themselves. Every
//! authorization decision they make, allowed and refused, called directly (no HTTP), on
//! both backends; each refusal is logged as `access.refused` about its subject.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use liuhen_app::case_work::CaseEdit;
use liuhen_app::cases::{CaseFlag, CaseRow, NewCase, NewStep, StepRow};
use liuhen_app::ingest::{IngestOptions, NoProgress};
use liuhen_app::records::ClassificationChange;
use liuhen_app::{AppError, Custody};
use liuhen_domain::authz::Principal;
use liuhen_domain::case::{CaseCategory, CaseFlags, CaseStatus, Explanation, InterruptionReason};
use liuhen_domain::{AuditAction, Classification, RecordId, Role};

use crate::support::{for_each_backend, user};

const UNIT: &str = "甲局";
const OTHER: &str = "乙局";

struct World {
    c: Custody,
    /// Records keeper of 甲局: manages every case and record of the unit.
    keeper: Principal,
    /// Officer on the case's team.
    lina: Principal,
    /// Officer of the unit, not on the team.
    wang: Principal,
    /// Supervisor of the unit: sees every case (unit-wide), manages none.
    supervisor: Principal,
    /// Deputy head: sees every case, may approve reopening (configured role).
    deputy: Principal,
    /// Records keeper of another unit.
    stranger: Principal,
    /// System administrator: no case at all (三员分立).
    admin: Principal,
    case: CaseRow,
    step: StepRow,
    /// A case of the same unit whose team is wang's.
    wangs_case: CaseRow,
    wangs_step: StepRow,
    /// lina's own recording, wang's, and one of the other unit.
    lina_rec: RecordId,
    wang_rec: RecordId,
    other_rec: RecordId,
}

fn new_case(number: &str, agency: &str, team: &str) -> NewCase {
    NewCase {
        number: number.into(),
        name: "某公司检查".into(),
        category: CaseCategory::Inspection,
        agency: agency.into(),
        department: "执法监察处".into(),
        parties: vec![],
        team: vec![team.into()],
        flags: CaseFlags::default(),
    }
}

fn new_step() -> NewStep {
    let t0: Timestamp = "2026-03-02T02:00:00Z".parse().unwrap();
    NewStep {
        checklist_row: Some("2.7".into()),
        name: None,
        window: (t0, t0 + SignedDuration::from_mins(30)),
        place: "某公司".into(),
        officers: vec!["李娜".into()],
        on_site: true,
        disputed: false,
    }
}

async fn ingest(c: &Custody, name: &str, officer: &str, agency: &str) -> RecordId {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join(name);
    std::fs::write(&src, format!("{name} {officer} {agency}").repeat(64)).unwrap();
    let opts = IngestOptions {
        actor: "keeper".into(),
        classification: Classification {
            agency: Some(agency.into()),
            officer: Some(officer.into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let summary = c.ingest(&[src], &opts, Arc::new(NoProgress)).await;
    assert_eq!(summary.stored, 1, "{:?}", summary.reports);
    RecordId::parse(summary.reports[0].record_id.as_deref().unwrap()).unwrap()
}

async fn world(c: Custody) -> World {
    let keeper = user(&c, "keeper", "赵敏", &[Role::RecordsKeeper], UNIT).await;
    let lina = user(&c, "lina", "李娜", &[Role::Officer], UNIT).await;
    let wang = user(&c, "wang", "王强", &[Role::Officer], UNIT).await;
    let supervisor = user(&c, "sup", "孙监", &[Role::Supervisor], UNIT).await;
    let deputy = user(&c, "deputy", "周丽", &[Role::DeputyHead], UNIT).await;
    let stranger = user(&c, "stranger", "钱某", &[Role::RecordsKeeper], OTHER).await;
    let admin = user(&c, "admin", "系统管理员", &[Role::SystemAdmin], UNIT).await;
    let case = c
        .create_case_as(&lina, &new_case("甲应急检〔2026〕1号", UNIT, "李娜"))
        .await
        .unwrap();
    let step = c.add_step_as(&lina, &case.id, &new_step()).await.unwrap();
    let wangs_case = c
        .create_case_as(&wang, &new_case("甲应急检〔2026〕2号", UNIT, "王强"))
        .await
        .unwrap();
    let wangs_step = c
        .add_step_as(&wang, &wangs_case.id, &new_step())
        .await
        .unwrap();
    let lina_rec = ingest(&c, "DSJ_0001.MP4", "李娜", UNIT).await;
    let wang_rec = ingest(&c, "DSJ_0002.MP4", "王强", UNIT).await;
    let other_rec = ingest(&c, "DSJ_0003.MP4", "钱某", OTHER).await;
    World {
        c,
        keeper,
        lina,
        wang,
        supervisor,
        deputy,
        stranger,
        admin,
        case,
        step,
        wangs_case,
        wangs_step,
        lina_rec,
        wang_rec,
        other_rec,
    }
}

#[track_caller]
fn forbidden<T: std::fmt::Debug>(r: Result<T, AppError>) {
    assert!(
        matches!(r, Err(AppError::Forbidden { .. })),
        "expected a refusal by the policy, got {r:?}"
    );
}

#[track_caller]
fn not_found<T: std::fmt::Debug>(r: Result<T, AppError>) {
    assert!(
        matches!(r, Err(AppError::NotFound(_))),
        "expected not found, got {r:?}"
    );
}

/// Refusals logged about `subject` (`case:<id>`, `record:<id>`).
async fn refusals(c: &Custody, subject: &str) -> usize {
    c.db()
        .entries_for(subject)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == AuditAction::AccessRefused.as_str())
        .count()
}

/// Creating a case: whoever may manage a case of his own unit with himself on the team
/// (officers for their team, the unit's keeper); never for another unit.
#[tokio::test]
async fn creating_a_case_asks_the_policy() {
    for_each_backend(|c| async move {
        let w = world(c).await;
        let c = &w.c;
        for (who, may) in [
            (&w.lina, true),
            (&w.keeper, true),
            (&w.supervisor, false),
            (&w.admin, false),
            (&w.deputy, false),
        ] {
            assert_eq!(c.may_create_case(who), may, "{}", who.officer_name);
        }
        // An officer's case whose team he is not on: refused (logged, no case).
        forbidden(
            c.create_case_as(&w.lina, &new_case("甲应急检〔2026〕3号", UNIT, "王强"))
                .await,
        );
        forbidden(
            c.create_case_as(
                &w.supervisor,
                &new_case("甲应急检〔2026〕4号", UNIT, "李娜"),
            )
            .await,
        );
        // The keeper makes one for any team of his unit, not for another unit.
        c.create_case_as(&w.keeper, &new_case("甲应急检〔2026〕5号", UNIT, "王强"))
            .await
            .unwrap();
        assert!(matches!(
            c.create_case_as(&w.keeper, &new_case("乙应急检〔2026〕1号", OTHER, "钱某"))
                .await,
            Err(AppError::Forbidden {
                code: "other_unit",
                ..
            })
        ));
        assert!(c.case("甲应急检〔2026〕3号").await.is_err());
        assert!(c.case("甲应急检〔2026〕4号").await.is_err());
    })
    .await;
}

/// Seeing a case: the team, the unit-wide viewers; not another officer of the unit, not
/// another unit, not an administrator. Each refusal logged.
#[tokio::test]
async fn viewing_a_case_asks_the_policy() {
    for_each_backend(|c| async move {
        let w = world(c).await;
        let c = &w.c;
        let id = w.case.id.as_str();
        for who in [&w.lina, &w.keeper, &w.supervisor, &w.deputy] {
            c.case_to_view(who, id).await.unwrap();
            assert!(!c.case_events_for(who, id).await.unwrap().is_empty());
            c.case_dossier(who, id).await.unwrap();
        }
        let subject = format!("case:{id}");
        let before = refusals(c, &subject).await;
        for who in [&w.wang, &w.stranger, &w.admin] {
            forbidden(c.case_to_view(who, id).await);
            forbidden(c.case_events_for(who, id).await);
            forbidden(c.case_dossier(who, id).await);
        }
        assert_eq!(refusals(c, &subject).await, before + 9);
    })
    .await;
}

/// Changing a case (fields, flags, steps, notes): the team and the unit's keeper; the
/// unit-wide viewers see it but may not change it. Nothing changes on a refusal.
#[tokio::test]
async fn changing_a_case_asks_the_policy() {
    for_each_backend(|c| async move {
        let w = world(c).await;
        let c = &w.c;
        let id = w.case.id.as_str();
        let rename = |name: &str| CaseEdit {
            name: Some(name.into()),
            ..CaseEdit::default()
        };
        let subject = format!("case:{id}");
        let before = refusals(c, &subject).await;
        for who in [&w.wang, &w.supervisor, &w.deputy, &w.stranger, &w.admin] {
            forbidden(c.case_to_manage(who, id).await);
            forbidden(c.edit_case(who, id, &rename("改名"), "").await);
            forbidden(
                c.set_case_flag_as(who, id, CaseFlag::Disputed, true, "当事人异议")
                    .await,
            );
            forbidden(c.add_step_as(who, id, &new_step()).await);
            forbidden(c.append_case_note_as(who, id, "补充说明").await);
        }
        assert_eq!(refusals(c, &subject).await, before + 25);
        let unchanged = c.case(id).await.unwrap();
        assert_eq!(unchanged.name, "某公司检查");
        assert!(!unchanged.flags.disputed);
        assert_eq!(c.case_steps(id).await.unwrap().len(), 1);

        // The team member and the keeper.
        for (i, who) in [&w.lina, &w.keeper].into_iter().enumerate() {
            c.case_to_manage(who, id).await.unwrap();
            c.edit_case(who, id, &rename(&format!("某公司检查{i}")), "")
                .await
                .unwrap();
            c.set_case_flag_as(who, id, CaseFlag::Disputed, i == 0, "当事人异议")
                .await
                .unwrap();
            c.add_step_as(who, id, &new_step()).await.unwrap();
            c.append_case_note_as(who, id, "补充说明").await.unwrap();
        }
        assert_eq!(c.case_steps(id).await.unwrap().len(), 3);
        assert_eq!(refusals(c, &subject).await, before + 25);
    })
    .await;
}

/// Steps: acts on a step need the right to manage its case, and the step must be of the
/// case named (a step of another case is not found there, even for its own team).
#[tokio::test]
async fn acts_on_a_step_ask_the_policy_and_stay_in_their_case() {
    for_each_backend(|c| async move {
        let w = world(c).await;
        let c = &w.c;
        let (id, step) = (w.case.id.as_str(), w.step.step.id.as_str());
        let explanation = Explanation {
            resumed_record: w.lina_rec.clone(),
            reason: InterruptionReason::from_code("device_fault"),
            text: "设备故障".into(),
            spoken_at_offset_s: 5,
        };
        for who in [&w.wang, &w.supervisor, &w.stranger, &w.admin] {
            forbidden(c.step_to_manage(who, id, step).await);
            forbidden(c.propose_links(who, id, step).await);
            forbidden(c.explain_interruption_as(who, id, step, &explanation).await);
            forbidden(
                c.unlink_record_as(who, id, step, &w.lina_rec, "误关联")
                    .await,
            );
        }
        // Allowed: the team member gets past authorization (here to the rules: there is
        // no interruption to explain, nothing linked to remove).
        let (case, st) = c.step_to_manage(&w.lina, id, step).await.unwrap();
        assert_eq!((case.id.as_str(), st.step.id.as_str()), (id, step));
        c.propose_links(&w.lina, id, step).await.unwrap();
        assert!(matches!(
            c.explain_interruption_as(&w.lina, id, step, &explanation)
                .await,
            Err(AppError::Invalid(_))
        ));
        assert!(matches!(
            c.unlink_record_as(&w.lina, id, step, &w.lina_rec, "误关联")
                .await,
            Err(AppError::Invalid(_))
        ));
        // Wang's step through lina's case: not found, though lina manages her case.
        let other = w.wangs_step.step.id.as_str();
        not_found(c.step_to_manage(&w.lina, id, other).await);
        not_found(c.propose_links(&w.lina, id, other).await);
        not_found(c.link_record_as(&w.lina, id, other, &w.lina_rec).await);
        not_found(
            c.unlink_record_as(&w.lina, id, other, &w.lina_rec, "误关联")
                .await,
        );
        not_found(
            c.explain_interruption_as(&w.lina, id, other, &explanation)
                .await,
        );
        // And through his own case wang reaches it.
        c.step_to_manage(&w.wang, &w.wangs_case.id, other)
            .await
            .unwrap();
    })
    .await;
}

/// Linking widens who sees a record: `who` must manage the case and the record (its own
/// officer or the unit's keeper, never a grant), see it, and the record must be of the
/// case's unit.
#[tokio::test]
async fn linking_asks_the_policy_for_the_case_and_the_record() {
    for_each_backend(|c| async move {
        let w = world(c).await;
        let c = &w.c;
        let (id, step) = (w.case.id.as_str(), w.step.step.id.as_str());
        // Lina links her own recording.
        let l = c
            .link_record_as(&w.lina, id, step, &w.lina_rec)
            .await
            .unwrap();
        assert_eq!(l.linked_by, w.lina.user_id);
        // Wang's recording: lina may not see it (not hers, no case of hers): as if it
        // did not exist; the refusal is logged about the record.
        let subject = format!("record:{}", w.wang_rec);
        let before = refusals(c, &subject).await;
        not_found(c.link_record_as(&w.lina, id, step, &w.wang_rec).await);
        assert_eq!(refusals(c, &subject).await, before + 1);
        // Wang may not link his recording into lina's case (he does not manage it).
        forbidden(c.link_record_as(&w.wang, id, step, &w.wang_rec).await);
        // The keeper manages both: allowed.
        c.link_record_as(&w.keeper, id, step, &w.wang_rec)
            .await
            .unwrap();
        // A record of another unit: never, even for the keeper of that unit's case work.
        assert!(
            c.link_record_as(&w.keeper, id, step, &w.other_rec)
                .await
                .is_err()
        );
        forbidden(c.link_record_as(&w.stranger, id, step, &w.other_rec).await);
        let linked = c.db().step_records(step).await.unwrap();
        let ids: Vec<&RecordId> = linked.iter().map(|l| &l.record_id).collect();
        assert_eq!(ids.len(), 2, "{ids:?}");
        assert!(ids.contains(&&w.lina_rec) && ids.contains(&&w.wang_rec));
        // Unlinking: the team member, with a reason; not someone outside the case.
        forbidden(
            c.unlink_record_as(&w.wang, id, step, &w.wang_rec, "误关联")
                .await,
        );
        c.unlink_record_as(&w.lina, id, step, &w.wang_rec, "误关联")
            .await
            .unwrap();
        assert_eq!(c.db().step_records(step).await.unwrap().len(), 1);
    })
    .await;
}

/// Reopening an archived case starts with seeing it: someone who may not see the case
/// is refused by the policy before its own rules (role, requester) are asked.
#[tokio::test]
async fn reopening_asks_the_policy_to_see_the_case() {
    for_each_backend(|c| async move {
        let w = world(c).await;
        let c = &w.c;
        let id = w.case.id.as_str();
        let archive = CaseEdit {
            status: Some(CaseStatus::Archived),
            ..CaseEdit::default()
        };
        c.edit_case(&w.keeper, id, &archive, "结案归档")
            .await
            .unwrap();
        forbidden(c.request_reopen(&w.wang, id, "补充证据").await);
        forbidden(c.request_reopen(&w.stranger, id, "补充证据").await);
        c.request_reopen(&w.lina, id, "补充证据").await.unwrap();
        forbidden(c.reopen_case(&w.stranger, id, true, "同意").await);
        forbidden(c.reopen_case(&w.admin, id, true, "同意").await);
        let reopened = c.reopen_case(&w.deputy, id, true, "同意").await.unwrap();
        assert_eq!(reopened.status, CaseStatus::Open);
    })
    .await;
}

/// Editing a record's classification: who may edit it by a rule of his roles (the unit's
/// keeper); its own officer may see it but not edit it; a record one may not see is not
/// found; never moved to another unit.
#[tokio::test]
async fn editing_a_record_asks_the_policy() {
    for_each_backend(|c| async move {
        let w = world(c).await;
        let c = &w.c;
        let change = ClassificationChange {
            party: Some("某公司".into()),
            ..Default::default()
        };
        let subject = format!("record:{}", w.lina_rec);
        let before = refusals(c, &subject).await;
        forbidden(
            c.reclassify(&w.lina, &w.lina_rec, &change, "补录当事人")
                .await,
        );
        not_found(
            c.reclassify(&w.wang, &w.lina_rec, &change, "补录当事人")
                .await,
        );
        not_found(
            c.reclassify(&w.stranger, &w.lina_rec, &change, "补录当事人")
                .await,
        );
        assert_eq!(refusals(c, &subject).await, before + 3);
        assert_eq!(
            c.record(&w.lina_rec).await.unwrap().classification.party,
            None
        );
        let r = c
            .reclassify(&w.keeper, &w.lina_rec, &change, "补录当事人")
            .await
            .unwrap();
        assert_eq!(r.classification.party.as_deref(), Some("某公司"));
        let away = ClassificationChange {
            agency: Some(OTHER.into()),
            ..Default::default()
        };
        assert!(matches!(
            c.reclassify(&w.keeper, &w.lina_rec, &away, "移交").await,
            Err(AppError::Forbidden {
                code: "other_unit",
                ..
            })
        ));
        not_found(c.reclassify(&w.keeper, &w.other_rec, &change, "补录").await);
    })
    .await;
}
