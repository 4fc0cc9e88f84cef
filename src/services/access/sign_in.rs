//! Signing in, and the throttle that slows down password guessing: after 5 failures for one
//! login or from one client address within 15 minutes, further attempts are refused until the
//! oldest of those failures has aged out. A success forgives its login's earlier failures.
//!
//! The throttle counts failed sign-ins in the audit log, where every app instance records them
//! anyway, so several instances sharing one database throttle together and a restart forgives
//! nothing. In memory it keeps only the attempts being checked at this moment: a burst of
//! parallel guesses would otherwise all pass the count before the first failure is written.
use crate::entity::{admin_user, audit_entry};
use crate::services::audit::{self, Change};
use crate::services::common::ServiceError;
use crate::services::common::passwords::{self, Secret};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const MAX_FAILURES: u32 = 5;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// The audit log's actions for sign-ins, which the throttle counts.
const SIGNED_IN: &str = "sign_in";
const SIGN_IN_FAILED: &str = "sign_in_failed";
/// The longest login kept in the audit log for a failed attempt.
const MAX_LOGIN_CHARS: usize = 64;

/// Sign-in attempts being checked right now in this instance, by login and by client address.
#[derive(Default)]
pub struct SignInThrottle {
    in_flight: Arc<Mutex<HashMap<String, u32>>>,
}

/// Counts an attempt as in flight until dropped.
struct InFlight {
    keys: [String; 2],
    map: Arc<Mutex<HashMap<String, u32>>>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        for key in &self.keys {
            if let Some(n) = map.get_mut(key) {
                *n -= 1;
                if *n == 0 {
                    map.remove(key);
                }
            }
        }
    }
}

impl SignInThrottle {
    /// Registers an attempt; returns how many others are in flight for its login and address.
    fn begin(&self, login: &str, client_addr: &str) -> (InFlight, [u32; 2]) {
        let keys = [format!("login:{login}"), format!("addr:{client_addr}")];
        let mut map = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        let mut others = [0; 2];
        for (i, key) in keys.iter().enumerate() {
            let n = map.entry(key.clone()).or_insert(0);
            others[i] = *n;
            *n += 1;
        }
        (InFlight { keys, map: self.in_flight.clone() }, others)
    }
}

/// Seconds until `failures` (newest first) leave fewer than [`MAX_FAILURES`] in the window.
fn wait_for(failures: &[DateTime<Utc>], in_flight: u32, now: DateTime<Utc>) -> Option<u64> {
    let recorded = failures.len() as u32;
    if recorded >= MAX_FAILURES {
        let fifth_newest = failures[MAX_FAILURES as usize - 1];
        let free_at = fifth_newest + chrono::Duration::from_std(WINDOW).unwrap_or_default();
        return Some((free_at - now).num_seconds().max(1) as u64);
    }
    // Attempts being checked count too; they end within a second.
    (recorded + in_flight >= MAX_FAILURES).then_some(1)
}

