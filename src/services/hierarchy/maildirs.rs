//! Maildirs left by deleted mailboxes. Deleting a mailbox stops its mail at once (it leaves the
//! mail servers' views), but its stored mail stays on the mail host: mailadmin never reaches
//! into the mail store from the dashboard. `mailadmin maildirs` lists what is left and, when
//! the operator asks, removes what was deleted long enough ago. Each maildir's name ends in its
//! mailbox's id (`domain/local_part.ID/`), so a maildir is matched to its mailbox exactly, and
//! an address created again never finds the old owner's mail.
use crate::entity::{audit_entry, mailbox};
use crate::services::common::ServiceError;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use std::collections::HashMap;

/// The mailbox id a maildir's directory name ends in: `anna.schmidt.42` → 42.
pub fn mailbox_id_of(dir_name: &str) -> Option<i32> {
    let (local, id) = dir_name.rsplit_once('.')?;
    if local.is_empty() || id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

/// Of these mailbox ids, those deleted: each with when, from the audit log (`None` when the
/// log no longer has it, or never had it).
pub async fn deleted_among(
    db: &DatabaseConnection,
    ids: &[i32],
) -> Result<HashMap<i32, Option<DateTime<Utc>>>, ServiceError> {
    let mut deleted = HashMap::new();
    for chunk in ids.chunks(500) {
        let existing: Vec<i32> = mailbox::Entity::find()
            .select_only()
            .column(mailbox::Column::Id)
            .filter(mailbox::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        let gone: Vec<i32> = chunk.iter().copied().filter(|id| !existing.contains(id)).collect();
        if gone.is_empty() {
            continue;
        }
        let logged: Vec<(Option<i32>, DateTime<Utc>)> = audit_entry::Entity::find()
            .select_only()
            .columns([audit_entry::Column::ObjectId, audit_entry::Column::At])
            .filter(audit_entry::Column::ObjectKind.eq("mailbox"))
            .filter(audit_entry::Column::Action.eq("delete"))
            .filter(audit_entry::Column::ObjectId.is_in(gone.clone()))
            .into_tuple()
            .all(db)
            .await?;
        for id in gone {
            let at = logged.iter().find(|(object, _)| *object == Some(id)).map(|(_, at)| *at);
            deleted.insert(id, at);
        }
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::mailbox_id_of;

    #[test]
    fn the_id_is_the_last_dotted_part() {
        assert_eq!(mailbox_id_of("anna.schmidt.42"), Some(42));
        assert_eq!(mailbox_id_of("anna.7"), Some(7));
        assert_eq!(mailbox_id_of("anna"), None);
        assert_eq!(mailbox_id_of("anna.schmidt"), None);
        assert_eq!(mailbox_id_of(".42"), None);
    }
}
