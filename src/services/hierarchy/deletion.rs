//! What may be deleted: nothing with a soft-suspended mailbox in it. The check lives here, below
//! the suspension part, because deleting is the hierarchy's business; it only reads the open
//! suspension rows.
use crate::entity::suspension;
use crate::services::common::ServiceError;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

/// Refuses to go on while any of these mailboxes is suspended, naming them.
pub(crate) async fn refuse_if_suspended<C: ConnectionTrait>(
    db: &C,
    condition: sea_orm::Condition,
    what: &str,
) -> Result<(), ServiceError> {
    let open = suspension::Entity::find()
        .filter(suspension::Column::EndedAt.is_null())
        .filter(condition)
        .order_by_asc(suspension::Column::Address)
        .all(db)
        .await?;
    let mut addresses: Vec<String> = open.into_iter().map(|s| s.address).collect();
    addresses.dedup();
    if addresses.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = addresses.iter().take(10).map(String::as_str).collect();
    let more =
        if addresses.len() > 10 { format!(" and {} more", addresses.len() - 10) } else { String::new() };
    let message = if what == "This mailbox" {
        format!(
            "{} is soft-suspended: lift the suspension on its Status page first, then delete it.",
            shown.join(", ")
        )
    } else {
        format!(
            "{what} cannot be deleted while mailboxes in it are soft-suspended. Lift their suspensions first: {}{more}.",
            shown.join(", ")
        )
    };
    Err(ServiceError::Conflict(message))
}

/// For confirmation pages: refuses at once what the deletion itself would refuse, so the UI
/// never offers a step the server will not take.
pub async fn ensure_deletable(db: &DatabaseConnection, what: Deletable) -> Result<(), ServiceError> {
    let (condition, label) = match what {
        Deletable::Mailbox(id) => (suspension::Column::MailboxId.eq(id), "This mailbox"),
        Deletable::Domain(id) => (suspension::Column::DomainId.eq(id), "This domain"),
        Deletable::Company(id) => (suspension::Column::CompanyId.eq(id), "This company"),
    };
    refuse_if_suspended(db, sea_orm::Condition::all().add(condition), label).await
}

#[derive(Debug, Clone, Copy)]
pub enum Deletable {
    Mailbox(i32),
    Domain(i32),
    Company(i32),
}
