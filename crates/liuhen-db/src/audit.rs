//! Appending to and reading the audit log. Each entry's body is canonical JSON (RFC 8785,
//! [`crate::canonical`]; format version [`BODY_VERSION`]) and its leaf hash is RFC 6962's SHA-256(0x00 ‖ body). The body names its
//! own sequence number and the previous entry's leaf hash, so a reordered, removed or
//! edited entry shows even before a checkpoint covers it.

use jiff::Timestamp;
use liuhen_domain::AuditAction;
use serde::Deserialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{InTx, QueryContext};
use crate::{Db, DbError, Tx};

/// Version 1 (the first entries) was `serde_json`'s compact form, which differs from JCS only
/// in floats (`12.0` for JCS's `12`); version 2 is RFC 8785. Both verify the same way: the
/// body is hashed as stored, never re-serialised (`docs/log-format.md`).
pub const BODY_VERSION: u32 = 2;

#[derive(Debug, Clone)]
pub struct NewEntry {
    pub actor: String,
    pub action: AuditAction,
    /// What the entry is about, e.g. `record:<id>`.
    pub subject: Option<String>,
    pub details: serde_json::Value,
}

/// A stored entry, as read back (not trusted: verification re-derives everything).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: u64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    pub body: String,
    pub leaf_hash: Vec<u8>,
}

/// The parsed body of an entry.
#[derive(Debug, Clone, Deserialize)]
pub struct EntryBody {
    pub v: u32,
    pub seq: u64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    /// Hex leaf hash of the previous entry (zeros for the first).
    pub prev: String,
    pub details: serde_json::Value,
}

impl EntryBody {
    pub fn parse(body: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(body)
    }
}

pub(crate) fn encode_body(seq: u64, at: Timestamp, prev: &[u8; 32], e: &NewEntry) -> String {
    let body = serde_json::json!({
        "v": BODY_VERSION,
        "seq": seq,
        "at_ms": at.as_millisecond(),
        "at": at.to_string(),
        "actor": e.actor,
        "action": e.action.as_str(),
        "subject": e.subject,
        "prev": hex::encode(prev),
        "details": e.details,
    });
    crate::canonical::to_jcs(&body)
}

impl Tx {
    /// Appends one entry in this transaction and returns it.
    pub async fn append(&mut self, at: Timestamp, entry: NewEntry) -> Result<AuditEntry, DbError> {
        let seq = self.log_size;
        let body = encode_body(seq, at, &self.last_leaf, &entry);
        let leaf = liuhen_merkle::leaf_hash(body.as_bytes());
        sqlx::query(
            "INSERT INTO audit_entries (seq, at_ms, actor, action, subject, body, leaf_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(seq as i64)
        .bind(at.as_millisecond())
        .bind(entry.actor.as_str())
        .bind(entry.action.as_str())
        .bind(entry.subject.as_deref())
        .bind(body.as_str())
        .bind(&leaf[..])
        .execute(self.conn())
        .await
        .in_tx(&self.health, "appending an audit entry")?;
        self.log_size += 1;
        self.last_leaf = leaf;
        self.appended = true;
        Ok(AuditEntry {
            seq,
            at_ms: at.as_millisecond(),
            actor: entry.actor,
            action: entry.action.as_str().to_owned(),
            subject: entry.subject,
            body,
            leaf_hash: leaf.to_vec(),
        })
    }

    /// Appends `entries` in order, all at `at`: the same entries, bodies and hash chain as
    /// calling [`Tx::append`] for each, written 100 rows per `INSERT` (a recomputation of
    /// a case's 10,000 records logs one entry per record).
    pub async fn append_many(
        &mut self,
        at: Timestamp,
        entries: Vec<NewEntry>,
    ) -> Result<Vec<AuditEntry>, DbError> {
        const ROWS: usize = 100;
        let mut out = Vec::with_capacity(entries.len());
        for entry in entries {
            let seq = self.log_size + out.len() as u64;
            let prev = out
                .last()
                .map_or(self.last_leaf, |e: &AuditEntry| leaf_array(&e.leaf_hash));
            let body = encode_body(seq, at, &prev, &entry);
            let leaf = liuhen_merkle::leaf_hash(body.as_bytes());
            out.push(AuditEntry {
                seq,
                at_ms: at.as_millisecond(),
                actor: entry.actor,
                action: entry.action.as_str().to_owned(),
                subject: entry.subject,
                body,
                leaf_hash: leaf.to_vec(),
            });
        }
        for chunk in out.chunks(ROWS) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let b = 7 * i;
                    let marks: Vec<String> = (1..=7).map(|k| format!("${}", b + k)).collect();
                    format!("({})", marks.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO audit_entries (seq, at_ms, actor, action, subject, body, leaf_hash) \
                 VALUES {}",
                values.join(", ")
            );
            // Only placeholders are formatted in.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for e in chunk {
                q = q
                    .bind(e.seq as i64)
                    .bind(e.at_ms)
                    .bind(e.actor.clone())
                    .bind(e.action.clone())
                    .bind(e.subject.clone())
                    .bind(e.body.clone())
                    .bind(e.leaf_hash.clone());
            }
            q.execute(self.conn())
                .await
                .in_tx(&self.health, "appending audit entries")?;
        }
        if let Some(last) = out.last() {
            self.log_size = last.seq + 1;
            self.last_leaf = leaf_array(&last.leaf_hash);
            self.appended = true;
        }
        Ok(out)
    }
}

