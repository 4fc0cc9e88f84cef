//! What a mailbox has sent against its limits, as the dashboard and the webmail API show it,
//! from the counts the policy services share (`sending_count`, at most a flush behind).
use crate::authz::Actor;
use crate::enforcement::limits::{self, BreachAction, BucketCount, LimitKind, Limits, Usage};
use crate::entity::{company, domain, mailbox};
use crate::services::common::{ServiceError, sql};
use crate::services::enforcement::counts;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};

/// One mailbox's sending now.
#[derive(Debug, Clone)]
pub struct SendingStatus {
    /// The limits that apply (after inheritance and probation).
    pub limits: Limits,
    pub usage: Usage,
    pub breach: BreachAction,
    pub probation_until: Option<DateTime<Utc>>,
    /// Over a limit now (for the recipients it names: external if any), and when it frees.
    pub paused: Option<Pause>,
    pub buckets: Vec<BucketCount>,
}

#[derive(Debug, Clone, Copy)]
pub struct Pause {
    pub kind: LimitKind,
    pub limit: u32,
    pub until: Option<DateTime<Utc>>,
}

impl SendingStatus {
    /// Share of a limit used, in percent (0 without a limit).
    pub fn percent(&self, kind: LimitKind) -> u32 {
        let limit = match kind {
            LimitKind::Daily => self.limits.daily,
            LimitKind::ExternalHourly => self.limits.external_hourly,
            LimitKind::InternalHourly => self.limits.internal_hourly,
        };
        match limit {
            Some(0) => 100,
            Some(l) => ((self.usage.counted(kind) as u64 * 100) / l as u64).min(999) as u32,
            None => 0,
        }
    }
}

/// The effective limits of a mailbox, and whether it is on probation.
pub fn limits_of(
    m: &mailbox::Model,
    d: &domain::Model,
    c: &company::Model,
    now: DateTime<Utc>,
) -> (Limits, Option<DateTime<Utc>>) {
    let probation_until = limits::probation_until(c.probation, m.send_lifted_at, now);
    let own = Limits::from_columns(m.limit_daily, m.limit_external_hourly, m.limit_internal_hourly);
    let of_domain = Limits::from_columns(d.limit_daily, d.limit_external_hourly, d.limit_internal_hourly);
    let of_company = Limits::from_columns(c.limit_daily, c.limit_external_hourly, c.limit_internal_hourly);
    (limits::effective(own, of_domain, of_company, probation_until.is_some()), probation_until)
}

/// A mailbox's sending against its limits (the caller has authorized reading the mailbox).
pub async fn status_of<C: ConnectionTrait>(
    db: &C,
    m: &mailbox::Model,
) -> Result<SendingStatus, ServiceError> {
    let d = domain::Entity::find_by_id(m.domain_id).one(db).await?.ok_or(ServiceError::NotFound)?;
    let c = company::Entity::find_by_id(d.company_id).one(db).await?.ok_or(ServiceError::NotFound)?;
    let now = Utc::now();
    let (limits, probation_until) = limits_of(m, &d, &c, now);
    let bucket = limits::bucket_of(now);
    let counted_from = m.send_lifted_at.map(limits::bucket_of);
    let buckets = counts::of_mailbox(db, m.id, bucket - limits::DAY_BUCKETS + 1).await?;
    let usage = Usage::of(&buckets, bucket, counted_from);
    let paused = [false, true].into_iter().find_map(|internal| {
        let (kind, limit) = limits::over_limit(&limits, &usage, internal)?;
        Some(Pause { kind, limit, until: limits::frees_at(&buckets, bucket, counted_from, kind, limit) })
    });
    Ok(SendingStatus {
        limits,
        usage,
        breach: limits::BreachAction::from_stored(&c.limit_breach),
        probation_until,
        paused,
        buckets,
    })
}

/// A mailbox's sending by id (the caller has authorized reading the mailbox).
pub async fn status_by_id(db: &DatabaseConnection, mailbox_id: i32) -> Result<SendingStatus, ServiceError> {
    let m = mailbox::Entity::find_by_id(mailbox_id).one(db).await?.ok_or(ServiceError::NotFound)?;
    status_of(db, &m).await
}

/// Whether a mailbox is paused at a limit now (its company defers or suspends at limits), for
/// the webmail API: the limit reached and when it frees.
pub async fn pause_of(db: &DatabaseConnection, mailbox_id: i32) -> Result<Option<Pause>, ServiceError> {
    let Some(m) = mailbox::Entity::find_by_id(mailbox_id).one(db).await? else { return Ok(None) };
    let status = status_of(db, &m).await?;
    Ok(status.paused.filter(|_| status.breach != BreachAction::Alert))
}

