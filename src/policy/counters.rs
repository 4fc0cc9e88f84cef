//! Recipients counted per sender, in memory, shared with the other policy instances through the
//! database without a write per request.
//!
//! Each mailbox's counts are kept per 5-minute bucket in three parts: `shared` (the database's
//! total when last read, every instance's recipients), `flight` (being written now) and `local`
//! (counted here since). A decision reads their sum. The flusher (`super::flusher`) moves
//! `local` to `flight`, adds it to the database, and replaces `shared` with the totals the
//! database answers; it then reads what the other instances wrote lately.
//!
//! **Overshoot.** An instance keeps at most `limits::unshared_allowance` unshared recipients
//! per mailbox (the allowed overshoot, max(1 % of the limit, 10), split between the live
//! instances); the request that would pass it waits for the next flush (a few milliseconds),
//! whose answer carries every instance's shared counts. So once the true total reaches a
//! limit, each instance admits at most its unshared allowance before it sees that: together at
//! most max(1 % of the limit, 10) recipients over (one per instance when there are more
//! instances than that). With the database away, counting goes on locally and the bound is
//! not kept until it answers again.
use crate::enforcement::Verdict;
pub use crate::enforcement::limits::Breach;
use crate::enforcement::limits::{BucketCount, DAY_BUCKETS, LimitKind, Usage};
use crate::services::enforcement::counts::CountRow;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::sync::{Notify, watch};

const SHARDS: usize = 32;

/// One bucket of one mailbox.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    bucket: u32,
    shared_external: u32,
    shared_internal: u32,
    flight_external: u32,
    flight_internal: u32,
    local_external: u32,
    local_internal: u32,
}

impl Slot {
    fn count(&self) -> BucketCount {
        BucketCount {
            bucket: self.bucket as i64,
            external: self.shared_external + self.flight_external + self.local_external,
            internal: self.shared_internal + self.flight_internal + self.local_internal,
        }
    }

    fn unshared(&self) -> u32 {
        self.flight_external + self.flight_internal + self.local_external + self.local_internal
    }
}

/// A mailbox's buckets: the newest inline (most senders are counted in one bucket at a time),
/// older ones aside.
#[derive(Debug, Default)]
struct MailboxCounts {
    newest: Slot,
    older: Vec<Slot>,
    /// The bucket of the last lift and what it held then (external, internal), not counted
    /// against the lifted sender. Taken at the first request after the lift: while suspended
    /// nothing was counted, so that is what the bucket held before the lift.
    lift: Option<(u32, u32, u32)>,
}

/// One recipient of a hosted sender, as [`SendingCounters::admit`] needs it.
#[derive(Debug, Clone, Copy)]
pub struct Recipient {
    pub mailbox_id: i32,
    /// The bucket of now.
    pub now: i64,
    /// The bucket of the sender's last lift.
    pub counted_from: Option<i64>,
    pub internal: bool,
    /// Unshared recipients of the sender this instance may hold.
    pub allowance: u32,
}

/// What [`SendingCounters::admit`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// This instance holds as many unshared recipients of the sender as it may: wait for a flush.
    Wait,
    /// Still so after waiting: refuse for now (a temporary refusal), count nothing.
    Held,
    /// Decided on the counts; `counted` says whether the recipient was counted, `unshared`
    /// how many of the sender's recipients this instance now holds unshared.
    Decided { verdict: Verdict, usage: Usage, counted: bool, unshared: u32 },
}

impl MailboxCounts {
    fn slot(&mut self, bucket: u32) -> &mut Slot {
        if self.newest.bucket == bucket {
            return &mut self.newest;
        }
        if bucket > self.newest.bucket {
            let previous = std::mem::replace(&mut self.newest, Slot { bucket, ..Slot::default() });
            if previous.count() != (BucketCount { bucket: previous.bucket as i64, ..BucketCount::default() })
            {
                self.older.push(previous);
            }
            return &mut self.newest;
        }
        match self.older.iter().position(|s| s.bucket == bucket) {
            Some(i) => &mut self.older[i],
            None => {
                self.older.push(Slot { bucket, ..Slot::default() });
                self.older.last_mut().expect("just pushed")
            }
        }
    }

