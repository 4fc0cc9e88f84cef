//! Keeps the policy service's table current: one full load at start, then only what the change
//! log names. PostgreSQL wakes the follower with `LISTEN mailadmin_policy` (a trigger notifies at
//! commit, on every instance's connection); SQLite, one file on one host, is asked every
//! [`SQLITE_POLL`], a read of the change log's primary key that costs microseconds.
//!
//! Which changes are new: SQLite has one writer, so change ids follow commit order and a cursor
//! on the id is exact. PostgreSQL hands out ids at insert, not at commit: a transaction holding
//! id 99 may commit after id 100 was read. So there the follower reads by transaction: every
//! change written by a transaction that had not finished at its previous read
//! (`pg_snapshot_xmin`), skipping the ids it has applied. Nothing committed is ever missed,
//! whatever a transaction's length; the price is re-reading the rows of transactions still
//! running, usually none.
//!
//! With the database away the table stays as it was and decisions go on from it; the follower
//! says so once in the log and retries every second.
use super::table::{MailboxTable, PolicyState};
use crate::services::ServiceError;
use crate::services::enforcement::changes::{self, PolicyChange};
use crate::services::enforcement::snapshot;
use sea_orm::{DatabaseBackend, DatabaseConnection};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

pub const SQLITE_POLL: Duration = Duration::from_millis(100);
/// On PostgreSQL NOTIFY wakes the follower; this poll only covers a listener being reconnected.
const POSTGRES_POLL: Duration = Duration::from_millis(500);
const PAGE: u32 = 10_000;
/// Behind by more than this many changes, loading everything again is quicker.
const RELOAD_AFTER: i64 = 200_000;

/// Where the follower is in the change log.
#[derive(Debug, Clone, Default)]
struct Position {
    /// The newest change id applied.
    newest: i64,
    /// PostgreSQL: transactions from this one on may still add changes; their rows are read
    /// again on every round (ids in `seen` skipped). Zero on SQLite.
    xmin: i64,
    /// PostgreSQL: ids applied from transactions at or after `xmin`, with their transaction.
    seen: HashMap<i64, i64>,
}