/// Which of these mailboxes are at a limit now, with the breach action that applies (the
/// caller has authorized reading them). Only mailboxes that sent in the last day are judged.
pub async fn paused_among(
    db: &DatabaseConnection,
    ids: &[i32],
) -> Result<std::collections::HashMap<i32, (Pause, BreachAction)>, ServiceError> {
    let mut found = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(found);
    }
    let min = limits::bucket_of(Utc::now()) - limits::DAY_BUCKETS + 1;
    let mut values: Vec<sea_orm::Value> = vec![min.into()];
    values.extend(ids.iter().map(|id| sea_orm::Value::from(*id)));
    let query = format!(
        "SELECT DISTINCT mailbox_id FROM sending_count WHERE bucket >= ? AND mailbox_id IN ({})",
        sql::placeholders(ids.len())
    );
    let rows = db.query_all_raw(sql::statement(db.get_database_backend(), &query, values)).await?;
    for r in &rows {
        let id: i32 = r.try_get("", "mailbox_id")?;
        let status = status_by_id(db, id).await?;
        if let Some(pause) = status.paused {
            found.insert(id, (pause, status.breach));
        }
    }
    Ok(found)
}

/// Recipients per hour over the last `hours` hours, oldest first: (hour start, external, internal).
pub type HourlySeries = Vec<(DateTime<Utc>, u32, u32)>;

fn hourly(rows: &[BucketCount], hours: i64) -> HourlySeries {
    let now_hour = limits::bucket_of(Utc::now()).div_euclid(limits::HOUR_BUCKETS);
    let first = now_hour - hours + 1;
    let mut series: HourlySeries =
        (first..=now_hour).map(|h| (limits::bucket_start(h * limits::HOUR_BUCKETS), 0, 0)).collect();
    for b in rows {
        let h = b.bucket.div_euclid(limits::HOUR_BUCKETS);
        if h >= first && h <= now_hour {
            let slot = &mut series[(h - first) as usize];
            slot.1 = slot.1.saturating_add(b.external);
            slot.2 = slot.2.saturating_add(b.internal);
        }
    }
    series
}

/// A mailbox's recipients per hour (the caller has authorized reading it).
pub async fn mailbox_hourly(
    db: &DatabaseConnection,
    mailbox_id: i32,
    hours: i64,
) -> Result<HourlySeries, ServiceError> {
    let min = limits::bucket_of(Utc::now()) - hours * limits::HOUR_BUCKETS;
    Ok(hourly(&counts::of_mailbox(db, mailbox_id, min).await?, hours))
}

