//! Group commit for log-only events (views, playbacks, refusals, sign-ins): events that
//! change no other state. Concurrent callers share one transaction and one fsync, so a
//! busy server logs thousands of events a second; each caller still returns only after
//! its own entry is durable.

use jiff::Timestamp;
use liuhen_db::{AuditEntry, Db, NewEntry, StorageFault};
use tokio::sync::{mpsc, oneshot};

use std::sync::Arc;

use crate::{AppError, Clock};

/// At most this many events share one transaction.
const MAX_BATCH: usize = 512;

/// A failed batch: the storage fault (if that was the cause) and the error's words.
type Failure = (Option<StorageFault>, String);
type Reply = oneshot::Sender<Result<AuditEntry, Failure>>;

pub(crate) struct Journal {
    queue: mpsc::Sender<(Timestamp, NewEntry, Reply)>,
    clock: Arc<dyn Clock>,
}

impl Journal {
    pub(crate) fn start(db: Db, clock: Arc<dyn Clock>) -> Journal {
        let (queue, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(db, rx));
        Journal { queue, clock }
    }

    pub(crate) async fn append(&self, entry: NewEntry) -> Result<AuditEntry, AppError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((self.clock.now(), entry, reply))
            .await
            .map_err(|_| AppError::Task("the audit journal has stopped".into()))?;
        answer
            .await
            .map_err(|_| AppError::Task("the audit journal has stopped".into()))?
            .map_err(|(fault, message)| match fault {
                Some(fault) => AppError::Storage { fault, message },
                None => AppError::Task(message),
            })
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<(Timestamp, NewEntry, Reply)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let result = write(&db, &batch).await;
        match result {
            Ok(entries) => {
                for ((_, _, reply), entry) in batch.drain(..).zip(entries) {
                    let _ = reply.send(Ok(entry));
                }
            }
            Err(e) => {
                // Nothing of the batch is stored (one transaction, rolled back) and every
                // caller hears so; the next batch reads the log head afresh.
                tracing::error!(error = %crate::error::chain(&e), "audit journal batch failed");
                let failure = (e.storage_fault(), crate::error::chain(&e));
                for (_, _, reply) in batch.drain(..) {
                    let _ = reply.send(Err(failure.clone()));
                }
            }
        }
    }
}

async fn write(
    db: &Db,
    batch: &[(Timestamp, NewEntry, Reply)],
) -> Result<Vec<AuditEntry>, AppError> {
    let mut tx = db.begin().await?;
    let mut out = Vec::with_capacity(batch.len());
    for (at, entry, _) in batch {
        out.push(tx.append(*at, entry.clone()).await?);
    }
    tx.commit().await?;
    Ok(out)
}
