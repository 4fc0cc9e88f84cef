//! The change log the policy service follows (`policy_change`, written by triggers in the
//! transaction of every change to a mailbox, a domain or a company; see its migration).
use crate::services::common::{ServiceError, sql};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection};

/// One change: what to read again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyChange {
    pub id: i64,
    pub mailbox_id: Option<i32>,
    /// A mailbox's address before the change (renamed or deleted mailboxes).
    pub old_address: Option<String>,
    pub domain_id: Option<i32>,
    /// PostgreSQL: the transaction that wrote it (0 on SQLite).
    pub xid: i64,
}

/// The newest change's id (0 for none).
pub async fn latest_id(db: &DatabaseConnection) -> Result<i64, ServiceError> {
    number(db, "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS n FROM policy_change").await
}

/// The oldest change still kept (0 for none): a follower behind it missed pruned rows and
/// must load everything again.
pub async fn oldest_id(db: &DatabaseConnection) -> Result<i64, ServiceError> {
    number(db, "SELECT CAST(COALESCE(MIN(id), 0) AS BIGINT) AS n FROM policy_change").await
}

/// PostgreSQL: the oldest transaction still running (`pg_snapshot_xmin`): every transaction
/// before it has finished, so every change it wrote is committed (or rolled back) and visible.
pub async fn running_xmin(db: &DatabaseConnection) -> Result<i64, ServiceError> {
    number(db, "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS n").await
}

async fn number(db: &DatabaseConnection, query: &str) -> Result<i64, ServiceError> {
    let row = db.query_one_raw(sql::statement(db.get_database_backend(), query, vec![])).await?;
    Ok(row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0))
}

/// PostgreSQL: the changes written by transactions from `xmin` on, with an id above `after`,
/// oldest first, at most `limit`; and the oldest transaction running when they were read (one
/// statement, one snapshot), below which nothing more can appear.
pub async fn since_transaction(
    db: &DatabaseConnection,
    xmin: i64,
    after: i64,
    limit: u32,
) -> Result<(Vec<PolicyChange>, i64), ServiceError> {
    let query = format!(
        "SELECT c.id, c.mailbox_id, c.old_address, c.domain_id, c.xid, s.x \
         FROM (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS x) s \
         LEFT JOIN policy_change c ON c.xid >= ? AND c.id > ? \
         ORDER BY c.id LIMIT {limit}"
    );
    let rows = db
        .query_all_raw(sql::statement(db.get_database_backend(), &query, vec![xmin.into(), after.into()]))
        .await?;
    let snapshot_xmin = match rows.first() {
        Some(row) => row.try_get::<i64>("", "x")?,
        None => xmin,
    };
    let mut changes = Vec::with_capacity(rows.len());
    for row in &rows {
        if let Some(id) = row.try_get::<Option<i64>>("", "id")? {
            changes.push(PolicyChange {
                id,
                mailbox_id: row.try_get("", "mailbox_id")?,
                old_address: row.try_get("", "old_address")?,
                domain_id: row.try_get("", "domain_id")?,
                xid: row.try_get("", "xid")?,
            });
        }
    }
    Ok((changes, snapshot_xmin))
}

/// Changes with an id above `after`, oldest first, at most `limit`.
pub async fn since(
    db: &DatabaseConnection,
    after: i64,
    limit: u32,
) -> Result<Vec<PolicyChange>, ServiceError> {
    let query = format!(
        "SELECT id, mailbox_id, old_address, domain_id FROM policy_change \
         WHERE id > ? ORDER BY id LIMIT {limit}"
    );
    let rows =
        db.query_all_raw(sql::statement(db.get_database_backend(), &query, vec![after.into()])).await?;
    rows.iter()
        .map(|row| {
            Ok(PolicyChange {
                id: row.try_get("", "id")?,
                mailbox_id: row.try_get("", "mailbox_id")?,
                old_address: row.try_get("", "old_address")?,
                domain_id: row.try_get("", "domain_id")?,
                xid: 0,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(ServiceError::from)
}

/// Forgets changes older than a day: every follower has long applied them (one that has not
/// sees the gap and loads everything again). The newest row stays, so a follower can tell a
/// quiet log from a cleared one.
pub async fn prune(db: &DatabaseConnection) -> Result<u64, ServiceError> {
    let statement = match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            "DELETE FROM policy_change WHERE at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 day') \
             AND id < (SELECT MAX(id) FROM policy_change)"
        }
        _ => {
            "DELETE FROM policy_change WHERE at < now() - interval '1 day' \
             AND id < (SELECT MAX(id) FROM policy_change)"
        }
    };
    let done = db.execute_unprepared(statement).await?;
    Ok(done.rows_affected())
}

/// Forgets every change: after a bulk load (`seed-demo`), which no follower needs row by row.
pub async fn clear(db: &DatabaseConnection) -> Result<(), ServiceError> {
    db.execute_unprepared("DELETE FROM policy_change").await?;
    Ok(())
}
