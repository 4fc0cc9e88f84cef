//! API tokens for the complaint intake: created by platform admins, shown once, stored as a
//! SHA-256 hash (they are 160 random bits, so a slow hash would add nothing), revocable.
use crate::authz::{Action, Actor, Place};
use crate::entity::api_token;
use crate::services::audit::{self, Change};
use crate::services::{common::ServiceError, common::authorize, common::begin_write};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Prefix that makes a leaked token recognisable in logs and secret scanners.
const PREFIX: &str = "mad_";

#[derive(Debug, Clone)]
pub struct ApiToken {
    pub id: i32,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<api_token::Model> for ApiToken {
    fn from(m: api_token::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            created_at: m.created_at,
            created_by: m.created_by,
            last_used_at: m.last_used_at,
            revoked_at: m.revoked_at,
        }
    }
}

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub async fn list(db: &DatabaseConnection, actor: &Actor) -> Result<Vec<ApiToken>, ServiceError> {
    authorize(actor, Action::ManagePlatform, Place::Platform)?;
    Ok(api_token::Entity::find()
        .order_by_desc(api_token::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(ApiToken::from)
        .collect())
}

/// Creates a token; the plain value is returned this once and never stored.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    name: &str,
) -> Result<(i32, String), ServiceError> {
    authorize(actor, Action::ManagePlatform, Place::Platform)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ServiceError::Invalid(crate::services::common::FieldErrors::single(
            "name",
            "Name the token after what uses it (1 to 100 characters), e.g. \"Yahoo feedback loop\".",
        )));
    }
    let token = format!("{PREFIX}{}", hex::encode(rand::random::<[u8; 20]>()));
    let txn = begin_write(db).await?;
    let model = api_token::ActiveModel {
        name: Set(name.to_owned()),
        token_hash: Set(digest(&token)),
        created_at: Set(Utc::now()),
        created_by: Set(actor.login.clone()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        Change {
            company_id: None,
            object_kind: "api_token",
            object_id: Some(model.id),
            object_label: &model.name,
            action: "create",
            before: json!(null),
            after: json!({ "name": model.name }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((model.id, token))
}

pub async fn revoke(db: &DatabaseConnection, actor: &Actor, id: i32) -> Result<ApiToken, ServiceError> {
    authorize(actor, Action::ManagePlatform, Place::Platform)?;
    let txn = begin_write(db).await?;
    let model = api_token::Entity::find_by_id(id).one(&txn).await?.ok_or(ServiceError::NotFound)?;
    if model.revoked_at.is_some() {
        return Err(ServiceError::Conflict("This token is revoked already.".into()));
    }
    let mut active: api_token::ActiveModel = model.into();
    active.revoked_at = Set(Some(Utc::now()));
    let model = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change {
            company_id: None,
            object_kind: "api_token",
            object_id: Some(id),
            object_label: &model.name,
            action: "revoke",
            before: json!({ "revoked": false }),
            after: json!({ "revoked": true }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(model.into())
}

/// How long a live token is trusted without asking the database again.
pub const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// Live tokens seen lately, by digest, so a busy feedback loop does not cost a query per
/// report. Only live tokens are kept (a wrong token always asks the database). A revoked token
/// is refused at once by the instance that revoked it, which forgets everything it kept, and
/// by other instances sharing the database within [`CACHE_TTL`].
#[derive(Debug, Default)]
pub struct TokenCache {
    live: Mutex<CacheState>,
}

#[derive(Debug, Default)]
struct CacheState {
    tokens: HashMap<String, (i32, Instant)>,
    /// Raised by every [`TokenCache::forget_all`]: a lookup that began before a revocation
    /// must not put the token back afterwards.
    generation: u64,
}

impl TokenCache {
    fn state(&self) -> std::sync::MutexGuard<'_, CacheState> {
        self.live.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The cached id, or the generation to hand to [`TokenCache::keep`] after asking the database.
    fn get(&self, digest: &str) -> Result<i32, u64> {
        let state = self.state();
        match state.tokens.get(digest) {
            Some((id, at)) if at.elapsed() < CACHE_TTL => Ok(*id),
            _ => Err(state.generation),
        }
    }

    fn keep(&self, digest: String, id: i32, generation: u64) {
        let mut state = self.state();
        if state.generation != generation {
            return;
        }
        state.tokens.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
        state.tokens.insert(digest, (id, Instant::now()));
    }

    /// Forgets every kept token; called after a revocation.
    pub fn forget_all(&self) {
        let mut state = self.state();
        state.tokens.clear();
        state.generation += 1;
    }
}

/// The token's id if `presented` is a live token. "Last used" is written at most once a minute,
/// so a busy feedback loop does not turn every report into a second write.
pub async fn authenticate(
    db: &DatabaseConnection,
    cache: &TokenCache,
    presented: &str,
) -> Result<Option<i32>, ServiceError> {
    if !presented.starts_with(PREFIX) {
        return Ok(None);
    }
    let digest = digest(presented);
    let generation = match cache.get(&digest) {
        Ok(id) => return Ok(Some(id)),
        Err(generation) => generation,
    };
    let Some(model) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(&digest))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let now = Utc::now();
    if model.last_used_at.is_none_or(|at| now - at > Duration::minutes(1)) {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, sea_orm::sea_query::Expr::value(now))
            .filter(api_token::Column::Id.eq(model.id))
            .exec(db)
            .await?;
    }
    cache.keep(digest, model.id, generation);
    Ok(Some(model.id))
}

#[cfg(test)]
mod tests {
    use super::TokenCache;

    #[test]
    fn a_lookup_that_began_before_a_revocation_does_not_put_the_token_back() {
        let cache = TokenCache::default();
        let generation = cache.get("digest").unwrap_err();
        cache.forget_all();
        cache.keep("digest".into(), 7, generation);
        assert!(cache.get("digest").is_err(), "kept after the revocation");
        let generation = cache.get("digest").unwrap_err();
        cache.keep("digest".into(), 7, generation);
        assert_eq!(cache.get("digest"), Ok(7));
    }
}