fn leaf_array(v: &[u8]) -> [u8; 32] {
    let mut a = [0; 32];
    a.copy_from_slice(v);
    a
}

pub(crate) fn decode(row: &AnyRow) -> Result<AuditEntry, sqlx::Error> {
    Ok(AuditEntry {
        seq: row.try_get::<i64, _>("seq")? as u64,
        at_ms: row.try_get("at_ms")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        subject: row.try_get("subject")?,
        body: row.try_get("body")?,
        leaf_hash: row.try_get("leaf_hash")?,
    })
}

impl Db {
    /// Entries with `seq > after` (or from the start), in row order of `seq`, at most `limit`.
    pub async fn entries_page(
        &self,
        after: Option<u64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, DbError> {
        let after = after.map(|s| s as i64).unwrap_or(-1);
        let rows = sqlx::query(
            "SELECT seq, at_ms, actor, action, subject, body, leaf_hash FROM audit_entries \
             WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .ctx("reading audit entries")?;
        rows.iter()
            .map(decode)
            .collect::<Result<_, _>>()
            .ctx("decoding audit entries")
    }

    /// Like [`Db::entries_page`], but a row that does not decode (a damaged or hand-edited
    /// row) is returned as its own error instead of failing the page, for `verify`.
    pub async fn entries_page_lenient(
        &self,
        after: Option<u64>,
        limit: u32,
    ) -> Result<Vec<(u64, Result<AuditEntry, DbError>)>, DbError> {
        let after = after.map(|s| s as i64).unwrap_or(-1);
        let rows = sqlx::query(
            "SELECT seq, at_ms, actor, action, subject, body, leaf_hash FROM audit_entries \
             WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .ctx("reading audit entries")?;
        rows.iter()
            .map(|row| {
                let seq = row.try_get::<i64, _>("seq").ctx("reading audit entries")? as u64;
                let entry = decode(row).map_err(|e| DbError::Corrupt {
                    what: format!("audit entry #{seq}"),
                    detail: e.to_string(),
                });
                Ok((seq, entry))
            })
            .collect()
    }

    /// All entries about one subject, oldest first.
    pub async fn entries_for(&self, subject: &str) -> Result<Vec<AuditEntry>, DbError> {
        let rows = sqlx::query(
            "SELECT seq, at_ms, actor, action, subject, body, leaf_hash FROM audit_entries \
             WHERE subject = $1 ORDER BY seq",
        )
        .bind(subject)
        .fetch_all(self.pool())
        .await
        .ctx("reading a subject's audit entries")?;
        rows.iter()
            .map(decode)
            .collect::<Result<_, _>>()
            .ctx("decoding audit entries")
    }

    /// The entries about one subject with one of `actions`, oldest first.
    pub async fn entries_for_actions(
        &self,
        subject: &str,
        actions: &[&str],
    ) -> Result<Vec<AuditEntry>, DbError> {
        if actions.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (0..actions.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT seq, at_ms, actor, action, subject, body, leaf_hash FROM audit_entries \
             WHERE subject = $1 AND action IN ({}) ORDER BY seq",
            marks.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(subject);
        for a in actions {
            q = q.bind(*a);
        }
        let rows = q
            .fetch_all(self.pool())
            .await
            .ctx("reading a subject's audit entries of some actions")?;
        rows.iter()
            .map(decode)
            .collect::<Result<_, _>>()
            .ctx("decoding audit entries")
    }

    /// Size of the log as its head records it: cheap (one row), for pages and health checks.
    /// `verify` compares it with the rows actually stored ([`Db::log_sizes`]).
    pub async fn log_size(&self) -> Result<u64, DbError> {
        let row = sqlx::query("SELECT size FROM log_head WHERE id = 1")
            .fetch_one(self.pool())
            .await
            .ctx("reading the log head")?;
        Ok(row.try_get::<i64, _>("size").ctx("reading the log head")? as u64)
    }

    /// Number of rows in the log table and the size the log head claims.
    pub async fn log_sizes(&self) -> Result<(u64, u64), DbError> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM audit_entries) AS n, (SELECT size FROM log_head WHERE id = 1) AS head",
        )
        .fetch_one(self.pool())
        .await
        .ctx("counting audit entries")?;
        let n: i64 = row.try_get("n").ctx("counting audit entries")?;
        let head: i64 = row.try_get("head").ctx("counting audit entries")?;
        Ok((n as u64, head as u64))
    }

    /// Leaf hashes of entries `[0, size)` in order, for building the tree.
    pub async fn leaf_hashes(&self, size: u64) -> Result<Vec<[u8; 32]>, DbError> {
        let mut out = Vec::with_capacity(size as usize);
        let mut after = -1i64;
        while (out.len() as u64) < size {
            let rows = sqlx::query(
                "SELECT seq, leaf_hash FROM audit_entries WHERE seq > $1 AND seq < $2 ORDER BY seq LIMIT 50000",
            )
            .bind(after)
            .bind(size as i64)
            .fetch_all(self.pool())
            .await
            .ctx("reading leaf hashes")?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let seq: i64 = row.try_get("seq").ctx("reading leaf hashes")?;
                let leaf: Vec<u8> = row.try_get("leaf_hash").ctx("reading leaf hashes")?;
                let leaf: [u8; 32] = leaf.try_into().map_err(|_| DbError::Corrupt {
                    what: format!("audit entry #{seq}"),
                    detail: "leaf hash is not 32 bytes".into(),
                })?;
                out.push(leaf);
                after = seq;
            }
        }
        Ok(out)
    }
}