    fn slots(&self) -> impl Iterator<Item = &Slot> {
        std::iter::once(&self.newest).chain(self.older.iter())
    }

    fn slots_mut(&mut self) -> impl Iterator<Item = &mut Slot> {
        std::iter::once(&mut self.newest).chain(self.older.iter_mut())
    }
}

/// Breaches not yet recorded, and every breach noted lately (mailbox, limit, slot).
type BreachLog = (Vec<Breach>, HashSet<(i32, LimitKind, i64)>);

pub struct SendingCounters {
    shards: Vec<Mutex<HashMap<i32, MailboxCounts>>>,
    /// Live instances sharing the counters (from the heartbeat), at least 1.
    instances: AtomicU32,
    breaches: Mutex<BreachLog>,
    /// Wakes the flusher before its interval (an instance at its unshared allowance).
    pub flush_wanted: Notify,
    /// Bumped after each flush, for requests waiting for one.
    flushed: watch::Sender<u64>,
    /// The last day's counts have been read from the database (after a start).
    loaded: std::sync::atomic::AtomicBool,
}

impl Default for SendingCounters {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            instances: AtomicU32::new(1),
            breaches: Mutex::new((Vec::new(), HashSet::new())),
            flush_wanted: Notify::new(),
            flushed: watch::channel(0).0,
            loaded: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

/// Sums a mailbox's buckets in place (no allocation per request), less what its lift's bucket
/// held before the lift; and its unshared recipients.
fn usage_of(counts: &mut MailboxCounts, now: i64, counted_from: Option<i64>) -> (Usage, u32) {
    if let Some(lift) = counted_from.and_then(|b| u32::try_from(b).ok())
        && counts.lift.is_none_or(|(bucket, _, _)| bucket != lift)
    {
        let before = counts.slots().find(|s| s.bucket == lift).map(Slot::count).unwrap_or_default();
        counts.lift = Some((lift, before.external, before.internal));
    }
    let mut usage = Usage::default();
    let mut unshared = 0;
    for slot in counts.slots() {
        let mut count = slot.count();
        if let Some((bucket, external, internal)) = counts.lift
            && bucket == slot.bucket
        {
            count.external = count.external.saturating_sub(external);
            count.internal = count.internal.saturating_sub(internal);
        }
        usage.add(&count, now, counted_from);
        unshared += slot.unshared();
    }
    (usage, unshared)
}

impl SendingCounters {
    fn shard(&self, mailbox_id: i32) -> std::sync::MutexGuard<'_, HashMap<i32, MailboxCounts>> {
        self.shards[mailbox_id.rem_euclid(SHARDS as i32) as usize].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A mailbox's counts in the windows ending in bucket `now`, and how many of them this
    /// instance has not shared yet (tests; decisions use [`SendingCounters::admit`]).
    #[cfg(test)]
    pub fn usage(&self, mailbox_id: i32, now: i64, counted_from: Option<i64>) -> (Usage, u32) {
        let mut shard = self.shard(mailbox_id);
        match shard.get_mut(&mailbox_id) {
            Some(counts) => usage_of(counts, now, counted_from),
            None => (Usage::default(), 0),
        }
    }

    /// Judges one recipient of a sender and counts it if it goes through, in one step under
    /// the sender's lock, so parallel requests cannot all pass on the same count. `judge` gets
    /// the sender's counts and answers the verdict (`crate::enforcement::decide`). With
    /// `allowance` unshared recipients held, the request waits for a flush (`may_wait`) or is
    /// held.
    pub fn admit(&self, r: &Recipient, may_wait: bool, judge: impl FnOnce(Usage) -> Verdict) -> Admission {
        let (now, internal) = (r.now, r.internal);
        let mut shard = self.shard(r.mailbox_id);
        let counts = shard.entry(r.mailbox_id).or_default();
        let (usage, unshared) = usage_of(counts, now, r.counted_from);
        if unshared >= r.allowance {
            return if may_wait { Admission::Wait } else { Admission::Held };
        }
        let verdict = judge(usage);
        let counted = verdict.lets_through();
        if counted {
            let slot = counts.slot(now as u32);
            if internal {
                slot.local_internal += 1;
            } else {
                slot.local_external += 1;
            }
        }
        Admission::Decided { verdict, usage, counted, unshared: unshared + counted as u32 }
    }

