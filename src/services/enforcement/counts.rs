//! Recipients counted by the policy services (`sending_count`: per mailbox and 5-minute
//! bucket, external and internal), shared by every instance on the database.
//!
//! An instance adds its counts in batches (`add`, one statement per few hundred rows) and gets
//! each row's new total back; it learns the other instances' counts by reading the rows they
//! wrote lately (`written_by_others`). `seen` is the writer's clock in milliseconds: readers
//! look back a little further than their last read, so a row committed late or from a clock a
//! little behind is still read (reading a total twice is harmless: totals replace, never add).
use crate::enforcement::limits::BucketCount;
use crate::services::common::{ServiceError, sql};
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult, TransactionTrait};

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

/// Adds `deltas` to the stored counts in one transaction; answers every row's new total.
pub async fn add(
    db: &DatabaseConnection,
    writer: i64,
    seen_ms: i64,
    deltas: &[CountRow],
) -> Result<Vec<CountRow>, ServiceError> {
    let mut totals = Vec::with_capacity(deltas.len());
    let txn = db.begin().await?;
    for chunk in deltas.chunks(400) {
        let values_sql = vec!["(?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ");
        let query = format!(
            "INSERT INTO sending_count (mailbox_id, bucket, external, internal, seen, writer) VALUES {values_sql} \
             ON CONFLICT (mailbox_id, bucket) DO UPDATE SET \
               external = sending_count.external + excluded.external, \
               internal = sending_count.internal + excluded.internal, \
               seen = excluded.seen, writer = excluded.writer \
             RETURNING mailbox_id, CAST(bucket AS BIGINT) AS bucket, CAST(external AS BIGINT) AS external, \
               CAST(internal AS BIGINT) AS internal"
        );
        let mut values: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * 6);
        for d in chunk {
            values.extend([
                d.mailbox_id.into(),
                d.count.bucket.into(),
                (d.count.external as i64).into(),
                (d.count.internal as i64).into(),
                seen_ms.into(),
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

/// Says this instance is alive and answers how many are (itself included), seen in the last
/// `live_ms`.
pub async fn heartbeat(
    db: &DatabaseConnection,
    id: i64,
    host: &str,
    now_ms: i64,
    live_ms: i64,
) -> Result<u32, ServiceError> {
    let backend = db.get_database_backend();
    db.execute_raw(sql::statement(
        backend,
        "INSERT INTO policy_instance (id, host, seen) VALUES (?, ?, ?) \
         ON CONFLICT (id) DO UPDATE SET seen = excluded.seen",
        vec![id.into(), host.to_owned().into(), now_ms.into()],
    ))
    .await?;
    db.execute_raw(sql::statement(
        backend,
        "DELETE FROM policy_instance WHERE seen < ?",
        vec![(now_ms - 100 * live_ms).into()],
    ))
    .await?;
    let row = db
        .query_one_raw(sql::statement(
            backend,
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM policy_instance WHERE seen >= ?",
            vec![(now_ms - live_ms).into()],
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
