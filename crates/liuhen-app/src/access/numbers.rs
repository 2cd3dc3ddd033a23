//! Human numbers (文号, issue 18) of requests and packages: allocated in the transaction
//! creating what they number, written by the policy's `[numbers]` formats.

use liuhen_domain::approval::RequestKind;
use liuhen_domain::numbering::Scope as NumberScope;

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
}
