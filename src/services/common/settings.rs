//! Values the app generates once and keeps in the database.
use crate::entity::app_setting;
use crate::services::common::ServiceError;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};

const SESSION_KEY: &str = "session_key";

/// The 64-byte key that signs and encrypts session cookies. Kept in the database so that a
/// restart, or a second instance on the same database, keeps everyone signed in.
/// Whether the shared session key exists yet (the first `serve` creates it); reads only.
pub async fn has_session_key(db: &DatabaseConnection) -> Result<bool, ServiceError> {
    Ok(app_setting::Entity::find_by_id(SESSION_KEY).one(db).await?.is_some())
}

pub async fn session_key(db: &DatabaseConnection) -> Result<Vec<u8>, ServiceError> {
    if let Some(row) = app_setting::Entity::find_by_id(SESSION_KEY).one(db).await? {
        return hex::decode(row.value.trim())
            .map_err(|_| ServiceError::Internal("stored session key is not hex".into()));
    }
    let key: [u8; 64] = rand::random();
    let inserted =
        app_setting::ActiveModel { key: Set(SESSION_KEY.to_owned()), value: Set(hex::encode(key)) }
            .insert(db)
            .await;
    match inserted {
        Ok(_) => Ok(key.to_vec()),
        // Another instance starting at the same moment won the race: use its key.
        Err(_) => {
            let row = app_setting::Entity::find_by_id(SESSION_KEY)
                .one(db)
                .await?
                .ok_or_else(|| ServiceError::Internal("session key vanished".into()))?;
            hex::decode(row.value.trim())
                .map_err(|_| ServiceError::Internal("stored session key is not hex".into()))
        }
    }
}
