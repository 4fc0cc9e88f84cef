//! Outbound limits: how many recipients a mailbox may send to, as providers set them, and what
//! happens at the limit. Plain code: the counts come in, a verdict goes out.
//!
//! - recipients per rolling 24 hours, every recipient counted (OpenSRS; default 10,000);
//! - external recipients per hour and internal recipients per hour (Microsoft 365's split;
//!   internal = an address at a domain hosted here).
//!
//! Set at the company, overridden per domain and per mailbox. During probation (7 days after a
//! lift of *Send Mail*, when the company keeps probation on) the hourly external limit is halved.
//!
//! Counts are kept in 5-minute buckets: "the last hour" is the current bucket and the 11 before
//! it, "the last 24 hours" the current one and the 287 before it, so a window frees 5 minutes
//! at a time.
use chrono::{DateTime, Duration, TimeZone, Utc};

/// The provider's defaults where no company, domain or mailbox sets a limit.
pub const DEFAULT_LIMITS: Limits =
    Limits { daily: Some(10_000), external_hourly: Some(1_000), internal_hourly: None };
/// How long probation lasts after a lift of Send Mail.
pub const PROBATION_DAYS: i64 = 7;
/// The default answer to a recipient over a limit when the company defers: generic, temporary.
pub const DEFAULT_LIMIT_DEFERRED: &str = "452 4.7.1 Too many recipients, try again later";
/// The width of a counting bucket.
pub const BUCKET_SECONDS: i64 = 300;
pub const HOUR_BUCKETS: i64 = 12;
pub const DAY_BUCKETS: i64 = 288;

/// The most a limit may be set to.
pub const MAX_LIMIT: u32 = 10_000_000;

/// A limit as typed in a form: empty inherits (`None`), otherwise a whole number of recipients.
pub fn parse_limit(input: &str) -> Result<Option<u32>, crate::domain::ParseError> {
    let input = input.trim().replace([',', '_', ' '], "");
    if input.is_empty() {
        return Ok(None);
    }
    match input.parse::<u32>() {
        Ok(n) if n <= MAX_LIMIT => Ok(Some(n)),
        Ok(_) => Err(crate::domain::ParseError::new(format!("At most {MAX_LIMIT} recipients."))),
        Err(_) => Err(crate::domain::ParseError::new(
            "Enter a whole number of recipients, or leave it empty to inherit.",
        )),
    }
}

/// A limit per window; `None` is no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limits {
    pub daily: Option<u32>,
    pub external_hourly: Option<u32>,
    pub internal_hourly: Option<u32>,
}

impl Limits {
    /// These limits where set, `fallback`'s elsewhere (mailbox over domain over company).
    pub fn or(self, fallback: Limits) -> Limits {
        Limits {
            daily: self.daily.or(fallback.daily),
            external_hourly: self.external_hourly.or(fallback.external_hourly),
            internal_hourly: self.internal_hourly.or(fallback.internal_hourly),
        }
    }

    /// From stored columns (NULL inherits; a negative value is treated as not set).
    pub fn from_columns(daily: Option<i32>, external: Option<i32>, internal: Option<i32>) -> Limits {
        let value = |v: Option<i32>| v.and_then(|v| u32::try_from(v).ok());
        Limits { daily: value(daily), external_hourly: value(external), internal_hourly: value(internal) }
    }

    pub fn is_empty(&self) -> bool {
        *self == Limits::default()
    }
}

/// The limits that apply to a mailbox: its own, its domain's, its company's, the provider's;
/// the hourly external one halved on probation.
pub fn effective(mailbox: Limits, domain: Limits, company: Limits, on_probation: bool) -> Limits {
    let mut limits = mailbox.or(domain).or(company).or(DEFAULT_LIMITS);
    if on_probation {
        limits.external_hourly = limits.external_hourly.map(|n| n / 2);
    }
    limits
}

/// Whether a mailbox lifted at `lifted_at` is on probation at `now`.
pub fn on_probation(probation_enabled: bool, lifted_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    probation_enabled && lifted_at.is_some_and(|at| now < at + Duration::days(PROBATION_DAYS))
}

/// When probation ends, if the mailbox is on it.
pub fn probation_until(
    probation_enabled: bool,
    lifted_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let until = lifted_at? + Duration::days(PROBATION_DAYS);
    (probation_enabled && now < until).then_some(until)
}

