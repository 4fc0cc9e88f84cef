//! Recipients counted by the policy services (`sending_count`: per mailbox and 5-minute
//! bucket, external and internal), shared by every instance on the database.
//!
//! An instance adds its counts in batches (`add`, one statement per few hundred rows, in a fixed
//! order so two instances never wait on each other in a circle) and gets each row's new total
//! back; it learns the other instances' counts by reading the rows they wrote lately
//! (`written_by_others`). `seen` is the database's clock in milliseconds when the row was
//! written: readers look back a few seconds further than their last read (by the same clock),
//! so a row committed a little after it was written is still read (reading a total twice is
//! harmless: totals replace, never add).
use crate::enforcement::limits::BucketCount;
use crate::services::common::{ServiceError, sql};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, QueryResult, TransactionTrait};

/// The database's clock in milliseconds, as SQL.
fn now_ms_sql(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
        _ => "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
    }
}

/// The database's clock in milliseconds.
pub async fn db_now_ms(db: &DatabaseConnection) -> Result<i64, ServiceError> {
    let backend = db.get_database_backend();
    let query = format!("SELECT {} AS n", now_ms_sql(backend));
    let row = db.query_one_raw(sql::statement(backend, &query, vec![])).await?;
    Ok(row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0))
}

/// One row of counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountRow {
    pub mailbox_id: i32,
    pub count: BucketCount,
}

fn row(r: &QueryResult) -> Result<CountRow, sea_orm::DbErr> {
    let external: i64 = r.try_get("", "external")?;
    let internal: i64 = r.try_get("", "internal")?;
    Ok(CountRow {
        mailbox_id: r.try_get("", "mailbox_id")?,
        count: BucketCount {
            bucket: r.try_get("", "bucket")?,
            external: external.clamp(0, u32::MAX as i64) as u32,
            internal: internal.clamp(0, u32::MAX as i64) as u32,
        },
    })
}

const SELECT: &str = "SELECT mailbox_id, CAST(bucket AS BIGINT) AS bucket, CAST(external AS BIGINT) AS external, \
     CAST(internal AS BIGINT) AS internal FROM sending_count";

/// Adds `deltas` (at most one per mailbox and bucket) to the stored counts in one transaction;
/// answers every row's new total.
pub async fn add(
    db: &DatabaseConnection,
    writer: i64,
    deltas: &[CountRow],
) -> Result<Vec<CountRow>, ServiceError> {
    let mut deltas = deltas.to_vec();
    deltas.sort_unstable_by_key(|d| (d.mailbox_id, d.count.bucket));
    let mut totals = Vec::with_capacity(deltas.len());
    let now = now_ms_sql(db.get_database_backend());
    let txn = db.begin().await?;
    for chunk in deltas.chunks(400) {
        let values_sql = vec![format!("(?, ?, ?, ?, {now}, ?)"); chunk.len()].join(", ");
        let query = format!(
            "INSERT INTO sending_count (mailbox_id, bucket, external, internal, seen, writer) VALUES {values_sql} \
             ON CONFLICT (mailbox_id, bucket) DO UPDATE SET \
               external = sending_count.external + excluded.external, \
               internal = sending_count.internal + excluded.internal, \
               seen = excluded.seen, writer = excluded.writer \
             RETURNING mailbox_id, CAST(bucket AS BIGINT) AS bucket, CAST(external AS BIGINT) AS external, \
               CAST(internal AS BIGINT) AS internal"
        );
        let mut values: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * 5);
        for d in chunk {
            values.extend([
                d.mailbox_id.into(),
                d.count.bucket.into(),
                (d.count.external as i64).into(),
                (d.count.internal as i64).into(),
                writer.into(),
            ]);
        }
        let rows = txn.query_all_raw(sql::statement(txn.get_database_backend(), &query, values)).await?;
        for r in &rows {
            totals.push(row(r)?);
        }
    }
    txn.commit().await?;
    Ok(totals)
}

