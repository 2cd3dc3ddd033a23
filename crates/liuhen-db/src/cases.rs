//! Cases, their parties and team, enforcement steps, records linked to steps and the
//! stated reasons of interruptions. Flag changes are audit entries, not rows: a case row
//! holds the current flags only.

use jiff::Timestamp;
use liuhen_domain::RecordId;
use liuhen_domain::case::{
    CaseCategory, CaseFlags, CaseStatus, Explanation, InterruptionReason, Step,
};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{InTx, QueryContext};
use crate::{Db, DbError, Tx};

/// A party (当事人) of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyRow {
    /// `person` or `unit`.
    pub kind: String,
    pub name: String,
    /// 身份证号 of a person or 统一社会信用代码 of a unit.
    pub id_or_credit_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRow {
    pub id: String,
    pub number: String,
    pub name: String,
    pub category: CaseCategory,
    /// 执法机构 (the unit the case belongs to; empty for cases made before it was kept)
    pub agency: String,
    /// 办案部门
    pub department: String,
    pub status: CaseStatus,
    pub flags: CaseFlags,
    pub created_at: Timestamp,
    pub parties: Vec<PartyRow>,
    /// 办案人员 (names, for display), in the order given.
    pub team: Vec<String>,
    /// The account of each member of `team` (same order and length); `None` for a member
    /// no account was found for (rows older than issue 10, listed for a person to resolve).
    pub team_ids: Vec<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRow {
    pub case_id: String,
    pub step: Step,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRecordRow {
    pub step_id: String,
    pub record_id: RecordId,
    pub linked_at: Timestamp,
    pub linked_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplanationRow {
    pub step_id: String,
    pub explanation: Explanation,
    pub explained_at: Timestamp,
    pub explained_by: String,
}

pub(crate) const CASE_COLUMNS: &str = "id, number, name, category, department, status, \
    flag_major_hazard, flag_disputed, flag_hearing, flag_enforced, flag_complex, \
    flag_major_penalty, created_ms, agency";
pub(crate) const STEP_COLUMNS: &str = "id, case_id, checklist_row, name, window_start_ms, window_end_ms, \
    place, officers, on_site, disputed, created_ms";

fn corrupt(what: String, detail: impl std::fmt::Display) -> DbError {
    DbError::Corrupt {
        what,
        detail: detail.to_string(),
    }
}

fn ts(ms: i64, what: &str) -> Result<Timestamp, DbError> {
    Timestamp::from_millisecond(ms).map_err(|e| corrupt(what.to_owned(), e))
}

pub(crate) fn status_from_code(s: &str) -> Option<CaseStatus> {
    [CaseStatus::Open, CaseStatus::Decided, CaseStatus::Archived]
        .into_iter()
        .find(|c| c.code() == s)
}

fn flag_values(f: &CaseFlags) -> [i64; 6] {
    [
        i64::from(f.major_hazard_or_violation),
        i64::from(f.disputed),
        i64::from(f.hearing_held),
        i64::from(f.enforced_execution),
        i64::from(f.complex_multiple_relationships),
        i64::from(f.major_penalty_or_social_impact),
    ]
}

/// Decodes the `cases` columns; parties and team are filled in by the caller.
pub(crate) fn decode_case(row: &AnyRow) -> Result<CaseRow, DbError> {
    let c = "decoding a case";
    let id: String = row.try_get("id").ctx(c)?;
    let what = || format!("case {id}");
    let flag = |col: &str| -> Result<bool, DbError> { Ok(row.try_get::<i64, _>(col).ctx(c)? != 0) };
    let category: String = row.try_get("category").ctx(c)?;
    let status: String = row.try_get("status").ctx(c)?;
    Ok(CaseRow {
        number: row.try_get("number").ctx(c)?,
        name: row.try_get("name").ctx(c)?,
        category: category.parse().map_err(|e| corrupt(what(), e))?,
        department: row.try_get("department").ctx(c)?,
        agency: row.try_get("agency").ctx(c)?,
        status: status_from_code(&status)
            .ok_or_else(|| corrupt(what(), format!("unknown status {status:?}")))?,
        flags: CaseFlags {
            major_hazard_or_violation: flag("flag_major_hazard")?,
            disputed: flag("flag_disputed")?,
            hearing_held: flag("flag_hearing")?,
            enforced_execution: flag("flag_enforced")?,
            complex_multiple_relationships: flag("flag_complex")?,
            major_penalty_or_social_impact: flag("flag_major_penalty")?,
        },
        created_at: ts(row.try_get("created_ms").ctx(c)?, "case creation time")?,
        parties: Vec::new(),
        team: Vec::new(),
        team_ids: Vec::new(),
        id,
    })
}

pub(crate) fn decode_step(row: &AnyRow) -> Result<StepRow, DbError> {
    let c = "decoding a step";
    let officers: String = row.try_get("officers").ctx(c)?;
    Ok(StepRow {
        case_id: row.try_get("case_id").ctx(c)?,
        step: Step {
            id: row.try_get("id").ctx(c)?,
            checklist_row: row.try_get("checklist_row").ctx(c)?,
            name: row.try_get("name").ctx(c)?,
            window: (
                ts(row.try_get("window_start_ms").ctx(c)?, "step window start")?,
                ts(row.try_get("window_end_ms").ctx(c)?, "step window end")?,
            ),
            place: row.try_get("place").ctx(c)?,
            officers: officers
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            on_site: row.try_get::<i64, _>("on_site").ctx(c)? != 0,
            disputed: row.try_get::<i64, _>("disputed").ctx(c)? != 0,
        },
        created_at: ts(row.try_get("created_ms").ctx(c)?, "step creation time")?,
    })
}

impl Tx {
    /// Inserts a case with its parties and team.
    pub async fn insert_case(&mut self, case: &CaseRow) -> Result<(), DbError> {
        let sql = format!(
            "INSERT INTO cases ({CASE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(case.id.as_str())
            .bind(case.number.as_str())
            .bind(case.name.as_str())
            .bind(case.category.code())
            .bind(case.department.as_str())
            .bind(case.status.code());
        for v in flag_values(&case.flags) {
            q = q.bind(v);
        }
        q.bind(case.created_at.as_millisecond())
            .bind(case.agency.as_str())
            .execute(self.conn())
            .await
            .in_tx(&self.health, "inserting a case")?;
        self.insert_parties_and_team(case).await
    }

    /// Replaces the editable fields of a case (number, name, category, unit, department,
    /// status, parties, team); `false` when there is no such case. Flags are separate.
    pub async fn update_case(&mut self, case: &CaseRow) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE cases SET number = $2, name = $3, category = $4, department = $5, \
             status = $6, agency = $7 WHERE id = $1",
        )
        .bind(case.id.as_str())
        .bind(case.number.as_str())
        .bind(case.name.as_str())
        .bind(case.category.code())
        .bind(case.department.as_str())
        .bind(case.status.code())
        .bind(case.agency.as_str())
        .execute(self.conn())
        .await
        .in_tx(&self.health, "updating a case")?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        for table in ["case_parties", "case_team"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE case_id = $1"
            )))
            .bind(case.id.as_str())
            .execute(self.conn())
            .await
            .in_tx(&self.health, "replacing a case's parties and team")?;
        }
        self.insert_parties_and_team(case).await?;
        Ok(true)
    }

    async fn insert_parties_and_team(&mut self, case: &CaseRow) -> Result<(), DbError> {
        for (i, p) in case.parties.iter().enumerate() {
            sqlx::query(
                "INSERT INTO case_parties (case_id, position, kind, name, id_or_credit_code) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(case.id.as_str())
            .bind(i as i64)
            .bind(p.kind.as_str())
            .bind(p.name.as_str())
            .bind(p.id_or_credit_code.as_str())
            .execute(self.conn())
            .await
            .in_tx(&self.health, "inserting a case party")?;
        }
        for (i, officer) in case.team.iter().enumerate() {
            let user_id = case.team_ids.get(i).cloned().flatten();
            sqlx::query(
                "INSERT INTO case_team (case_id, position, officer, user_id) VALUES ($1, $2, $3, $4)",
            )
                .bind(case.id.as_str())
                .bind(i as i64)
                .bind(officer.as_str())
                .bind(user_id)
                .execute(self.conn())
                .await
                .in_tx(&self.health, "inserting a case team member")?;
        }
        Ok(())
    }

    /// Replaces the flags of a case; `false` when there is no such case.
    pub async fn update_case_flags(
        &mut self,
        case_id: &str,
        flags: &CaseFlags,
    ) -> Result<bool, DbError> {
        let mut q = sqlx::query(
            "UPDATE cases SET flag_major_hazard = $2, flag_disputed = $3, flag_hearing = $4, \
             flag_enforced = $5, flag_complex = $6, flag_major_penalty = $7 WHERE id = $1",
        )
        .bind(case_id);
        for v in flag_values(flags) {
            q = q.bind(v);
        }
        let done = q
            .execute(self.conn())
            .await
            .in_tx(&self.health, "updating case flags")?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn insert_step(
        &mut self,
        case_id: &str,
        step: &Step,
        created_at: Timestamp,
    ) -> Result<(), DbError> {
        let sql = format!(
            "INSERT INTO steps ({STEP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(step.id.as_str())
            .bind(case_id)
            .bind(step.checklist_row.as_deref())
            .bind(step.name.as_str())
            .bind(step.window.0.as_millisecond())
            .bind(step.window.1.as_millisecond())
            .bind(step.place.as_str())
            .bind(step.officers.join(","))
            .bind(i64::from(step.on_site))
            .bind(i64::from(step.disputed))
            .bind(created_at.as_millisecond())
            .execute(self.conn())
            .await
            .in_tx(&self.health, "inserting a step")?;
        Ok(())
    }

    pub async fn link_record(&mut self, link: &StepRecordRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO step_records (step_id, record_id, linked_ms, linked_by) VALUES ($1, $2, $3, $4)",
        )
        .bind(link.step_id.as_str())
        .bind(link.record_id.as_str())
        .bind(link.linked_at.as_millisecond())
        .bind(link.linked_by.as_str())
        .execute(self.conn())
        .await
        .in_tx(&self.health, "linking a record to a step")?;
        Ok(())
    }

    /// Removes a link; `false` when there was none.
    pub async fn unlink_record(
        &mut self,
        step_id: &str,
        record_id: &RecordId,
    ) -> Result<bool, DbError> {
        let done = sqlx::query("DELETE FROM step_records WHERE step_id = $1 AND record_id = $2")
            .bind(step_id)
            .bind(record_id.as_str())
            .execute(self.conn())
            .await
            .in_tx(&self.health, "unlinking a record from a step")?;
        Ok(done.rows_affected() > 0)
    }

    /// Stores the explanation of the interruption resumed in `resumed_record`, replacing
    /// an earlier one for the same step and recording.
    pub async fn put_explanation(&mut self, row: &ExplanationRow) -> Result<(), DbError> {
        let e = &row.explanation;
        sqlx::query(
            "DELETE FROM interruption_explanations WHERE step_id = $1 AND resumed_record_id = $2",
        )
        .bind(row.step_id.as_str())
        .bind(e.resumed_record.as_str())
        .execute(self.conn())
        .await
        .in_tx(&self.health, "replacing an explanation")?;
        sqlx::query(
            "INSERT INTO interruption_explanations (step_id, resumed_record_id, reason, text, \
             spoken_at_offset_s, explained_ms, explained_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(row.step_id.as_str())
        .bind(e.resumed_record.as_str())
        .bind(e.reason.code())
        .bind(e.text.as_str())
        .bind(i64::from(e.spoken_at_offset_s))
        .bind(row.explained_at.as_millisecond())
        .bind(row.explained_by.as_str())
        .execute(self.conn())
        .await
        .in_tx(&self.health, "storing an explanation")?;
        Ok(())
    }
}

impl Db {
    pub(crate) async fn fill_case(&self, mut case: CaseRow) -> Result<CaseRow, DbError> {
        let rows = sqlx::query(
            "SELECT kind, name, id_or_credit_code FROM case_parties WHERE case_id = $1 ORDER BY position",
        )
        .bind(case.id.as_str())
        .fetch_all(self.pool())
        .await
        .ctx("reading case parties")?;
        case.parties = rows
            .iter()
            .map(|r| {
                Ok(PartyRow {
                    kind: r.try_get("kind")?,
                    name: r.try_get("name")?,
                    id_or_credit_code: r.try_get("id_or_credit_code")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .ctx("decoding case parties")?;
        let rows = sqlx::query(
            "SELECT officer, user_id FROM case_team WHERE case_id = $1 ORDER BY position",
        )
        .bind(case.id.as_str())
        .fetch_all(self.pool())
        .await
        .ctx("reading a case team")?;
        for r in &rows {
            case.team
                .push(r.try_get("officer").ctx("decoding a case team")?);
            case.team_ids
                .push(r.try_get("user_id").ctx("decoding a case team")?);
        }
        Ok(case)
    }

    /// A case by its id or, failing that, by its number.
    pub async fn case(&self, id_or_number: &str) -> Result<Option<CaseRow>, DbError> {
        let sql =
            format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1 OR number = $1 ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id_or_number)
            .fetch_all(self.pool())
            .await
            .ctx("reading a case")?;
        let mut cases = rows
            .iter()
            .map(decode_case)
            .collect::<Result<Vec<_>, _>>()?;
        // An id match wins over a number that happens to look like an id.
        let pick = cases
            .iter()
            .position(|c| c.id == id_or_number)
            .or(if cases.is_empty() { None } else { Some(0) });
        match pick {
            Some(i) => Ok(Some(self.fill_case(cases.swap_remove(i)).await?)),
            None => Ok(None),
        }
    }

    /// All cases, newest first, at most `limit`.
    pub async fn cases(&self, limit: u32) -> Result<Vec<CaseRow>, DbError> {
        let sql = format!("SELECT {CASE_COLUMNS} FROM cases ORDER BY created_ms DESC, id LIMIT $1");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await
            .ctx("listing cases")?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(self.fill_case(decode_case(row)?).await?);
        }
        Ok(out)
    }

    pub async fn step(&self, id: &str) -> Result<Option<StepRow>, DbError> {
        let sql = format!("SELECT {STEP_COLUMNS} FROM steps WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .ctx("reading a step")?;
        row.as_ref().map(decode_step).transpose()
    }

    /// The steps of a case in time order.
    pub async fn steps_of_case(&self, case_id: &str) -> Result<Vec<StepRow>, DbError> {
        let sql = format!(
            "SELECT {STEP_COLUMNS} FROM steps WHERE case_id = $1 ORDER BY window_start_ms, id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(case_id)
            .fetch_all(self.pool())
            .await
            .ctx("reading a case's steps")?;
        rows.iter().map(decode_step).collect()
    }

    /// The records linked to a step, in the order they were linked.
    pub async fn step_records(&self, step_id: &str) -> Result<Vec<StepRecordRow>, DbError> {
        let rows = sqlx::query(
            "SELECT step_id, record_id, linked_ms, linked_by FROM step_records \
             WHERE step_id = $1 ORDER BY linked_ms, record_id",
        )
        .bind(step_id)
        .fetch_all(self.pool())
        .await
        .ctx("reading a step's records")?;
        rows.iter()
            .map(|r| {
                let c = "decoding a step link";
                let rid: String = r.try_get("record_id").ctx(c)?;
                Ok(StepRecordRow {
                    step_id: r.try_get("step_id").ctx(c)?,
                    record_id: RecordId::parse(&rid)
                        .map_err(|e| corrupt(format!("link of step {step_id}"), e))?,
                    linked_at: ts(r.try_get("linked_ms").ctx(c)?, "link time")?,
                    linked_by: r.try_get("linked_by").ctx(c)?,
                })
            })
            .collect()
    }

    /// The stated reasons of interruptions within a step.
    pub async fn explanations(&self, step_id: &str) -> Result<Vec<ExplanationRow>, DbError> {
        let rows = sqlx::query(
            "SELECT step_id, resumed_record_id, reason, text, spoken_at_offset_s, explained_ms, \
             explained_by FROM interruption_explanations WHERE step_id = $1 ORDER BY resumed_record_id",
        )
        .bind(step_id)
        .fetch_all(self.pool())
        .await
        .ctx("reading explanations")?;
        rows.iter().map(decode_explanation).collect()
    }
}

/// Decodes an `interruption_explanations` row.
pub(crate) fn decode_explanation(r: &AnyRow) -> Result<ExplanationRow, DbError> {
    let c = "decoding an explanation";
    let step_id: String = r.try_get("step_id").ctx(c)?;
    let what = || format!("explanation of step {step_id}");
    let rid: String = r.try_get("resumed_record_id").ctx(c)?;
    let reason: String = r.try_get("reason").ctx(c)?;
    let offset: i64 = r.try_get("spoken_at_offset_s").ctx(c)?;
    Ok(ExplanationRow {
        step_id: step_id.clone(),
        explanation: Explanation {
            resumed_record: RecordId::parse(&rid).map_err(|e| corrupt(what(), e))?,
            reason: InterruptionReason::from_code(&reason),
            text: r.try_get("text").ctx(c)?,
            spoken_at_offset_s: u32::try_from(offset).map_err(|e| corrupt(what(), e))?,
        },
        explained_at: ts(r.try_get("explained_ms").ctx(c)?, "explanation time")?,
        explained_by: r.try_get("explained_by").ctx(c)?,
    })
}