/// What a company does when one of its mailboxes reaches a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreachAction {
    /// Refuse further recipients with a temporary error until the window frees; alert admins.
    Defer,
    /// Soft-suspend *Send Mail* (reason "rate limit") with an AUP notice, once.
    Suspend,
    /// Let the mail go; alert admins.
    Alert,
}

impl BreachAction {
    pub const ALL: [BreachAction; 3] = [BreachAction::Defer, BreachAction::Suspend, BreachAction::Alert];

    pub fn as_str(self) -> &'static str {
        match self {
            BreachAction::Defer => "defer",
            BreachAction::Suspend => "suspend",
            BreachAction::Alert => "alert",
        }
    }

    pub fn from_stored(s: &str) -> BreachAction {
        match s {
            "suspend" => BreachAction::Suspend,
            "alert" => BreachAction::Alert,
            _ => BreachAction::Defer,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BreachAction::Defer => "Pause sending until the window frees, and alert the abuse contacts",
            BreachAction::Suspend => "Soft-suspend Send Mail and send an AUP notice",
            BreachAction::Alert => "Only alert the abuse contacts",
        }
    }
}

/// Which limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitKind {
    Daily,
    ExternalHourly,
    InternalHourly,
}

impl LimitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::Daily => "daily",
            LimitKind::ExternalHourly => "external_hourly",
            LimitKind::InternalHourly => "internal_hourly",
        }
    }

    pub fn from_stored(s: &str) -> LimitKind {
        match s {
            "external_hourly" => LimitKind::ExternalHourly,
            "internal_hourly" => LimitKind::InternalHourly,
            _ => LimitKind::Daily,
        }
    }

    /// In the support desk's words.
    pub fn describe(self) -> &'static str {
        match self {
            LimitKind::Daily => "recipients per 24 hours",
            LimitKind::ExternalHourly => "hourly external limit",
            LimitKind::InternalHourly => "hourly internal limit",
        }
    }

    pub fn window_buckets(self) -> i64 {
        match self {
            LimitKind::Daily => DAY_BUCKETS,
            _ => HOUR_BUCKETS,
        }
    }
}

/// The bucket a moment falls in.
pub fn bucket_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(BUCKET_SECONDS)
}

pub fn bucket_start(bucket: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(bucket * BUCKET_SECONDS, 0).single().unwrap_or_default()
}

/// Recipients counted in one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BucketCount {
    pub bucket: i64,
    pub external: u32,
    pub internal: u32,
}

/// A mailbox's counts in the windows that matter now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    pub external_hour: u32,
    pub internal_hour: u32,
    pub day: u32,
}

impl Usage {
    /// Sums `buckets` into the windows ending in bucket `now`, counting only buckets from the
    /// one `counted_from` falls in (the last lift: a lifted mailbox starts afresh). The policy
    /// service subtracts what the lift's own bucket held before the lift; the dashboard shows
    /// that bucket whole for its five minutes.
    pub fn of(buckets: &[BucketCount], now: i64, counted_from: Option<i64>) -> Usage {
        let mut usage = Usage::default();
        for b in buckets {
            usage.add(b, now, counted_from);
        }
        usage
    }

    /// Adds one bucket, if it is inside the windows ending in bucket `now` (see [`Usage::of`]).
    pub fn add(&mut self, b: &BucketCount, now: i64, counted_from: Option<i64>) {
        if b.bucket > now || b.bucket <= now - DAY_BUCKETS || counted_from.is_some_and(|from| b.bucket < from)
        {
            return;
        }
        self.day = self.day.saturating_add(b.external).saturating_add(b.internal);
        if b.bucket > now - HOUR_BUCKETS {
            self.external_hour = self.external_hour.saturating_add(b.external);
            self.internal_hour = self.internal_hour.saturating_add(b.internal);
        }
    }

    pub fn counted(&self, kind: LimitKind) -> u32 {
        match kind {
            LimitKind::Daily => self.day,
            LimitKind::ExternalHourly => self.external_hour,
            LimitKind::InternalHourly => self.internal_hour,
        }
    }
}

