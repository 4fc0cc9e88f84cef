//! Soft-suspensions: suspending services for abuse, lifting them, and their history.
//!
//! Each suspended service has one open `suspension` row; the mailbox's service column reads
//! `suspended` exactly while that row is open. Both change in one transaction that first locks
//! the mailbox row, so two admins lifting at once give one lift and one "already lifted", and a
//! lift racing a new suspension leaves rows that explain the final state.
use super::audit::{self, Change};
use super::mailboxes::{self, Mailbox};
use super::passwords::{self, Secret};
use super::{FieldErrors, ServiceError, begin_write, domains};
use crate::authz::{Action, Actor};
use crate::domain::{LiftKind, Service, ServiceSet, ServiceState, SuspensionReason};
use crate::entity::{mailbox, suspension};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;

pub use super::suspension_views::{history_for, is_repeat_offender, open_for};

/// Suspensions of *Send Mail* within this many days that make a repeat offender.
pub const REPEAT_WINDOW_DAYS: i64 = 30;
pub const REPEAT_COUNT: u64 = 3;

#[derive(Debug, Clone)]
pub struct SuspensionRecord {
    pub id: i32,
    pub service: Service,
    pub reason: SuspensionReason,
    pub evidence: String,
    pub started_at: DateTime<Utc>,
    pub started_by: String,
    pub ended_at: Option<DateTime<Utc>>,
    pub ended_by: Option<String>,
    pub end_kind: Option<LiftKind>,
    pub end_note: Option<String>,
}

fn service_of(key: &str) -> Service {
    Service::ALL.into_iter().find(|s| s.key() == key).unwrap_or(Service::SendMail)
}

impl From<suspension::Model> for SuspensionRecord {
    fn from(m: suspension::Model) -> Self {
        Self {
            id: m.id,
            service: service_of(&m.service),
            reason: SuspensionReason::from_stored(&m.reason),
            evidence: m.evidence,
            started_at: m.started_at,
            started_by: m.started_by,
            ended_at: m.ended_at,
            ended_by: m.ended_by,
            end_kind: m.end_kind.as_deref().map(LiftKind::from_stored),
            end_note: m.end_note,
        }
    }
}

/// Sending is one thing to the user: suspending or lifting Send Mail takes Send via Webmail along.
fn with_linked(services: &[Service]) -> Vec<Service> {
    let mut all: Vec<Service> = services.to_vec();
    if all.contains(&Service::SendMail) && !all.contains(&Service::WebmailSend) {
        all.push(Service::WebmailSend);
    }
    all
}

/// The mailbox row, locked for this transaction (PostgreSQL `FOR UPDATE`; SQLite's write
/// transaction already excludes other writers).
pub(crate) async fn lock_mailbox(txn: &DatabaseTransaction, id: i32) -> Result<mailbox::Model, ServiceError> {
    mailbox::Entity::find_by_id(id).lock_exclusive().one(txn).await?.ok_or(ServiceError::NotFound)
}

async fn write_services(
    txn: &DatabaseTransaction,
    model: &mailbox::Model,
    services: &ServiceSet,
) -> Result<(), ServiceError> {
    let mut active: mailbox::ActiveModel = model.clone().into();
    mailboxes::set_services(&mut active, services);
    active.updated_at = Set(Utc::now());
    active.update(txn).await?;
    Ok(())
}

/// Suspends `services` inside `txn`; returns those newly suspended (already suspended ones are left).
pub(crate) async fn suspend_in(
    txn: &DatabaseTransaction,
    by: &str,
    mailbox_id: i32,
    services: &[Service],
    reason: SuspensionReason,
    evidence: &str,
) -> Result<(mailbox::Model, Vec<Service>), ServiceError> {
    let model = lock_mailbox(txn, mailbox_id).await?;
    let domain = domains::load(txn, model.domain_id).await?;
    let mut states = mailboxes::services_of(&model);
    let now = Utc::now();
    let mut suspended = Vec::new();
    for service in with_linked(services) {
        let previous = states.get(service);
        if previous == ServiceState::Suspended {
            continue;
        }
        suspension::ActiveModel {
            mailbox_id: Set(Some(model.id)),
            address: Set(model.address.clone()),
            domain_id: Set(domain.id),
            company_id: Set(domain.company_id),
            service: Set(service.key().to_owned()),
            previous_state: Set(previous.code()),
            reason: Set(reason.as_str().to_owned()),
            evidence: Set(evidence.to_owned()),
            started_at: Set(now),
            started_by: Set(by.to_owned()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        states.set(service, ServiceState::Suspended);
        suspended.push(service);
    }
    if !suspended.is_empty() {
        write_services(txn, &model, &states).await?;
    }
    Ok((model, suspended))
}

/// Ends the open suspensions of `services` inside `txn`; returns the services lifted.
pub(crate) async fn lift_in(
    txn: &DatabaseTransaction,
    by: &str,
    mailbox_id: i32,
    services: &[Service],
    kind: LiftKind,
    note: Option<&str>,
) -> Result<(mailbox::Model, Vec<Service>), ServiceError> {
    let model = lock_mailbox(txn, mailbox_id).await?;
    let keys: Vec<&str> = with_linked(services).iter().map(|s| s.key()).collect();
    let open = suspension::Entity::find()
        .filter(suspension::Column::MailboxId.eq(mailbox_id))
        .filter(suspension::Column::EndedAt.is_null())
        .filter(suspension::Column::Service.is_in(keys))
        .all(txn)
        .await?;
    let mut states = mailboxes::services_of(&model);
    let now = Utc::now();
    let mut lifted = Vec::new();
    for row in open {
        let ended = suspension::Entity::update_many()
            .col_expr(suspension::Column::EndedAt, sea_orm::sea_query::Expr::value(now))
            .col_expr(suspension::Column::EndedBy, sea_orm::sea_query::Expr::value(by))
            .col_expr(suspension::Column::EndKind, sea_orm::sea_query::Expr::value(kind.as_str()))
            .col_expr(suspension::Column::EndNote, sea_orm::sea_query::Expr::value(note.map(str::to_owned)))
            .filter(suspension::Column::Id.eq(row.id))
            .filter(suspension::Column::EndedAt.is_null())
            .exec(txn)
            .await?;
        if ended.rows_affected == 1 {
            let service = service_of(&row.service);
            states.set(service, ServiceState::from_code(row.previous_state));
            lifted.push(service);
        }
    }
    if lifted.is_empty() {
        return Err(ServiceError::Conflict("This suspension has already been lifted.".into()));
    }
    write_services(txn, &model, &states).await?;
    Ok((model, lifted))
}

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
    let (model, lifted) = lift_in(
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
        mailbox::Entity::update_many()
            .col_expr(mailbox::Column::PasswordHash, sea_orm::sea_query::Expr::value(hash))
            .filter(mailbox::Column::Id.eq(model.id))
            .exec(&txn)
            .await?;
        audit::record(
            &txn,
            actor,
            Change {
                company_id: Some(mailbox.domain.company_id),
                object_kind: "mailbox",
                object_id: Some(mailbox.id),
                object_label: &mailbox.address,
                action: "password",
                before: json!(null),
                after: json!({ "password": "changed" }),
            },
        )
        .await?;
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
    let current = mailboxes::services_of(&lock_mailbox(&txn, mailbox_id).await?);
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
