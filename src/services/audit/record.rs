//! Recording a change in the audit log: every change is written in the transaction that makes
//! it, so an entry exists exactly when the change does. Entries are never updated or deleted
//! (the database refuses).
use crate::authz::Actor;
use crate::entity::audit_entry;
use crate::services::common::ServiceError;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde_json::Value;
/// One change, as the service that makes it describes it.
pub struct Change<'a> {
    pub company_id: Option<i32>,
    /// `company`, `domain`, `mailbox`, `admin_user`, `abuse_contact`, `suspension`, `session`.
    pub object_kind: &'static str,
    pub object_id: Option<i32>,
    pub object_label: &'a str,
    /// `create`, `update`, `delete`, `suspend`, `lift`, `password`, `sign_in`, `sign_in_failed`…
    pub action: &'static str,
    pub before: Value,
    pub after: Value,
}

pub async fn record<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    change: Change<'_>,
) -> Result<(), ServiceError> {
    record_as(db, &actor.login, actor.role.as_str(), actor_id(actor), &actor.client_addr, change).await
}

fn actor_id(actor: &Actor) -> Option<i32> {
    // Command-line tools act as the system (id 0), which is no admin user.
    (actor.admin_id > 0).then_some(actor.admin_id)
}

/// For events without a signed-in actor (failed sign-ins, the complaint intake).
pub async fn record_as<C: ConnectionTrait>(
    db: &C,
    login: &str,
    role: &str,
    admin_id: Option<i32>,
    client_addr: &str,
    change: Change<'_>,
) -> Result<(), ServiceError> {
    audit_entry::ActiveModel {
        at: Set(Utc::now()),
        actor_login: Set(login.to_owned()),
        actor_role: Set(role.to_owned()),
        actor_admin_id: Set(admin_id),
        client_addr: Set(client_addr.to_owned()),
        company_id: Set(change.company_id),
        object_kind: Set(change.object_kind.to_owned()),
        object_id: Set(change.object_id),
        object_label: Set(change.object_label.to_owned()),
        action: Set(change.action.to_owned()),
        before: Set(change.before.to_string()),
        after: Set(change.after.to_string()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