/// The limit one more recipient (`internal` or not) would pass, if any: the daily limit first
/// (it pauses everything), then the hourly one of the recipient's kind.
pub fn over_limit(limits: &Limits, usage: &Usage, internal: bool) -> Option<(LimitKind, u32)> {
    if let Some(daily) = limits.daily
        && usage.day >= daily
    {
        return Some((LimitKind::Daily, daily));
    }
    let (kind, limit, counted) = if internal {
        (LimitKind::InternalHourly, limits.internal_hourly, usage.internal_hour)
    } else {
        (LimitKind::ExternalHourly, limits.external_hourly, usage.external_hour)
    };
    limit.filter(|l| counted >= *l).map(|l| (kind, l))
}

/// How many recipients an instance may count for one mailbox before it must share its counts
/// (see `crate::policy::counters`): the allowed overshoot, max(1 % of the limit, 10), split
/// between the instances sharing the counters.
pub fn unshared_allowance(limit: u32, instances: u32) -> u32 {
    let overshoot = (limit / 100).max(10);
    (overshoot / instances.max(1)).max(1)
}

/// A limit reached by a sender: recorded once per mailbox, limit and window slot, however many
/// recipients and policy instances see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Breach {
    pub mailbox_id: i32,
    pub kind: LimitKind,
    pub limit: u32,
    pub counted: u32,
    /// When this breach's episode starts, in Unix seconds: the start of the window slot it
    /// falls in, or the last lift when later (a lift starts a new episode, which may act again).
    pub slot: i64,
}

/// The `Breach::slot` of a breach of `kind` in bucket `now`, for a sender last lifted at
/// `lifted_secs` (Unix seconds).
pub fn breach_slot(kind: LimitKind, now: i64, lifted_secs: Option<i64>) -> i64 {
    let window = kind.window_buckets();
    (now.div_euclid(window) * window * BUCKET_SECONDS).max(lifted_secs.unwrap_or(i64::MIN))
}

