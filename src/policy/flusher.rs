//! Shares this instance's counts with the database and the other instances, and acts on
//! breaches: every [`FLUSH_EVERY`], or at once when a sender reaches this instance's unshared
//! allowance (see [`super::counters`]).
//!
//! One round: write the local counts (one statement per few hundred rows, answered with every
//! row's new total), read what the other instances wrote since the last round, record the
//! breaches seen (the database keeps each once for all instances, and acts on it once). Every
//! few seconds it says this instance is alive and learns how many are; now and then it drops
//! counts older than a day, in memory and in the database.
use super::counters::SendingCounters;
use crate::enforcement::limits::{self, DAY_BUCKETS, HOUR_BUCKETS};
use crate::services::enforcement::counts;
use crate::services::limits::breaches;
use crate::services::notices::outbox::NoticeSettings;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

pub const FLUSH_EVERY: Duration = Duration::from_secs(1);
const HEARTBEAT_EVERY: Duration = Duration::from_secs(2);
/// An instance not heard of for this long no longer shares the counters.
const LIVE_MS: i64 = 7_000;
/// How far before its last read an instance reads again (by the database's clock): a row is
/// stamped when written and seen by others when committed, a little later.
const READ_OVERLAP_MS: i64 = 5_000;
const LOAD_PAGE: u32 = 20_000;

pub struct Flusher {
    db: DatabaseConnection,
    counters: Arc<SendingCounters>,
    notices: NoticeSettings,
    /// This process, in `sending_count.writer` and `policy_instance`.
    id: i64,
    host: String,
    loaded: bool,
    last_read_ms: i64,
    failing: bool,
}

impl Flusher {
    pub fn new(db: DatabaseConnection, counters: Arc<SendingCounters>, notices: NoticeSettings) -> Self {
        let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_owned()).unwrap_or_default();
        Self {
            db,
            counters,
            notices,
            id: rand::random::<i64>().abs().max(1),
            host: format!("{host} pid {}", std::process::id()),
            loaded: false,
            last_read_ms: 0,
            failing: false,
        }
    }

    /// Runs until `stop`, then shares what is left and leaves the live list.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut last_heartbeat: Option<Instant> = None;
        let mut last_prune = Instant::now();
        while !*stop.borrow() {
            if last_heartbeat.is_none_or(|at| at.elapsed() >= HEARTBEAT_EVERY) {
                match counts::heartbeat(&self.db, self.id, &self.host, LIVE_MS).await {
                    Ok(n) => {
                        self.counters.set_instances(n);
                        last_heartbeat = Some(Instant::now());
                    }
                    Err(e) => self.failed("heartbeat", &e),
                }
            }
            if !self.loaded {
                self.load().await;
            }
            self.round().await;
            if last_prune.elapsed() > Duration::from_secs(60) {
                last_prune = Instant::now();
                self.prune().await;
            }
            tokio::select! {
                _ = tokio::time::timeout(FLUSH_EVERY, self.counters.flush_wanted.notified()) => {}
                _ = stop.changed() => {}
            }
        }
        self.finish().await;
    }

    /// Reads the last day's counts (a restart keeps counting where the instances were).
    async fn load(&mut self) {
        let started = Instant::now();
        let read_from = match counts::db_now_ms(&self.db).await {
            Ok(ms) => ms,
            Err(e) => return self.failed("reading the database's clock", &e),
        };
        let min_bucket = limits::bucket_of(chrono::Utc::now()) - DAY_BUCKETS + 1;
        let mut after = 0;
        let mut rows = 0;
        loop {
            match counts::recent_after(&self.db, min_bucket, after, LOAD_PAGE).await {
                Ok(page) => {
                    rows += page.len();
                    self.counters.apply_shared(&page);
                    // A mailbox's rows (at most 288) may span two pages: the next page reads
                    // the last one again.
                    match page.last() {
                        Some(last) if page.len() as u32 == LOAD_PAGE => after = last.mailbox_id - 1,
                        _ => break,
                    }
                }
                Err(e) => return self.failed("loading the counts", &e),
            }
        }
        self.loaded = true;
        self.counters.mark_loaded();
        self.last_read_ms = read_from;
        tracing::info!(
            rows,
            seconds = format_args!("{:.2}", started.elapsed().as_secs_f64()),
            "sending counts loaded"
        );
    }

    /// Writes the local counts, reads the others', records breaches.
    pub async fn round(&mut self) {
        let local = self.counters.take_local();
        if !local.is_empty() {
            match counts::add(&self.db, self.id, &local).await {
                Ok(totals) => self.counters.settle(&local, &totals),
                Err(e) => {
                    self.counters.restore(&local);
                    return self.failed("writing the counts", &e);
                }
            }
        } else {
            self.counters.settle(&[], &[]);
        }
        if self.loaded {
            let read_from = match counts::db_now_ms(&self.db).await {
                Ok(ms) => ms,
                Err(e) => return self.failed("reading the database's clock", &e),
            };
            let min_bucket = limits::bucket_of(chrono::Utc::now()) - DAY_BUCKETS + 1;
            match counts::written_by_others(
                &self.db,
                self.id,
                self.last_read_ms - READ_OVERLAP_MS,
                min_bucket,
            )
            .await
            {
                Ok(rows) => {
                    self.counters.apply_shared(&rows);
                    self.last_read_ms = read_from;
                }
                Err(e) => return self.failed("reading the other instances' counts", &e),
            }
        }
        if self.failing {
            self.failing = false;
            tracing::warn!("sending counts shared again: the database answers");
        }
    }

    async fn prune(&self) {
        let now = limits::bucket_of(chrono::Utc::now());
        self.counters.prune(now);
        match counts::prune(&self.db, now - DAY_BUCKETS - HOUR_BUCKETS).await {
            Ok(n) if n > 0 => tracing::debug!(pruned = n, "old sending counts pruned"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning old sending counts failed"),
        }
    }

    fn failed(&mut self, what: &str, e: &crate::services::ServiceError) {
        if !self.failing {
            self.failing = true;
            tracing::error!(error = %e, "{what} failed: counting goes on here and is shared when the database answers");
        }
    }

    /// Records the breaches seen, a batch per transaction, every [`FLUSH_EVERY`]: apart from
    /// the flushes, so a burst of alerts never delays sharing the counts.
    pub async fn record_breaches(&self, mut stop: watch::Receiver<bool>) {
        loop {
            let pending = self.counters.take_breaches();
            for batch in pending.chunks(200) {
                if let Err(e) = breaches::record_all(&self.db, &self.notices, batch).await {
                    // Kept for the next round: a breach is acted on once, never lost.
                    tracing::error!(error = %e, breaches = batch.len(), "recording limit breaches failed; retrying");
                    for breach in batch {
                        self.counters.requeue(*breach);
                    }
                }
            }
            if *stop.borrow() {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(FLUSH_EVERY) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// The last round before stopping, and this instance leaves the live list.
    async fn finish(mut self) {
        self.round().await;
        if let Err(e) = counts::leave(&self.db, self.id).await {
            tracing::debug!(error = %e, "could not leave the live instance list");
        }
    }
}
