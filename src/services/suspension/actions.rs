//! What an admin does on a mailbox's Status page: suspend by hand, lift, educate and lift,
//! lift and delete, or save the page's ticks (lifting and suspending together). Each is one
//! transaction through [`super::transitions`], audited.
use super::transitions::{lift_in, lock_mailbox, suspend_in, with_linked};
use crate::authz::{Action, Actor};
use crate::domain::{LiftKind, Service, ServiceState, SuspensionReason};
use crate::services::audit::{self, Change};
use crate::services::common::passwords::{self, Secret};
use crate::services::common::{FieldErrors, ServiceError, begin_write};
use crate::services::hierarchy::mailboxes::{self, Mailbox};
use crate::services::hierarchy::service_columns::services_of;
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use serde_json::json;

fn keys(services: &[Service]) -> Vec<&'static str> {
    services.iter().map(|s| s.key()).collect()
}

async fn audit_suspend(
    txn: &DatabaseTransaction,
    actor: &Actor,
    mailbox: &Mailbox,
    services: &[Service],
    reason: SuspensionReason,
    evidence: &str,
) -> Result<(), ServiceError> {
    audit::record(
        txn,
        actor,
        Change {
            company_id: Some(mailbox.domain.company_id),
            object_kind: "mailbox",
            object_id: Some(mailbox.id),
            object_label: &mailbox.address,
            action: "suspend",
            before: json!({ "suspended": [] }),
            after: json!({ "suspended": keys(services), "reason": reason.as_str(), "evidence": evidence }),
        },
    )
    .await
}

async fn audit_lift(
    txn: &DatabaseTransaction,
    actor: &Actor,
    mailbox: &Mailbox,
    services: &[Service],
    kind: LiftKind,
    note: Option<&str>,
) -> Result<(), ServiceError> {
    audit::record(
        txn,
        actor,
        Change {
            company_id: Some(mailbox.domain.company_id),
            object_kind: "mailbox",
            object_id: Some(mailbox.id),
            object_label: &mailbox.address,
            action: "lift",
            before: json!({ "suspended": keys(services) }),
            after: json!({ "lifted": keys(services), "how": kind.as_str(), "note": note }),
        },
    )
    .await
}

/// Suspends services by hand (reason and evidence required by the caller's form).
pub async fn suspend(
    db: &DatabaseConnection,
    actor: &Actor,
    mailbox_id: i32,
    services: &[Service],
    reason: SuspensionReason,
    evidence: &str,
) -> Result<(), ServiceError> {
    let mailbox = mailboxes::get_for(db, actor, mailbox_id, Action::ManageMailboxes).await?;
    let txn = begin_write(db).await?;
    let (_, suspended) = suspend_in(&txn, &actor.login, mailbox_id, services, reason, evidence).await?;
    if suspended.is_empty() {
        return Err(ServiceError::Conflict("These services are suspended already.".into()));
    }
    audit_suspend(&txn, actor, &mailbox, &suspended, reason, evidence).await?;
    txn.commit().await?;
    tracing::info!(mailbox_id, actor = %actor.login, reason = reason.as_str(), "services suspended");
    Ok(())
}

/// Lifts the suspension of `services` (Send Mail takes Send via Webmail along).
pub async fn lift(
    db: &DatabaseConnection,
    actor: &Actor,
    mailbox_id: i32,
    services: &[Service],
    kind: LiftKind,
    note: Option<&str>,
) -> Result<Vec<Service>, ServiceError> {
    let mailbox = mailboxes::get_for(db, actor, mailbox_id, Action::ManageMailboxes).await?;
    let txn = begin_write(db).await?;
    let (_, lifted) = lift_in(&txn, &actor.login, mailbox_id, services, kind, note).await?;
    audit_lift(&txn, actor, &mailbox, &lifted, kind, note).await?;
    txn.commit().await?;
    tracing::info!(mailbox_id, actor = %actor.login, how = kind.as_str(), "suspension lifted");
    Ok(lifted)
}

/// Lifts every open suspension of the mailbox.
pub async fn lift_all(
    db: &DatabaseConnection,
    actor: &Actor,
    mailbox_id: i32,
    kind: LiftKind,
    note: Option<&str>,
) -> Result<Vec<Service>, ServiceError> {
    lift(db, actor, mailbox_id, &Service::ALL, kind, note).await
}