/// When the `kind` window will have room for one more recipient: the end of the bucket whose
/// leaving brings the count under `limit`. `None` when there is room now or never (no buckets).
pub fn frees_at(
    buckets: &[BucketCount],
    now: i64,
    counted_from: Option<i64>,
    kind: LimitKind,
    limit: u32,
) -> Option<DateTime<Utc>> {
    let window = kind.window_buckets();
    let count_of = |b: &BucketCount| match kind {
        LimitKind::Daily => b.external.saturating_add(b.internal),
        LimitKind::ExternalHourly => b.external,
        LimitKind::InternalHourly => b.internal,
    };
    let mut inside: Vec<&BucketCount> = buckets
        .iter()
        .filter(|b| {
            b.bucket <= now && b.bucket > now - window && counted_from.is_none_or(|from| b.bucket >= from)
        })
        .collect();
    inside.sort_by_key(|b| b.bucket);
    let mut total: u64 = inside.iter().map(|b| count_of(b) as u64).sum();
    if total < limit as u64 {
        return None;
    }
    for b in inside {
        total -= count_of(b) as u64;
        if total < limit as u64 {
            // Bucket b leaves the window when bucket b + window begins.
            return Some(bucket_start(b.bucket + window));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(daily: u32, external: u32, internal: u32) -> Limits {
        Limits { daily: Some(daily), external_hourly: Some(external), internal_hourly: Some(internal) }
    }

    #[test]
    fn limits_parse_from_forms() {
        assert_eq!(parse_limit("").unwrap(), None);
        assert_eq!(parse_limit(" 2,500 ").unwrap(), Some(2500));
        assert_eq!(parse_limit("0").unwrap(), Some(0));
        assert!(parse_limit("-1").is_err());
        assert!(parse_limit("ten").is_err());
        assert!(parse_limit("10000001").is_err());
    }

    #[test]
    fn mailbox_over_domain_over_company_over_defaults() {
        let none = Limits::default();
        let company = Limits { daily: Some(500), ..none };
        let domain = Limits { external_hourly: Some(50), ..none };
        let mailbox = Limits { external_hourly: Some(70), internal_hourly: Some(9), ..none };
        assert_eq!(effective(none, none, none, false), DEFAULT_LIMITS);
        assert_eq!(
            effective(none, domain, company, false),
            Limits { daily: Some(500), external_hourly: Some(50), internal_hourly: None }
        );
        assert_eq!(effective(mailbox, domain, company, false), limits(500, 70, 9));
        // Probation halves the hourly external limit only.
        assert_eq!(effective(mailbox, domain, company, true), limits(500, 35, 9));
    }

    #[test]
    fn probation_runs_seven_days_from_the_lift_when_enabled() {
        let lift = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        assert!(on_probation(true, Some(lift), lift + Duration::days(6)));
        assert!(!on_probation(true, Some(lift), lift + Duration::days(7)));
        assert!(!on_probation(false, Some(lift), lift + Duration::hours(1)));
        assert!(!on_probation(true, None, lift));
        assert_eq!(probation_until(true, Some(lift), lift), Some(lift + Duration::days(7)));
    }

    #[test]
    fn usage_sums_the_hour_and_the_day_since_the_lift() {
        let now = 10_000;
        let buckets = [
            BucketCount { bucket: now, external: 3, internal: 1 },
            BucketCount { bucket: now - 11, external: 2, internal: 0 },
            BucketCount { bucket: now - 12, external: 5, internal: 5 }, // out of the hour
            BucketCount { bucket: now - 287, external: 1, internal: 0 },
            BucketCount { bucket: now - 288, external: 100, internal: 0 }, // out of the day
        ];
        assert_eq!(Usage::of(&buckets, now, None), Usage { external_hour: 5, internal_hour: 1, day: 17 });
        // Lifted during bucket now-11: that bucket and later ones count.
        assert_eq!(
            Usage::of(&buckets, now, Some(now - 11)),
            Usage { external_hour: 5, internal_hour: 1, day: 6 }
        );
        assert_eq!(Usage::of(&buckets, now, Some(now)), Usage { external_hour: 3, internal_hour: 1, day: 4 });
    }

    #[test]
    fn the_daily_limit_pauses_everything_the_hourly_ones_their_kind() {
        let l = limits(100, 10, 20);
        let fresh = Usage::default();
        assert_eq!(over_limit(&l, &fresh, false), None);
        let external_full = Usage { external_hour: 10, internal_hour: 0, day: 10 };
        assert_eq!(over_limit(&l, &external_full, false), Some((LimitKind::ExternalHourly, 10)));
        assert_eq!(over_limit(&l, &external_full, true), None, "internal mail still flows");
        let internal_full = Usage { external_hour: 0, internal_hour: 20, day: 20 };
        assert_eq!(over_limit(&l, &internal_full, true), Some((LimitKind::InternalHourly, 20)));
        assert_eq!(over_limit(&l, &internal_full, false), None);
        let day_full = Usage { external_hour: 0, internal_hour: 0, day: 100 };
        assert_eq!(over_limit(&l, &day_full, true), Some((LimitKind::Daily, 100)));
        assert_eq!(over_limit(&l, &day_full, false), Some((LimitKind::Daily, 100)));
        // No limit set: never over.
        assert_eq!(
            over_limit(
                &Limits::default(),
                &Usage { external_hour: u32::MAX, internal_hour: u32::MAX, day: u32::MAX },
                false
            ),
            None
        );
    }

    #[test]
    fn the_unshared_allowance_keeps_the_overshoot_within_one_percent_or_ten() {
        assert_eq!(unshared_allowance(10_000, 1), 100);
        assert_eq!(unshared_allowance(10_000, 2), 50);
        assert_eq!(unshared_allowance(100, 2), 5);
        assert_eq!(unshared_allowance(100, 64), 1);
        for (limit, instances) in [(10, 3), (1_000, 2), (10_000, 4), (250_000, 7)] {
            assert!(unshared_allowance(limit, instances) * instances <= (limit / 100).max(10).max(instances));
        }
    }

    #[test]
    fn a_full_window_frees_when_enough_old_buckets_leave_it() {
        let now = 1_000;
        let buckets = [
            BucketCount { bucket: now - 10, external: 6, internal: 0 },
            BucketCount { bucket: now - 5, external: 4, internal: 0 },
            BucketCount { bucket: now, external: 0, internal: 7 },
        ];
        assert_eq!(frees_at(&buckets, now, None, LimitKind::ExternalHourly, 11), None);
        // At 10: the bucket now-10 must leave (at bucket now+2) to bring 10 under 10.
        assert_eq!(frees_at(&buckets, now, None, LimitKind::ExternalHourly, 10), Some(bucket_start(now + 2)));
        // At 4: both external buckets must leave.
        assert_eq!(frees_at(&buckets, now, None, LimitKind::ExternalHourly, 4), Some(bucket_start(now + 7)));
        assert_eq!(
            frees_at(&buckets, now, None, LimitKind::Daily, 17),
            Some(bucket_start(now - 10 + DAY_BUCKETS))
        );
    }
}
