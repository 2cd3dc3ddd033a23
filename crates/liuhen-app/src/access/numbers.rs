//! Human numbers (文号, issue 18) of requests, made copies and packages: allocated in the
//! transaction creating what they number, written by the policy's `[numbers]` formats.

use liuhen_domain::approval::RequestKind;
use liuhen_domain::numbering::Scope as NumberScope;

use liuhen_db::NewEntry;

use crate::{AppError, Custody};

/// The sequence a request's number is taken from.
pub(crate) fn number_scope(kind: RequestKind) -> NumberScope {
    match kind {
        RequestKind::View => NumberScope::View,
        RequestKind::Copy => NumberScope::Copy,
        RequestKind::Loan => NumberScope::Loan,
        RequestKind::Outside => NumberScope::Outside,
    }
}

impl Custody {
    /// The next human number (文号) of `scope` for `unit` this year (the bureau's year), in
    /// the transaction creating what it numbers; the format is the policy's `[numbers]`.
    pub(crate) async fn allocate_number(
        &self,
        tx: &mut liuhen_db::Tx,
        scope: NumberScope,
        unit: &str,
    ) -> Result<String, AppError> {
        let year = self.now().to_zoned_datetime(self.tz()).year();
        let seq = tx.next_number(unit, scope.code(), year).await?;
        Ok(self.policy.numbers.render(scope, unit, year, seq))
    }

    /// Logs a package's entry with its human number (`details.number`), taken from `unit`'s
    /// package sequence in the entry's own transaction; the number.
    pub(crate) async fn log_package(
        &self,
        unit: &str,
        mut entry: NewEntry,
    ) -> Result<String, AppError> {
        let mut tx = self.db.begin().await?;
        let number = self
            .allocate_number(&mut tx, NumberScope::Package, unit)
            .await?;
        entry.details["number"] = number.clone().into();
        tx.append(self.now(), entry).await?;
        tx.commit().await?;
        Ok(number)
    }

    /// The human numbers (文号) of those of requests `ids` that have one (for lists the
    /// caller has authorized, e.g. a unit's open loans).
    pub async fn request_numbers(
        &self,
        ids: &[String],
    ) -> Result<std::collections::HashMap<String, String>, AppError> {
        Ok(self.db.request_numbers(ids).await?)
    }
}
