//! Retention: the platform's policy (kept in `app_setting`, changed with an audit entry) and the
//! pruning it asks for, in small batches — each its own short transaction, so the intake and
//! the dashboard never wait long on a lock — run daily by `serve` and on demand.
use crate::authz::{Action, Actor, Place};
use crate::domain::RetentionPolicy;
use crate::entity::app_setting;
use crate::services::audit::{self, Change};
use crate::services::common::{ServiceError, authorize, sql};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};
use serde_json::json;

/// Rows one batch touches at most.
pub const BATCH: u32 = 500;

const KEYS: [&str; 5] = [
    "retention.complaint_samples_days",
    "retention.quarantine_days",
    "retention.sent_notices_days",
    "retention.sign_ins_days",
    "retention.audit_days",
];
const LAST_RUN: &str = "retention.last_run";

fn fields(p: &RetentionPolicy) -> [Option<u32>; 5] {
    [p.complaint_samples, p.quarantine, p.sent_notices, p.sign_ins, p.audit]
}

/// The policy in force: the defaults, with what the platform changed.
pub async fn policy(db: &DatabaseConnection) -> Result<RetentionPolicy, ServiceError> {
    let rows = app_setting::Entity::find().all(db).await?;
    let stored = |key: &str| rows.iter().find(|r| r.key == key).map(|r| r.value.trim().parse::<u32>().ok());
    let defaults = fields(&RetentionPolicy::default());
    let value = |i: usize| stored(KEYS[i]).unwrap_or(defaults[i]);
    Ok(RetentionPolicy {
        complaint_samples: value(0),
        quarantine: value(1),
        sent_notices: value(2),
        sign_ins: value(3),
        audit: value(4),
    })
}

/// What the last run pruned, as it said (e.g. "2026-12-02 03:00 UTC: 12 samples, 3 …").
pub async fn last_run(db: &DatabaseConnection) -> Result<Option<String>, ServiceError> {
    Ok(app_setting::Entity::find_by_id(LAST_RUN).one(db).await?.map(|r| r.value))
}

/// Changes the policy: platform admins only, audited.
pub async fn save(db: &DatabaseConnection, actor: &Actor, new: RetentionPolicy) -> Result<(), ServiceError> {
    authorize(actor, Action::ManagePlatform, Place::Platform)?;
    let old = policy(db).await?;
    if old == new {
        return Ok(());
    }
    let txn = crate::services::common::begin_write(db).await?;
    for (key, days) in KEYS.iter().zip(fields(&new)) {
        put(&txn, key, &days.map(|d| d.to_string()).unwrap_or_else(|| "forever".into())).await?;
    }
    let describe = |p: &RetentionPolicy| {
        json!({
            "complaint_samples_days": p.complaint_samples, "quarantine_days": p.quarantine,
            "sent_notices_days": p.sent_notices, "sign_ins_days": p.sign_ins, "audit_days": p.audit,
        })
    };
    let change = Change {
        company_id: None,
        object_kind: "settings",
        object_id: None,
        object_label: "retention",
        action: "update",
        before: describe(&old),
        after: describe(&new),
    };
    audit::record(&txn, actor, change).await?;
    txn.commit().await?;
    tracing::info!(actor = %actor.login, "retention policy changed");
    Ok(())
}

async fn put<C: ConnectionTrait>(db: &C, key: &str, value: &str) -> Result<(), ServiceError> {
    let upsert = sql::statement(
        db.get_database_backend(),
        "INSERT INTO app_setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        vec![key.into(), value.into()],
    );
    db.execute_raw(upsert).await?;
    Ok(())
}

/// What one run removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub complaint_samples: u64,
    pub quarantine: u64,
    pub sent_notices: u64,
    pub sign_ins: u64,
    pub audit: u64,
}

impl std::fmt::Display for Pruned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} complaint samples, {} quarantined reports, {} sent notices, {} sign-in records, {} audit entries",
            self.complaint_samples, self.quarantine, self.sent_notices, self.sign_ins, self.audit
        )
    }
}