    /// Counts one recipient without judging it (tests); answers the unshared recipients.
    #[cfg(test)]
    pub fn count(&self, mailbox_id: i32, now: i64, internal: bool) -> u32 {
        let mut shard = self.shard(mailbox_id);
        let counts = shard.entry(mailbox_id).or_default();
        let slot = counts.slot(now as u32);
        if internal {
            slot.local_internal += 1;
        } else {
            slot.local_external += 1;
        }
        counts.slots().map(Slot::unshared).sum()
    }

    pub fn is_loaded(&self) -> bool {
        self.loaded.load(Ordering::Acquire)
    }

    pub fn mark_loaded(&self) {
        self.loaded.store(true, Ordering::Release);
    }

    pub fn instances(&self) -> u32 {
        self.instances.load(Ordering::Relaxed).max(1)
    }

    pub fn set_instances(&self, n: u32) {
        self.instances.store(n.max(1), Ordering::Relaxed);
    }

    /// Moves every local count to `flight` and answers them, for the flusher to write.
    pub fn take_local(&self) -> Vec<CountRow> {
        let mut out = Vec::new();
        for shard in &self.shards {
            let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
            for (id, counts) in shard.iter_mut() {
                for slot in counts.slots_mut() {
                    if slot.local_external + slot.local_internal == 0 {
                        continue;
                    }
                    out.push(CountRow {
                        mailbox_id: *id,
                        count: BucketCount {
                            bucket: slot.bucket as i64,
                            external: slot.local_external,
                            internal: slot.local_internal,
                        },
                    });
                    slot.flight_external += std::mem::take(&mut slot.local_external);
                    slot.flight_internal += std::mem::take(&mut slot.local_internal);
                }
            }
        }
        out
    }

    /// The flight was written: the database's totals (everyone's) replace `shared`.
    pub fn settle(&self, written: &[CountRow], totals: &[CountRow]) {
        for w in written {
            let mut shard = self.shard(w.mailbox_id);
            if let Some(counts) = shard.get_mut(&w.mailbox_id) {
                let slot = counts.slot(w.count.bucket as u32);
                slot.flight_external = slot.flight_external.saturating_sub(w.count.external);
                slot.flight_internal = slot.flight_internal.saturating_sub(w.count.internal);
            }
        }
        self.apply_shared(totals);
        self.flushed.send_modify(|n| *n += 1);
    }

    /// The flight could not be written: it is local again, for the next flush.
    pub fn restore(&self, written: &[CountRow]) {
        for w in written {
            let mut shard = self.shard(w.mailbox_id);
            let slot = shard.entry(w.mailbox_id).or_default().slot(w.count.bucket as u32);
            let (e, i) =
                (w.count.external.min(slot.flight_external), w.count.internal.min(slot.flight_internal));
            slot.flight_external -= e;
            slot.flight_internal -= i;
            slot.local_external += e;
            slot.local_internal += i;
        }
        self.flushed.send_modify(|n| *n += 1);
    }

    /// Totals read from the database replace what this instance knew of them.
    pub fn apply_shared(&self, totals: &[CountRow]) {
        for t in totals {
            let mut shard = self.shard(t.mailbox_id);
            let slot = shard.entry(t.mailbox_id).or_default().slot(t.count.bucket as u32);
            slot.shared_external = t.count.external;
            slot.shared_internal = t.count.internal;
        }
    }

    /// Waits for the next flush to finish (or fail).
    pub async fn next_flush(&self) {
        let mut rx = self.flushed.subscribe();
        rx.borrow_and_update();
        let _ = rx.changed().await;
    }

