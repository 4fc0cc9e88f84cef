//! Server-side sessions: what makes a session cookie revocable. The cookie (encrypted) holds
//! the admin's id and a random token; the database holds the token's SHA-256. Every request
//! checks it with one primary-key read, so a sign-out, a password change or a deleted admin
//! ends the sessions at once on every app instance.
use crate::entity::admin_session;
use crate::services::common::ServiceError;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
};
use sha2::{Digest, Sha256};

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Starts a session for `admin_id`; returns the token for the cookie.
pub async fn start<C: ConnectionTrait>(db: &C, admin_id: i32) -> Result<String, ServiceError> {
    let token = hex::encode(rand::random::<[u8; 32]>());
    admin_session::ActiveModel {
        id: Set(hash(&token)),
        admin_id: Set(admin_id),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Whether the cookie's token is a live session of `admin_id`.
pub async fn is_live(db: &DatabaseConnection, admin_id: i32, token: &str) -> Result<bool, ServiceError> {
    let found = admin_session::Entity::find_by_id(hash(token)).one(db).await?;
    Ok(found.is_some_and(|s| s.admin_id == admin_id))
}

/// Ends one session (sign-out).
pub async fn end(db: &DatabaseConnection, token: &str) -> Result<(), ServiceError> {
    admin_session::Entity::delete_by_id(hash(token)).exec(db).await?;
    Ok(())
}

/// Ends every session of `admin_id` (a password changed or reset, the admin deleted); call in
/// the transaction that makes the change.
pub async fn end_all<C: ConnectionTrait>(db: &C, admin_id: i32) -> Result<u64, ServiceError> {
    let ended = admin_session::Entity::delete_many()
        .filter(admin_session::Column::AdminId.eq(admin_id))
        .exec(db)
        .await?;
    Ok(ended.rows_affected)
}