/// A company's recipients per hour, all its mailboxes together (the caller has authorized it).
pub async fn company_hourly(
    db: &DatabaseConnection,
    company_id: i32,
    hours: i64,
) -> Result<HourlySeries, ServiceError> {
    let min = limits::bucket_of(Utc::now()) - hours * limits::HOUR_BUCKETS;
    let rows = db
        .query_all_raw(sql::statement(
            db.get_database_backend(),
            "SELECT CAST(s.bucket AS BIGINT) AS bucket, CAST(SUM(s.external) AS BIGINT) AS external, \
               CAST(SUM(s.internal) AS BIGINT) AS internal \
             FROM sending_count s JOIN mailbox m ON m.id = s.mailbox_id JOIN domain d ON d.id = m.domain_id \
             WHERE d.company_id = ? AND s.bucket >= ? GROUP BY s.bucket",
            vec![company_id.into(), min.into()],
        ))
        .await?;
    let buckets = rows
        .iter()
        .map(|r| {
            Ok(BucketCount {
                bucket: r.try_get("", "bucket")?,
                external: r.try_get::<i64>("", "external")?.clamp(0, u32::MAX as i64) as u32,
                internal: r.try_get::<i64>("", "internal")?.clamp(0, u32::MAX as i64) as u32,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    Ok(hourly(&buckets, hours))
}

/// A mailbox at or near one of its limits.
#[derive(Debug, Clone)]
pub struct NearLimit {
    pub mailbox_id: i32,
    pub address: String,
    pub kind: LimitKind,
    pub counted: u32,
    pub limit: u32,
    pub percent: u32,
    pub paused_until: Option<DateTime<Utc>>,
}

/// Share of a limit from which a mailbox is listed as near it.
pub const NEAR_PERCENT: u32 = 80;

/// Mailboxes in the actor's scope at or above [`NEAR_PERCENT`] of a limit, fullest first, at
/// most `limit`. One grouped read of the last day's counts with every sender's limits finds
/// the candidates; only those are judged exactly (probation, the last lift).
pub async fn near_limits(
    db: &DatabaseConnection,
    actor: &Actor,
    limit: usize,
) -> Result<Vec<NearLimit>, ServiceError> {
    let bucket = limits::bucket_of(Utc::now());
    let mut values: Vec<sea_orm::Value> = vec![
        (bucket - limits::HOUR_BUCKETS).into(),
        (bucket - limits::HOUR_BUCKETS).into(),
        (bucket - limits::DAY_BUCKETS).into(),
    ];
    let filter = sql::scope_filter(actor, "d.company_id", "d.id", &mut values);
    // One grouped read judges every sender of the last day against its effective limits
    // (counted from the whole day: a lift is only taken into account for the few listed).
    let query = format!(
        "SELECT s.mailbox_id, \
           CAST(SUM(CASE WHEN s.bucket > ? THEN s.external ELSE 0 END) AS BIGINT) AS ext_hour, \
           CAST(SUM(CASE WHEN s.bucket > ? THEN s.internal ELSE 0 END) AS BIGINT) AS int_hour, \
           CAST(SUM(s.external + s.internal) AS BIGINT) AS day, \
           m.limit_daily AS m_daily, m.limit_external_hourly AS m_ext, m.limit_internal_hourly AS m_int, \
           d.limit_daily AS d_daily, d.limit_external_hourly AS d_ext, d.limit_internal_hourly AS d_int, \
           c.limit_daily AS c_daily, c.limit_external_hourly AS c_ext, c.limit_internal_hourly AS c_int \
         FROM sending_count s JOIN mailbox m ON m.id = s.mailbox_id JOIN domain d ON d.id = m.domain_id \
           JOIN company c ON c.id = d.company_id \
         WHERE s.bucket > ?{filter} \
         GROUP BY s.mailbox_id, m.limit_daily, m.limit_external_hourly, m.limit_internal_hourly, \
           d.limit_daily, d.limit_external_hourly, d.limit_internal_hourly, \
           c.limit_daily, c.limit_external_hourly, c.limit_internal_hourly"
    );
    let rows = db.query_all_raw(sql::statement(db.get_database_backend(), &query, values)).await?;
    let mut candidates: Vec<(u64, i32)> = Vec::new();
    for r in &rows {
        let get = |name: &str| -> Result<Option<i32>, sea_orm::DbErr> { r.try_get("", name) };
        let own = Limits::from_columns(get("m_daily")?, get("m_ext")?, get("m_int")?);
        let of_domain = Limits::from_columns(get("d_daily")?, get("d_ext")?, get("d_int")?);
        let of_company = Limits::from_columns(get("c_daily")?, get("c_ext")?, get("c_int")?);
        // Probation halves the external limit: judge with it halved, so no one is missed.
        let l = limits::effective(own, of_domain, of_company, true);
        let share = |counted: i64, limit: Option<u32>| match limit {
            Some(0) => 100,
            Some(l) => (counted.max(0) as u64 * 100) / l as u64,
            None => 0,
        };
        let fullest = share(r.try_get("", "ext_hour")?, l.external_hourly)
            .max(share(r.try_get("", "int_hour")?, l.internal_hourly))
            .max(share(r.try_get("", "day")?, l.daily));
        if fullest >= NEAR_PERCENT as u64 {
            candidates.push((fullest, r.try_get("", "mailbox_id")?));
        }
    }
    candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
    candidates.truncate(limit * 2);
    let mut found = Vec::new();
    for (_, id) in candidates {
        let Some(m) = mailbox::Entity::find_by_id(id).one(db).await? else { continue };
        let status = status_of(db, &m).await?;
        let fullest = [LimitKind::Daily, LimitKind::ExternalHourly, LimitKind::InternalHourly]
            .into_iter()
            .map(|k| (status.percent(k), k))
            .max_by_key(|(p, _)| *p);
        let Some((percent, kind)) = fullest.filter(|(p, _)| *p >= NEAR_PERCENT) else { continue };
        let limit = match kind {
            LimitKind::Daily => status.limits.daily,
            LimitKind::ExternalHourly => status.limits.external_hourly,
            LimitKind::InternalHourly => status.limits.internal_hourly,
        }
        .unwrap_or(0);
        found.push(NearLimit {
            mailbox_id: m.id,
            address: m.address.clone(),
            kind,
            counted: status.usage.counted(kind),
            limit,
            percent,
            paused_until: status.paused.and_then(|p| p.until),
        });
    }
    found.sort_by(|a, b| b.percent.cmp(&a.percent).then_with(|| a.address.cmp(&b.address)));
    found.truncate(limit);
    Ok(found)
}