    /// Drops buckets that left the 24 hours, and mailboxes with none left.
    pub fn prune(&self, now: i64) {
        let oldest = (now - DAY_BUCKETS + 1).max(0) as u32;
        for shard in &self.shards {
            let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
            shard.retain(|_, counts| {
                counts.older.retain(|s| s.bucket >= oldest || s.unshared() > 0);
                counts.newest.bucket >= oldest || counts.newest.unshared() > 0 || !counts.older.is_empty()
            });
        }
        let mut breaches = self.breaches.lock().unwrap_or_else(|e| e.into_inner());
        let now_secs = now * crate::enforcement::limits::BUCKET_SECONDS;
        breaches.1.retain(|(_, kind, slot)| {
            slot + kind.window_buckets() * crate::enforcement::limits::BUCKET_SECONDS > now_secs
        });
    }

    /// Notes a breach, once per mailbox, limit and window slot in this instance.
    pub fn breached(&self, breach: Breach) {
        let mut breaches = self.breaches.lock().unwrap_or_else(|e| e.into_inner());
        if breaches.1.insert((breach.mailbox_id, breach.kind, breach.slot)) {
            breaches.0.push(breach);
        }
    }

    pub fn take_breaches(&self) -> Vec<Breach> {
        std::mem::take(&mut self.breaches.lock().unwrap_or_else(|e| e.into_inner()).0)
    }

    /// A breach that could not be recorded goes back in the queue for the next round.
    pub fn requeue(&self, breach: Breach) {
        self.breaches.lock().unwrap_or_else(|e| e.into_inner()).0.push(breach);
    }

    /// How many mailboxes have counts in memory (for the status line).
    pub fn mailboxes(&self) -> usize {
        self.shards.iter().map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_flight_and_shared_add_up_and_settle() {
        let c = SendingCounters::default();
        let now = 5_000;
        c.count(1, now, false);
        c.count(1, now, true);
        assert_eq!(c.count(1, now, false), 3);
        assert_eq!(c.usage(1, now, None), (Usage { external_hour: 2, internal_hour: 1, day: 3 }, 3));
        let flight = c.take_local();
        assert_eq!(flight.len(), 1);
        c.count(1, now, false); // counted while the flush is under way
        assert_eq!(c.usage(1, now, None).0.day, 4);
        // The database answers 10 external, 1 internal: another instance counted 8 more.
        let totals =
            [CountRow { mailbox_id: 1, count: BucketCount { bucket: now, external: 10, internal: 1 } }];
        c.settle(&flight, &totals);
        assert_eq!(c.usage(1, now, None), (Usage { external_hour: 11, internal_hour: 1, day: 12 }, 1));
        // A failed flush goes back to local.
        let flight = c.take_local();
        c.restore(&flight);
        assert_eq!(c.usage(1, now, None), (Usage { external_hour: 11, internal_hour: 1, day: 12 }, 1));
        assert_eq!(c.take_local().len(), 1);
    }

    #[test]
    fn buckets_roll_and_old_ones_are_pruned() {
        let c = SendingCounters::default();
        c.count(7, 100, false);
        c.count(7, 101, false);
        c.count(7, 112, false);
        // At bucket 112 the hour is 101..=112.
        assert_eq!(c.usage(7, 112, None).0, Usage { external_hour: 2, internal_hour: 0, day: 3 });
        c.settle(&c.take_local(), &[]);
        c.apply_shared(&[CountRow {
            mailbox_id: 7,
            count: BucketCount { bucket: 100, external: 1, internal: 0 },
        }]);
        c.prune(100 + DAY_BUCKETS);
        assert_eq!(c.usage(7, 100 + DAY_BUCKETS, None).0.day, 0);
        c.prune(112 + DAY_BUCKETS);
        assert_eq!(c.mailboxes(), 0);
    }

    #[test]
    fn a_breach_is_noted_once_per_slot() {
        let c = SendingCounters::default();
        let b = Breach { mailbox_id: 1, kind: LimitKind::ExternalHourly, limit: 10, counted: 10, slot: 3 };
        c.breached(b);
        c.breached(b);
        c.breached(Breach { slot: 4, ..b });
        assert_eq!(c.take_breaches().len(), 2);
        c.breached(b);
        assert!(c.take_breaches().is_empty());
    }
}