/// *Educate and lift*: a note of what the user was told is required; a new mailbox password
/// may be set in the same transaction (a stolen password is the usual cause).
pub async fn educate_and_lift(
    db: &DatabaseConnection,
    actor: &Actor,
    mailbox_id: i32,
    note: &str,
    new_password: Option<Secret>,
) -> Result<(), ServiceError> {
    let mailbox = mailboxes::get_for(db, actor, mailbox_id, Action::ManageMailboxes).await?;
    let mut errors = FieldErrors::default();
    if note.trim().is_empty() {
        errors.add("note", "Write down what the user was told.");
    }
    if let Some(Err(message)) = new_password.as_ref().map(passwords::check_strength) {
        errors.add("new_password", message);
    }
    errors.into_result()?;
    let hash = match new_password {
        Some(secret) => Some(passwords::hash(secret).await?),
        None => None,
    };
    let txn = begin_write(db).await?;
    let (_, lifted) = lift_in(
        &txn,
        &actor.login,
        mailbox_id,
        &Service::ALL,
        LiftKind::EducatedAndLifted,
        Some(note.trim()),
    )
    .await?;
    audit_lift(&txn, actor, &mailbox, &lifted, LiftKind::EducatedAndLifted, Some(note.trim())).await?;
    if let Some(hash) = hash {
        mailboxes::set_password_in(&txn, actor, &mailbox, hash).await?;
    }
    txn.commit().await?;
    tracing::info!(mailbox_id, actor = %actor.login, "user educated, suspension lifted");
    Ok(())
}

/// *Delete the account*: lifts every open suspension and deletes the mailbox, in one transaction.
pub async fn lift_and_delete(
    db: &DatabaseConnection,
    actor: &Actor,
    mailbox_id: i32,
    note: Option<&str>,
) -> Result<Mailbox, ServiceError> {
    let mailbox = mailboxes::get_for(db, actor, mailbox_id, Action::ManageMailboxes).await?;
    let txn = begin_write(db).await?;
    match lift_in(&txn, &actor.login, mailbox_id, &Service::ALL, LiftKind::LiftedForDeletion, note).await {
        Ok((_, lifted)) => {
            audit_lift(&txn, actor, &mailbox, &lifted, LiftKind::LiftedForDeletion, note).await?
        }
        Err(ServiceError::Conflict(_)) => {} // nothing was suspended: a plain deletion
        Err(other) => return Err(other),
    }
    mailboxes::delete_in(&txn, actor, &mailbox).await?;
    txn.commit().await?;
    tracing::info!(mailbox_id, actor = %actor.login, "suspension lifted and mailbox deleted");
    Ok(mailbox)
}

/// What the Status page asks for: the services to be suspended after saving.
pub struct StatusChange<'a> {
    pub suspended: &'a [Service],
    /// Needed when a service is newly ticked.
    pub reason: Option<SuspensionReason>,
    pub evidence: &'a str,
}

/// Saves the Status page: unticked services are lifted, newly ticked ones suspended, together.
/// Returns (suspended, lifted).
pub async fn save_status(
    db: &DatabaseConnection,
    actor: &Actor,
    mailbox_id: i32,
    change: StatusChange<'_>,
) -> Result<(Vec<Service>, Vec<Service>), ServiceError> {
    let mailbox = mailboxes::get_for(db, actor, mailbox_id, Action::ManageMailboxes).await?;
    let txn = begin_write(db).await?;
    let current = services_of(&lock_mailbox(&txn, mailbox_id).await?);
    let wanted = with_linked(change.suspended);
    let to_lift: Vec<Service> = Service::ALL
        .into_iter()
        .filter(|s| current.get(*s) == ServiceState::Suspended && !wanted.contains(s))
        .collect();
    let to_suspend: Vec<Service> =
        wanted.iter().copied().filter(|s| current.get(*s) != ServiceState::Suspended).collect();
    let mut lifted = Vec::new();
    if !to_lift.is_empty() {
        lifted = lift_in(&txn, &actor.login, mailbox_id, &to_lift, LiftKind::Lifted, None).await?.1;
        audit_lift(&txn, actor, &mailbox, &lifted, LiftKind::Lifted, None).await?;
    }
    let mut suspended = Vec::new();
    if !to_suspend.is_empty() {
        let mut errors = FieldErrors::default();
        if change.reason.is_none() {
            errors.add("reason", "Choose why these services are suspended.");
        }
        if change.evidence.trim().is_empty() {
            errors.add("evidence", "Describe the evidence (what was seen, where).");
        }
        errors.into_result()?;
        let reason = change.reason.unwrap_or(SuspensionReason::Manual);
        suspended =
            suspend_in(&txn, &actor.login, mailbox_id, &to_suspend, reason, change.evidence.trim()).await?.1;
        audit_suspend(&txn, actor, &mailbox, &suspended, reason, change.evidence.trim()).await?;
    }
    txn.commit().await?;
    Ok((suspended, lifted))
}
