//! The two state changes every suspension path goes through, inside the caller's transaction:
//! suspend and lift. Each suspended service has one open `suspension` row; the mailbox's service
//! column reads `suspended` exactly while that row is open. Both lock the mailbox row first, so
//! two admins lifting at once give one lift and one "already lifted", and a lift racing a new
//! suspension leaves rows that explain the final state.
use super::record::service_of;
use crate::domain::{LiftKind, Service, ServiceSet, ServiceState, SuspensionReason};
use crate::enforcement::limits;
use crate::entity::{company, mailbox, suspension};
use crate::services::common::ServiceError;
use crate::services::hierarchy::{domains, service_columns};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Set,
};

/// Sending is one thing to the user: suspending or lifting Send Mail takes Send via Webmail along.
pub(crate) fn with_linked(services: &[Service]) -> Vec<Service> {
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
    active.send_lifted_at = Set(model.send_lifted_at);
    service_columns::set_services(&mut active, services);
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
    let mut states = service_columns::services_of(&model);
    let now = Utc::now();
    let mut suspended = Vec::new();
    // Suspended again inside probation after a lift: a repeat offender at once.
    let probation_on =
        company::Entity::find_by_id(domain.company_id).one(txn).await?.is_some_and(|c| c.probation);
    let in_probation = limits::on_probation(probation_on, model.send_lifted_at, now);
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
            in_probation: Set(in_probation && service == Service::SendMail),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        states.set(service, ServiceState::Suspended);
        suspended.push(service);
        metrics::counter!("mailadmin_suspensions_opened_total", "reason" => reason.as_str()).increment(1);
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
    let mut states = service_columns::services_of(&model);
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
            metrics::counter!("mailadmin_suspensions_lifted_total", "kind" => kind.as_str()).increment(1);
        }
    }
    if lifted.is_empty() {
        return Err(ServiceError::Conflict("This suspension has already been lifted.".into()));
    }
    let mut model = model;
    if lifted.contains(&Service::SendMail) {
        // Sending is counted afresh from the lift, and probation runs from it.
        model.send_lifted_at = Some(now);
    }
    write_services(txn, &model, &states).await?;
    Ok((model, lifted))
}