/// Rows another instance wrote at or after `seen_from_ms` (its clock), in buckets from
/// `min_bucket` on.
pub async fn written_by_others(
    db: &DatabaseConnection,
    writer: i64,
    seen_from_ms: i64,
    min_bucket: i64,
) -> Result<Vec<CountRow>, ServiceError> {
    let query = format!("{SELECT} WHERE seen >= ? AND writer <> ? AND bucket >= ?");
    let rows = db
        .query_all_raw(sql::statement(
            db.get_database_backend(),
            &query,
            vec![seen_from_ms.into(), writer.into(), min_bucket.into()],
        ))
        .await?;
    Ok(rows.iter().map(row).collect::<Result<_, _>>()?)
}

/// Every row in buckets from `min_bucket` on, for mailboxes above `after`, a page at a time
/// (the counts an instance starts with).
pub async fn recent_after(
    db: &DatabaseConnection,
    min_bucket: i64,
    after: i32,
    limit: u32,
) -> Result<Vec<CountRow>, ServiceError> {
    let query =
        format!("{SELECT} WHERE bucket >= ? AND mailbox_id > ? ORDER BY mailbox_id, bucket LIMIT {limit}");
    let rows = db
        .query_all_raw(sql::statement(
            db.get_database_backend(),
            &query,
            vec![min_bucket.into(), after.into()],
        ))
        .await?;
    Ok(rows.iter().map(row).collect::<Result<_, _>>()?)
}

/// One mailbox's rows from `min_bucket` on (the dashboard and the webmail API).
pub async fn of_mailbox<C: ConnectionTrait>(
    db: &C,
    mailbox_id: i32,
    min_bucket: i64,
) -> Result<Vec<BucketCount>, ServiceError> {
    let query = format!("{SELECT} WHERE mailbox_id = ? AND bucket >= ? ORDER BY bucket");
    let rows = db
        .query_all_raw(sql::statement(
            db.get_database_backend(),
            &query,
            vec![mailbox_id.into(), min_bucket.into()],
        ))
        .await?;
    Ok(rows.iter().map(|r| row(r).map(|c| c.count)).collect::<Result<_, _>>()?)
}

/// Says this instance is alive and answers how many are (itself included), heard of in the
/// last `live_ms` by the database's clock.
pub async fn heartbeat(
    db: &DatabaseConnection,
    id: i64,
    host: &str,
    live_ms: i64,
) -> Result<u32, ServiceError> {
    let backend = db.get_database_backend();
    let now = now_ms_sql(backend);
    db.execute_raw(sql::statement(
        backend,
        &format!(
            "INSERT INTO policy_instance (id, host, seen) VALUES (?, ?, {now}) \
             ON CONFLICT (id) DO UPDATE SET seen = excluded.seen"
        ),
        vec![id.into(), host.to_owned().into()],
    ))
    .await?;
    db.execute_raw(sql::statement(
        backend,
        &format!("DELETE FROM policy_instance WHERE seen < {now} - ?"),
        vec![(100 * live_ms).into()],
    ))
    .await?;
    let row = db
        .query_one_raw(sql::statement(
            backend,
            &format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM policy_instance WHERE seen >= {now} - ?"),
            vec![live_ms.into()],
        ))
        .await?;
    let n: i64 = row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(1);
    Ok(n.clamp(1, u32::MAX as i64) as u32)
}

/// Forgets this instance (it stops).
pub async fn leave(db: &DatabaseConnection, id: i64) -> Result<(), ServiceError> {
    db.execute_raw(sql::statement(
        db.get_database_backend(),
        "DELETE FROM policy_instance WHERE id = ?",
        vec![id.into()],
    ))
    .await?;
    Ok(())
}

/// Deletes counts in buckets before `before_bucket`; answers how many rows went.
pub async fn prune(db: &DatabaseConnection, before_bucket: i64) -> Result<u64, ServiceError> {
    let done = db
        .execute_raw(sql::statement(
            db.get_database_backend(),
            "DELETE FROM sending_count WHERE bucket < ?",
            vec![before_bucket.into()],
        ))
        .await?;
    Ok(done.rows_affected())
}