pub(crate) fn decode_head(row: &AnyRow) -> Result<(u64, [u8; 32]), DbError> {
    let size: i64 = row.try_get("size").ctx("reading the log head")?;
    let last: Vec<u8> = row.try_get("last_leaf").ctx("reading the log head")?;
    let last: [u8; 32] = last.try_into().map_err(|_| DbError::Corrupt {
        what: "log head".into(),
        detail: "last leaf hash is not 32 bytes".into(),
    })?;
    Ok((size as u64, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body in format version 2, written out by hand (and its leaf hash computed outside
    /// Rust): if key order, number printing, escaping or the version change, this fails.
    #[test]
    fn body_is_pinned_rfc_8785_version_2() {
        let at: Timestamp = "2026-12-07T18:35:58.928Z".parse().unwrap();
        let entry = NewEntry {
            actor: "cli:张三".into(),
            action: AuditAction::RecordPlayed,
            subject: Some("record:x".into()),
            details: serde_json::json!({
                "seconds": 12.0,
                "intervals": [[0.0, 12.5]],
                "note": "a\"b\\c\n",
                "Z": 1,
            }),
        };
        let body = encode_body(7, at, &[0xab; 32], &entry);
        let expected = concat!(
            r#"{"action":"record.played","actor":"cli:张三","at":"2026-12-07T18:35:58.928Z","#,
            r#""at_ms":1796668558928,"details":{"Z":1,"intervals":[[0,12.5]],"#,
            r#""note":"a\"b\\c\n","seconds":12},"#,
            r#""prev":"abababababababababababababababababababababababababababababababab","#,
            r#""seq":7,"subject":"record:x","v":2}"#,
        );
        assert_eq!(body, expected);
        assert_eq!(
            hex::encode(liuhen_merkle::leaf_hash(body.as_bytes())),
            "93e26f60fb0c5e6d794d25d5816bfad23c519cb2ac4d021aec7aabffa58ca664"
        );
    }
}