/// Whose failed sign-ins the throttle counts.
#[derive(Clone, Copy)]
enum Attempts<'a> {
    /// For a login, since its last success.
    Login(&'a str),
    From(&'a str),
}

/// The newest failed sign-ins of `attempts` within the window.
async fn recent_failures(
    db: &DatabaseConnection,
    attempts: Attempts<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, ServiceError> {
    let mut since = now - chrono::Duration::from_std(WINDOW).unwrap_or_default();
    let mut query = audit_entry::Entity::find().filter(audit_entry::Column::Action.eq(SIGN_IN_FAILED));
    match attempts {
        Attempts::Login(login) => {
            let last_success: Option<DateTime<Utc>> = audit_entry::Entity::find()
                .select_only()
                .column(audit_entry::Column::At)
                .filter(audit_entry::Column::Action.eq(SIGNED_IN))
                .filter(audit_entry::Column::ObjectLabel.eq(login))
                .filter(audit_entry::Column::At.gt(since))
                .order_by_desc(audit_entry::Column::At)
                .into_tuple()
                .one(db)
                .await?;
            since = last_success.map_or(since, |at| at.max(since));
            query = query.filter(audit_entry::Column::ObjectLabel.eq(login));
        }
        Attempts::From(addr) => query = query.filter(audit_entry::Column::ClientAddr.eq(addr)),
    }
    Ok(query
        .select_only()
        .column(audit_entry::Column::At)
        .filter(audit_entry::Column::At.gt(since))
        .order_by_desc(audit_entry::Column::At)
        .limit(MAX_FAILURES as u64)
        .into_tuple()
        .all(db)
        .await?)
}

/// Seconds until the next attempt for `login` from `client_addr` is allowed, if it is not now.
async fn blocked_for(
    db: &DatabaseConnection,
    login: &str,
    client_addr: &str,
    in_flight: [u32; 2],
) -> Result<Option<u64>, ServiceError> {
    let now = Utc::now();
    let by_login = recent_failures(db, Attempts::Login(login), now).await?;
    let by_addr = recent_failures(db, Attempts::From(client_addr), now).await?;
    Ok(wait_for(&by_login, in_flight[0], now).max(wait_for(&by_addr, in_flight[1], now)))
}

/// Checks a login and password; returns the admin's id.
pub async fn sign_in(
    db: &DatabaseConnection,
    throttle: &SignInThrottle,
    login: &str,
    password: Secret,
    client_addr: &str,
) -> Result<i32, ServiceError> {
    let normalised: String = login.trim().to_lowercase().chars().take(MAX_LOGIN_CHARS).collect();
    let (_attempt, in_flight) = throttle.begin(&normalised, client_addr);
    if let Some(retry_after_secs) = blocked_for(db, &normalised, client_addr, in_flight).await? {
        tracing::warn!(login = normalised, client_addr, "sign-in refused: throttled");
        metrics::counter!("mailadmin_sign_ins_total", "outcome" => "throttled").increment(1);
        return Err(ServiceError::Throttled { retry_after_secs });
    }
    let user =
        admin_user::Entity::find().filter(admin_user::Column::Login.eq(normalised.as_str())).one(db).await?;
    let ok = passwords::verify(password, user.as_ref().map(|u| u.password_hash.clone())).await;
    match user {
        Some(user) if ok => {
            let id = user.id;
            let (login, role, company_id) = (user.login.clone(), user.role.clone(), user.company_id);
            let txn = crate::services::common::begin_write(db).await?;
            let mut active: admin_user::ActiveModel = user.into();
            active.last_sign_in_at = Set(Some(Utc::now()));
            active.update(&txn).await?;
            audit::record_as(
                &txn,
                &login,
                &role,
                Some(id),
                client_addr,
                Change {
                    company_id,
                    object_kind: "session",
                    object_id: Some(id),
                    object_label: &login,
                    action: SIGNED_IN,
                    before: json!(null),
                    after: json!(null),
                },
            )
            .await?;
            txn.commit().await?;
            tracing::info!(admin_id = id, client_addr, "signed in");
            metrics::counter!("mailadmin_sign_ins_total", "outcome" => "ok").increment(1);
            Ok(id)
        }
        _ => {
            // The attempted login is recorded, never the password; the throttle counts these.
            metrics::counter!("mailadmin_sign_ins_total", "outcome" => "failed").increment(1);
            let attempted = normalised;
            audit::record_as(
                db,
                &attempted,
                "anonymous",
                None,
                client_addr,
                Change {
                    company_id: None,
                    object_kind: "session",
                    object_id: None,
                    object_label: &attempted,
                    action: SIGN_IN_FAILED,
                    before: json!(null),
                    after: json!(null),
                },
            )
            .await?;
            tracing::warn!(login, client_addr, "sign-in failed");
            Err(ServiceError::Invalid(crate::services::common::FieldErrors::single(
                "password",
                "The login or the password is wrong.",
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_recorded_failures_block_until_the_fifth_newest_ages_out() {
        let now = Utc::now();
        let minutes = |m: i64| now - chrono::Duration::minutes(m);
        assert_eq!(wait_for(&[minutes(1), minutes(2), minutes(3), minutes(4)], 0, now), None);
        let five = [minutes(1), minutes(2), minutes(3), minutes(4), minutes(10)];
        assert_eq!(wait_for(&five, 0, now), Some(5 * 60), "free when the one from 10 minutes ago is 15");
    }

    #[test]
    fn attempts_in_flight_count_towards_the_limit() {
        let now = Utc::now();
        let three = [now, now, now];
        assert_eq!(wait_for(&three, 1, now), None);
        assert_eq!(wait_for(&three, 2, now), Some(1));
        let throttle = SignInThrottle::default();
        let (first, others) = throttle.begin("anna", "10.0.0.1");
        assert_eq!(others, [0, 0]);
        let (_second, others) = throttle.begin("anna", "10.0.0.2");
        assert_eq!(others, [1, 0], "same login, other address");
        drop(first);
        assert_eq!(throttle.begin("anna", "10.0.0.1").1, [1, 0], "the first one ended");
    }
}
