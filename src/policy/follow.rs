//! Keeps the policy service's table current: one full load at start, then only what the change
//! log names. PostgreSQL wakes the follower with `LISTEN mailadmin_policy` (the triggers notify at
//! commit, on every instance's connection); SQLite, one file on one host, is asked every
//! [`SQLITE_POLL`], a read of the change log's primary key that costs microseconds.
//!
//! With the database away the table stays as it was and decisions go on from it; the follower
//! says so once in the log and retries every second.
use super::table::{MailboxTable, PolicyState};
use crate::services::ServiceError;
use crate::services::enforcement::{changes, snapshot};
use sea_orm::{DatabaseBackend, DatabaseConnection};
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

pub const SQLITE_POLL: Duration = Duration::from_millis(100);
/// On PostgreSQL NOTIFY wakes the follower; this poll only covers a listener being reconnected.
const POSTGRES_POLL: Duration = Duration::from_millis(500);
const PAGE: u32 = 10_000;
/// Behind by more than this many changes, loading everything again is quicker.
const RELOAD_AFTER: i64 = 200_000;
/// A change committed after a later-numbered one (PostgreSQL hands out ids at insert, not at
/// commit) is still found if it commits within this long; ids seen are remembered as long.
/// The app's transactions last milliseconds. SQLite has one writer, so ids follow commits.
const LATE_COMMIT_POSTGRES: Duration = Duration::from_secs(10);

/// Loads the whole table (a page at a time) and swaps it in; returns the change id it is current to.
pub async fn full_load(db: &DatabaseConnection, state: &PolicyState) -> Result<i64, ServiceError> {
    let started = Instant::now();
    // Taken first: whatever commits during the load is applied again after it, harmlessly.
    let current_to = changes::latest_id(db).await?;
    let mut table = MailboxTable::default();
    table.set_domains(snapshot::domains(db).await?);
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
    state.mark_current();
    tracing::info!(
        mailboxes,
        domains,
        seconds = format_args!("{:.2}", started.elapsed().as_secs_f64()),
        "policy table loaded"
    );
    Ok(current_to)
}

/// Ids of changes applied, with when, so a late commit below the newest id is still found.
#[derive(Default)]
struct Applied {
    /// Everything at or below this id is applied.
    floor: i64,
    /// How long an id above the floor may still be joined by a lower one committing late.
    late_commit_ms: u64,
    recent: BTreeSet<(i64, u64)>,
    ids: HashSet<i64>,
}

impl Applied {
    fn new(floor: i64, late_commit: Duration) -> Self {
        Self { floor, late_commit_ms: late_commit.as_millis() as u64, ..Default::default() }
    }

    fn has(&self, id: i64) -> bool {
        id <= self.floor || self.ids.contains(&id)
    }

    fn add(&mut self, id: i64, now: u64) {
        if self.ids.insert(id) {
            self.recent.insert((id, now));
        }
    }

    /// Raises the floor past ids seen long enough ago that nothing below them can still commit.
    fn settle(&mut self, now: u64) {
        let old: Vec<(i64, u64)> = self
            .recent
            .iter()
            .filter(|(_, at)| now.saturating_sub(*at) >= self.late_commit_ms)
            .copied()
            .collect();
        for (id, at) in old {
            self.recent.remove(&(id, at));
            self.ids.remove(&id);
            self.floor = self.floor.max(id);
        }
    }

    fn newest(&self) -> i64 {
        self.ids.iter().copied().max().unwrap_or(self.floor).max(self.floor)
    }
}