/// Prunes what `policy` says is old at `now`, batch by batch, and records what it did.
pub async fn prune(
    db: &DatabaseConnection,
    policy: &RetentionPolicy,
    now: DateTime<Utc>,
) -> Result<Pruned, ServiceError> {
    let before = |days: Option<u32>| days.map(|d| now - Duration::days(i64::from(d)));
    let mut pruned = Pruned::default();
    if let Some(at) = before(policy.complaint_samples) {
        pruned.complaint_samples = batches(
            db,
            "UPDATE complaint SET original = NULL WHERE id IN \
             (SELECT id FROM complaint WHERE received_at < ? AND original IS NOT NULL ORDER BY received_at LIMIT ?)",
            at,
            None,
        )
        .await?;
    }
    if let Some(at) = before(policy.quarantine) {
        let sql = "DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantine WHERE received_at < ? ORDER BY received_at LIMIT ?)";
        pruned.quarantine = batches(db, sql, at, None).await?;
    }
    if let Some(at) = before(policy.sent_notices) {
        // Sent, or given up on: a queued notice is never pruned.
        let sql = "DELETE FROM notice WHERE id IN (SELECT id FROM notice WHERE status <> 'queued' \
                   AND COALESCE(sent_at, created_at) < ? ORDER BY created_at LIMIT ?)";
        pruned.sent_notices = batches(db, sql, at, None).await?;
    }
    if let Some(at) = before(policy.sign_ins) {
        let sql = "DELETE FROM audit_entry WHERE id IN (SELECT id FROM audit_entry \
                   WHERE object_kind = 'session' AND at < ? ORDER BY at LIMIT ?)";
        pruned.sign_ins = batches(db, sql, at, Some("sign_ins_before")).await?;
    }
    if let Some(at) = before(policy.audit) {
        let sql = "DELETE FROM audit_entry WHERE id IN (SELECT id FROM audit_entry WHERE at < ? ORDER BY at LIMIT ?)";
        pruned.audit = batches(db, sql, at, Some("audit_before")).await?;
    }
    let said = format!("{}: {pruned}", now.format("%Y-%m-%d %H:%M UTC"));
    put(db, LAST_RUN, &said).await?;
    tracing::info!(%pruned, "retention: pruned");
    Ok(pruned)
}

/// Runs `sql` (with `?` for the horizon and the batch size) until a batch touches fewer rows
/// than it may. For the audit log, `horizon` names the column of `retention_horizon` that its
/// delete guard checks, set in the same transaction.
async fn batches(
    db: &DatabaseConnection,
    sql: &str,
    at: DateTime<Utc>,
    horizon: Option<&str>,
) -> Result<u64, ServiceError> {
    let backend = db.get_database_backend();
    let mut total = 0;
    loop {
        let txn = crate::services::common::begin_write(db).await?;
        if let Some(column) = horizon {
            let set = format!("UPDATE retention_horizon SET {column} = ? WHERE id = 1");
            txn.execute_raw(sql::statement(backend, &set, vec![at.into()])).await?;
        }
        let done = txn
            .execute_raw(sql::statement(backend, sql, vec![at.into(), BATCH.into()]))
            .await?
            .rows_affected();
        if let Some(column) = horizon {
            let clear = format!("UPDATE retention_horizon SET {column} = NULL WHERE id = 1");
            txn.execute_unprepared(&clear).await?;
        }
        txn.commit().await?;
        total += done;
        if done < u64::from(BATCH) {
            return Ok(total);
        }
        // Let the intake and the dashboard in between batches.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// `serve`'s daily job: a first run a minute after the start, then every 24 hours, until
/// `stop` turns true. Several instances may run it: every batch is idempotent.
pub async fn run_daily(db: DatabaseConnection, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut wait = std::time::Duration::from_secs(60);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        match policy(&db).await {
            Ok(p) => {
                if let Err(e) = prune(&db, &p, Utc::now()).await {
                    tracing::warn!(error = %e, "retention: pruning failed; retried tomorrow");
                }
            }
            Err(e) => tracing::warn!(error = %e, "retention: the policy is not readable"),
        }
        wait = std::time::Duration::from_secs(24 * 3600);
    }
}