/// Loads the whole table (a page at a time) and swaps it in; returns where to follow from.
async fn full_load(db: &DatabaseConnection, state: &PolicyState) -> Result<Position, ServiceError> {
    let started = Instant::now();
    let postgres = db.get_database_backend() == DatabaseBackend::Postgres;
    // Taken before reading: whatever commits during the load is applied again after it,
    // harmlessly (applying a change is reading the mailbox's current row).
    let xmin = if postgres { changes::running_xmin(db).await? } else { 0 };
    let newest = changes::latest_id(db).await?;
    // Sized once (a little room for growth): growing a million-entry index doubles it for a while.
    let expected = snapshot::mailbox_count(db).await? as usize;
    let mut table = MailboxTable::with_capacity(expected + expected / 16 + 1024);
    table.set_rules(snapshot::domains(db).await?, snapshot::companies(db).await?);
    let mut after = 0;
    loop {
        let page = snapshot::mailboxes_after(db, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.mailbox_id;
        let full = page.len() as u32 == PAGE;
        for entry in page {
            table.insert(entry);
        }
        if !full {
            break;
        }
    }
    let (mailboxes, domains) = (table.mailbox_count(), table.domain_count());
    state.replace(table);
    release_freed_memory();
    tracing::info!(
        mailboxes,
        domains,
        seconds = format_args!("{:.2}", started.elapsed().as_secs_f64()),
        "policy table loaded"
    );
    // On PostgreSQL the ids up to `newest` are not all applied: re-read by transaction.
    Ok(Position { newest: if postgres { 0 } else { newest }, xmin, seen: HashMap::new() })
}

/// Gives the memory of the load's row objects (and of a replaced table) back to the system, so
/// the resident size says what the table costs. glibc keeps freed small blocks otherwise.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the kernel; it touches no live block.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Applies changes to the table: mailboxes named are read again (a renamed or deleted one is
/// first forgotten under its old address), domains reloaded when one changed.
async fn apply(
    db: &DatabaseConnection,
    state: &PolicyState,
    fresh: &[PolicyChange],
) -> Result<(), ServiceError> {
    if fresh.is_empty() {
        return Ok(());
    }
    let mut mailbox_ids: Vec<i32> = fresh.iter().filter_map(|c| c.mailbox_id).collect();
    mailbox_ids.sort_unstable();
    mailbox_ids.dedup();
    let entries = snapshot::mailboxes_by_id(db, &mailbox_ids).await?;
    // A company's change is logged as a change of each of its domains: both are reloaded.
    let rules = if fresh.iter().any(|c| c.domain_id.is_some()) {
        Some((snapshot::domains(db).await?, snapshot::companies(db).await?))
    } else {
        None
    };
    state.update(|table| {
        for change in fresh {
            if let (Some(id), Some(old)) = (change.mailbox_id, change.old_address.as_deref()) {
                table.remove(old, id);
            }
        }
        for entry in entries {
            table.insert(entry);
        }
        if let Some((domains, companies)) = rules {
            table.set_rules(domains, companies);
        }
    });
    Ok(())
}

/// One round of following; answers whether everything must be loaded again.
async fn follow_once(
    db: &DatabaseConnection,
    state: &PolicyState,
    at: &mut Position,
) -> Result<bool, ServiceError> {
    let latest = changes::latest_id(db).await?;
    if latest < at.newest {
        tracing::info!("the change log was cleared (a bulk load): loading everything again");
        return Ok(true);
    }
    if latest - at.newest > RELOAD_AFTER && at.newest > 0 {
        tracing::info!(behind = latest - at.newest, "far behind the change log: loading everything again");
        return Ok(true);
    }
    if at.newest > 0 && latest > at.newest && changes::oldest_id(db).await? > at.newest + 1 {
        tracing::warn!("changes were pruned before this service read them: loading everything again");
        return Ok(true);
    }
    if db.get_database_backend() == DatabaseBackend::Postgres {
        follow_transactions(db, state, at).await?;
    } else if latest > at.newest {
        // SQLite numbers changes in commit order: nothing above the newest applied, nothing new.
        loop {
            let batch = changes::since(db, at.newest, PAGE).await?;
            apply(db, state, &batch).await?;
            at.newest = batch.last().map_or(at.newest, |c| c.id);
            if (batch.len() as u32) < PAGE {
                break;
            }
        }
    }
    Ok(false)
}

/// PostgreSQL: applies the changes of every transaction not finished at the last round.
async fn follow_transactions(
    db: &DatabaseConnection,
    state: &PolicyState,
    at: &mut Position,
) -> Result<(), ServiceError> {
    let mut cursor = 0;
    let mut next_xmin = None;
    loop {
        let (batch, snapshot_xmin) = changes::since_transaction(db, at.xmin, cursor, PAGE).await?;
        // The first statement's snapshot bounds this round: a transaction running then may
        // still commit rows below the cursor, and is read again next round.
        next_xmin.get_or_insert(snapshot_xmin);
        let fresh: Vec<PolicyChange> =
            batch.iter().filter(|c| !at.seen.contains_key(&c.id)).cloned().collect();
        apply(db, state, &fresh).await?;
        for change in &fresh {
            at.seen.insert(change.id, change.xid);
            at.newest = at.newest.max(change.id);
        }
        cursor = batch.last().map_or(cursor, |c| c.id);
        if (batch.len() as u32) < PAGE {
            break;
        }
    }
    let next_xmin = next_xmin.unwrap_or(at.xmin);
    if next_xmin > at.xmin {
        // Rows of transactions before the new xmin are never read again: forget their ids.
        at.seen.retain(|_, xid| *xid >= next_xmin);
        at.xmin = next_xmin;
    }
    Ok(())
}

/// Runs until the process stops: the first load (retried until the database answers), then
/// the change log.
pub async fn run(db: DatabaseConnection, state: Arc<PolicyState>) {
    let wake = Arc::new(Notify::new());
    let _listener = match db.get_database_backend() {
        DatabaseBackend::Postgres => Some(AbortOnDrop(tokio::spawn(listen(db.clone(), wake.clone())))),
        _ => None,
    };
    let poll = if _listener.is_some() { POSTGRES_POLL } else { SQLITE_POLL };
    let mut position: Option<Position> = None;
    let mut last_prune = Instant::now();
    loop {
        let result = match position.as_mut() {
            None => full_load(&db, &state).await.map(|p| {
                position = Some(p);
                true
            }),
            Some(at) => follow_once(&db, &state, at).await.map(|reload| {
                if reload {
                    position = None;
                }
                !reload
            }),
        };
        match result {
            Ok(current) => {
                if current {
                    if state.freshness().database_error.is_some() {
                        tracing::warn!("policy table current again: the database answers");
                    }
                    state.mark_current();
                } else {
                    continue; // a reload is due: now, without waiting for the next poll
                }
            }
            Err(e) => {
                if state.mark_error(&e.to_string()) {
                    tracing::error!(
                        error = %e,
                        loaded = state.is_loaded(),
                        "reading the database failed: answering from the last known state (the fallback action until one is loaded)"
                    );
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        }
        if last_prune.elapsed() > Duration::from_secs(600) {
            last_prune = Instant::now();
            match changes::prune(&db).await {
                Ok(n) if n > 0 => tracing::debug!(pruned = n, "old policy changes pruned"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "pruning old policy changes failed"),
            }
        }
        let _ = tokio::time::timeout(poll, wake.notified()).await;
    }
}

/// A task that ends with its owner (the follower's LISTEN connection ends with the follower).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Wakes the follower on every `NOTIFY mailadmin_policy`; reconnects when the connection drops.
async fn listen(db: DatabaseConnection, wake: Arc<Notify>) {
    use sea_orm::sqlx::postgres::PgListener;
    loop {
        let pool = db.get_postgres_connection_pool();
        let connected = async {
            let mut listener = PgListener::connect_with(pool).await?;
            listener.listen("mailadmin_policy").await?;
            Ok::<_, sea_orm::sqlx::Error>(listener)
        }
        .await;
        match connected {
            Ok(mut listener) => loop {
                match listener.recv().await {
                    Ok(_) => wake.notify_one(),
                    Err(e) => {
                        tracing::warn!(error = %e, "LISTEN connection lost; reconnecting");
                        wake.notify_one();
                        break;
                    }
                }
            },
            Err(e) => tracing::warn!(error = %e, "cannot LISTEN for policy changes; polling meanwhile"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