/// Applies the changes after `applied`; answers how many it applied.
async fn apply_changes(
    db: &DatabaseConnection,
    state: &PolicyState,
    applied: &mut Applied,
    clock: &Instant,
) -> Result<usize, ServiceError> {
    let now = clock.elapsed().as_millis() as u64;
    let mut count = 0;
    loop {
        let batch = changes::since(db, applied.floor, PAGE).await?;
        let fresh: Vec<_> = batch.iter().filter(|c| !applied.has(c.id)).cloned().collect();
        if fresh.is_empty() && (batch.len() as u32) < PAGE {
            break;
        }
        let mut mailbox_ids: Vec<i32> = fresh.iter().filter_map(|c| c.mailbox_id).collect();
        mailbox_ids.sort_unstable();
        mailbox_ids.dedup();
        let domains_changed = fresh.iter().any(|c| c.domain_id.is_some());
        let entries = snapshot::mailboxes_by_id(db, &mailbox_ids).await?;
        let domains = if domains_changed { Some(snapshot::domains(db).await?) } else { None };
        state.update(|table| {
            for change in &fresh {
                if let (Some(id), Some(old)) = (change.mailbox_id, change.old_address.as_deref()) {
                    table.remove(old, id);
                }
            }
            for entry in entries {
                table.insert(entry);
            }
            if let Some(domains) = domains {
                table.set_domains(domains);
            }
        });
        count += fresh.len();
        for change in &batch {
            applied.add(change.id, now);
        }
        if (batch.len() as u32) < PAGE {
            break;
        }
        // A full page: the floor must move on for the next page to be read.
        applied.floor = applied.floor.max(batch.last().map(|c| c.id).unwrap_or(0));
    }
    applied.settle(now);
    Ok(count)
}

/// Runs until the process stops: the first load (retried until the database answers), then
/// the change log.
pub async fn run(db: DatabaseConnection, state: Arc<PolicyState>) {
    let wake = Arc::new(Notify::new());
    let (poll, late_commit) = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            tokio::spawn(listen(db.clone(), wake.clone()));
            (POSTGRES_POLL, LATE_COMMIT_POSTGRES)
        }
        _ => (SQLITE_POLL, Duration::ZERO),
    };
    let clock = Instant::now();
    let mut applied: Option<Applied> = None;
    let mut last_prune = Instant::now();
    loop {
        let result = match applied.as_mut() {
            None => full_load(&db, &state).await.map(|to| {
                applied = Some(Applied::new(to, late_commit));
            }),
            Some(done) => follow_once(&db, &state, done, &clock).await.map(|reload| {
                if reload {
                    applied = None;
                }
            }),
        };
        match result {
            Ok(()) => {
                if state.freshness().database_error.is_some() {
                    tracing::warn!("policy table current again: the database answers");
                }
                state.mark_current();
            }
            Err(e) => {
                if state.mark_error(&e.to_string()) {
                    tracing::error!(
                        error = %e,
                        loaded = state.is_loaded(),
                        "database unreachable: answering from the last known state (fallback action until one is loaded)"
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

/// One round of following; answers whether everything must be loaded again.
async fn follow_once(
    db: &DatabaseConnection,
    state: &PolicyState,
    applied: &mut Applied,
    clock: &Instant,
) -> Result<bool, ServiceError> {
    let newest = changes::latest_id(db).await?;
    if newest == applied.newest() && newest != 0 {
        applied.settle(clock.elapsed().as_millis() as u64);
        // Nothing new, unless a late commit below the newest id is still to come.
        if applied.recent.is_empty() {
            return Ok(false);
        }
    }
    if newest < applied.floor {
        tracing::info!("the change log was cleared (a bulk load): loading everything again");
        return Ok(true);
    }
    if newest - applied.floor > RELOAD_AFTER {
        tracing::info!(
            behind = newest - applied.floor,
            "far behind the change log: loading everything again"
        );
        return Ok(true);
    }
    let oldest = changes::oldest_id(db).await?;
    if oldest > applied.floor + 1 && applied.floor > 0 {
        tracing::warn!("changes were pruned before this service read them: loading everything again");
        return Ok(true);
    }
    let n = apply_changes(db, state, applied, clock).await?;
    if n > 0 {
        tracing::debug!(changes = n, "policy table updated");
    }
    Ok(false)
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
