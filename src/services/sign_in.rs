//! Signing in, and the throttle that slows down password guessing: after 5 failures for one
//! login or from one client address within 15 minutes, further attempts are refused until the
//! window has passed. Kept in memory: a restart forgives, which a guesser cannot trigger.
use super::ServiceError;
use super::audit::{self, Change};
use super::passwords::{self, Secret};
use crate::entity::admin_user;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: u32 = 5;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Default)]
pub struct SignInThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl SignInThrottle {
    fn keys(login: &str, client_addr: &str) -> [String; 2] {
        [format!("login:{}", login.trim().to_lowercase()), format!("addr:{client_addr}")]
    }

    /// Seconds until the next attempt is allowed, if it is not allowed now.
    pub fn blocked_for(&self, login: &str, client_addr: &str) -> Option<u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, (_, since)| now.duration_since(*since) < WINDOW);
        Self::keys(login, client_addr)
            .iter()
            .filter_map(|key| map.get(key))
            .filter(|(count, _)| *count >= MAX_FAILURES)
            .map(|(_, since)| (WINDOW - now.duration_since(*since)).as_secs().max(1))
            .max()
    }

    pub fn record_failure(&self, login: &str, client_addr: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for key in Self::keys(login, client_addr) {
            let entry = map.entry(key).or_insert((0, now));
            entry.0 += 1;
        }
    }

    pub fn record_success(&self, login: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("login:{}", login.trim().to_lowercase()));
    }
}

/// Checks a login and password; returns the admin's id.
pub async fn sign_in(
    db: &DatabaseConnection,
    throttle: &SignInThrottle,
    login: &str,
    password: Secret,
    client_addr: &str,
) -> Result<i32, ServiceError> {
    if let Some(retry_after_secs) = throttle.blocked_for(login, client_addr) {
        tracing::warn!(login, client_addr, "sign-in refused: throttled");
        return Err(ServiceError::Throttled { retry_after_secs });
    }
    let normalised = login.trim().to_lowercase();
    let user =
        admin_user::Entity::find().filter(admin_user::Column::Login.eq(normalised.as_str())).one(db).await?;
    let ok = passwords::verify(password, user.as_ref().map(|u| u.password_hash.clone())).await;
    match user {
        Some(user) if ok => {
            throttle.record_success(login);
            let id = user.id;
            let (login, role, company_id) = (user.login.clone(), user.role.clone(), user.company_id);
            let txn = super::begin_write(db).await?;
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
                    action: "sign_in",
                    before: json!(null),
                    after: json!(null),
                },
            )
            .await?;
            txn.commit().await?;
            tracing::info!(admin_id = id, client_addr, "signed in");
            Ok(id)
        }
        _ => {
            throttle.record_failure(login, client_addr);
            // The attempted login is recorded, never the password.
            let attempted: String = normalised.chars().take(64).collect();
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
                    action: "sign_in_failed",
                    before: json!(null),
                    after: json!(null),
                },
            )
            .await?;
            tracing::warn!(login, client_addr, "sign-in failed");
            Err(ServiceError::Invalid(super::FieldErrors::single(
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
    fn five_failures_block_the_login_and_the_address() {
        let throttle = SignInThrottle::default();
        for _ in 0..MAX_FAILURES {
            assert!(throttle.blocked_for("anna", "10.0.0.1").is_none());
            throttle.record_failure("anna", "10.0.0.1");
        }
        assert!(throttle.blocked_for("anna", "10.0.0.2").is_some(), "same login, other address");
        assert!(throttle.blocked_for("bert", "10.0.0.1").is_some(), "same address, other login");
        assert!(throttle.blocked_for("bert", "10.0.0.2").is_none());
    }
}
