//! Setting limits: the platform sets a company's limits, breach action and probation; a
//! company's admins may set tighter limits for its domains, and a domain's admins for its
//! mailboxes. Only the platform may loosen a limit past what is inherited: the limits are the
//! provider's protection of its sending reputation, not the customer's.
use crate::authz::{Action, Actor, Place};
use crate::domain::Role;
use crate::enforcement::limits::{self, BreachAction, Limits};
use crate::entity::{company, domain, mailbox};
use crate::services::audit::{self, Change};
use crate::services::common::{FieldErrors, ServiceError, authorize, begin_write};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};
use serde_json::{Value, json};

/// A company's sending rules as its form sets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompanySending {
    pub limits: Limits,
    pub breach: BreachAction,
    pub probation: bool,
}

fn columns(l: &Limits) -> (Option<i32>, Option<i32>, Option<i32>) {
    let v = |n: Option<u32>| n.map(|n| n.min(i32::MAX as u32) as i32);
    (v(l.daily), v(l.external_hourly), v(l.internal_hourly))
}

fn limits_json(l: &Limits) -> Value {
    json!({ "daily": l.daily, "external_hourly": l.external_hourly, "internal_hourly": l.internal_hourly })
}

/// Saves `model` and its audit entry in one transaction.
async fn write_audited<A>(
    db: &DatabaseConnection,
    actor: &Actor,
    model: A,
    change: Change<'_>,
) -> Result<(), ServiceError>
where
    A: ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
    <A::Entity as sea_orm::EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
{
    let txn = begin_write(db).await?;
    model.update(&txn).await?;
    audit::record(&txn, actor, change).await?;
    txn.commit().await?;
    Ok(())
}

/// Refuses, field by field, a limit above the inherited one, unless the platform sets it.
fn tighten_only(actor: &Actor, wanted: &Limits, inherited: &Limits) -> Result<(), ServiceError> {
    if actor.role == Role::Platform {
        return Ok(());
    }
    let mut errors = FieldErrors::default();
    for (field, want, has) in [
        ("limit_daily", wanted.daily, inherited.daily),
        ("limit_external_hourly", wanted.external_hourly, inherited.external_hourly),
        ("limit_internal_hourly", wanted.internal_hourly, inherited.internal_hourly),
    ] {
        if let (Some(want), Some(has)) = (want, has)
            && want > has
        {
            errors.add(
                field,
                format!("At most {has}: only the platform can raise a limit past the inherited one."),
            );
        }
    }
    errors.into_result()
}

pub async fn update_company(
    db: &DatabaseConnection,
    actor: &Actor,
    company_id: i32,
    wanted: CompanySending,
) -> Result<(), ServiceError> {
    let existing = company::Entity::find_by_id(company_id).one(db).await?.ok_or(ServiceError::NotFound)?;
    authorize(actor, Action::ManageCompanies, Place::Company(company_id))?;
    let before = json!({
        "limits": limits_json(&own_of(existing.limit_daily, existing.limit_external_hourly, existing.limit_internal_hourly)),
        "breach": existing.limit_breach,
        "probation": existing.probation,
    });
    let label = existing.name.clone();
    let (daily, external, internal) = columns(&wanted.limits);
    let mut model: company::ActiveModel = existing.into();
    model.limit_daily = Set(daily);
    model.limit_external_hourly = Set(external);
    model.limit_internal_hourly = Set(internal);
    model.limit_breach = Set(wanted.breach.as_str().to_owned());
    model.probation = Set(wanted.probation);
    model.updated_at = Set(Utc::now());
    let after = json!({ "limits": limits_json(&wanted.limits), "breach": wanted.breach.as_str(), "probation": wanted.probation });
    write_audited(
        db,
        actor,
        model,
        Change {
            company_id: Some(company_id),
            object_kind: "company",
            object_id: Some(company_id),
            object_label: &label,
            action: "set_limits",
            before,
            after,
        },
    )
    .await
}

/// The limits a domain inherits: its company's, else the provider's.
pub fn inherited_by_domain(c: &company::Model) -> Limits {
    Limits::from_columns(c.limit_daily, c.limit_external_hourly, c.limit_internal_hourly)
        .or(limits::DEFAULT_LIMITS)
}

/// The limits a mailbox inherits: its domain's, its company's, the provider's.
pub fn inherited_by_mailbox(d: &domain::Model, c: &company::Model) -> Limits {
    Limits::from_columns(d.limit_daily, d.limit_external_hourly, d.limit_internal_hourly)
        .or(inherited_by_domain(c))
}

pub async fn update_domain(
    db: &DatabaseConnection,
    actor: &Actor,
    domain_id: i32,
    wanted: Limits,
) -> Result<(), ServiceError> {
    let existing = domain::Entity::find_by_id(domain_id).one(db).await?.ok_or(ServiceError::NotFound)?;
    authorize(actor, Action::ManageDomains, Place::Domain { company_id: existing.company_id, domain_id })?;
    let c = company::Entity::find_by_id(existing.company_id).one(db).await?.ok_or(ServiceError::NotFound)?;
    tighten_only(actor, &wanted, &inherited_by_domain(&c))?;
    let before = limits_json(&own_of(
        existing.limit_daily,
        existing.limit_external_hourly,
        existing.limit_internal_hourly,
    ));
    let label = existing.name.clone();
    let (daily, external, internal) = columns(&wanted);
    let mut model: domain::ActiveModel = existing.into();
    model.limit_daily = Set(daily);
    model.limit_external_hourly = Set(external);
    model.limit_internal_hourly = Set(internal);
    model.updated_at = Set(Utc::now());
    write_audited(
        db,
        actor,
        model,
        Change {
            company_id: Some(c.id),
            object_kind: "domain",
            object_id: Some(domain_id),
            object_label: &label,
            action: "set_limits",
            before,
            after: limits_json(&wanted),
        },
    )
    .await
}

pub async fn update_mailbox(
    db: &DatabaseConnection,
    actor: &Actor,
    mailbox_id: i32,
    wanted: Limits,
) -> Result<(), ServiceError> {
    let existing = mailbox::Entity::find_by_id(mailbox_id).one(db).await?.ok_or(ServiceError::NotFound)?;
    let d = domain::Entity::find_by_id(existing.domain_id).one(db).await?.ok_or(ServiceError::NotFound)?;
    authorize(actor, Action::ManageMailboxes, Place::Domain { company_id: d.company_id, domain_id: d.id })?;
    let c = company::Entity::find_by_id(d.company_id).one(db).await?.ok_or(ServiceError::NotFound)?;
    tighten_only(actor, &wanted, &inherited_by_mailbox(&d, &c))?;
    let before = limits_json(&own_of(
        existing.limit_daily,
        existing.limit_external_hourly,
        existing.limit_internal_hourly,
    ));
    let label = existing.address.clone();
    let (daily, external, internal) = columns(&wanted);
    let mut model: mailbox::ActiveModel = existing.into();
    model.limit_daily = Set(daily);
    model.limit_external_hourly = Set(external);
    model.limit_internal_hourly = Set(internal);
    model.updated_at = Set(Utc::now());
    write_audited(
        db,
        actor,
        model,
        Change {
            company_id: Some(c.id),
            object_kind: "mailbox",
            object_id: Some(mailbox_id),
            object_label: &label,
            action: "set_limits",
            before,
            after: limits_json(&wanted),
        },
    )
    .await
}

/// What a limits page shows: the object's own limits, what it inherits, and who may edit.
#[derive(Debug, Clone)]
pub struct LimitsView {
    pub label: String,
    pub company_id: i32,
    pub own: Limits,
    /// What applies where `own` leaves a limit unset.
    pub inherited: Limits,
    /// The company's breach action and probation setting (shown on every page, set on the
    /// company's).
    pub breach: BreachAction,
    pub probation: bool,
    pub can_edit: bool,
}

fn own_of(daily: Option<i32>, external: Option<i32>, internal: Option<i32>) -> Limits {
    Limits::from_columns(daily, external, internal)
}

pub async fn company_view(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
) -> Result<LimitsView, ServiceError> {
    let c = company::Entity::find_by_id(id).one(db).await?.ok_or(ServiceError::NotFound)?;
    authorize(actor, Action::View, Place::Company(id))?;
    Ok(LimitsView {
        label: c.name.clone(),
        company_id: c.id,
        own: own_of(c.limit_daily, c.limit_external_hourly, c.limit_internal_hourly),
        inherited: limits::DEFAULT_LIMITS,
        breach: BreachAction::from_stored(&c.limit_breach),
        probation: c.probation,
        can_edit: actor.may(Action::ManageCompanies, Place::Company(id)),
    })
}

pub async fn domain_view(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
) -> Result<LimitsView, ServiceError> {
    let d = domain::Entity::find_by_id(id).one(db).await?.ok_or(ServiceError::NotFound)?;
    authorize(actor, Action::View, Place::Domain { company_id: d.company_id, domain_id: d.id })?;
    let c = company::Entity::find_by_id(d.company_id).one(db).await?.ok_or(ServiceError::NotFound)?;
    Ok(LimitsView {
        label: d.name.clone(),
        company_id: c.id,
        own: own_of(d.limit_daily, d.limit_external_hourly, d.limit_internal_hourly),
        inherited: inherited_by_domain(&c),
        breach: BreachAction::from_stored(&c.limit_breach),
        probation: c.probation,
        can_edit: actor.may(Action::ManageDomains, Place::Domain { company_id: c.id, domain_id: d.id }),
    })
}

pub async fn mailbox_view(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
) -> Result<LimitsView, ServiceError> {
    let m = mailbox::Entity::find_by_id(id).one(db).await?.ok_or(ServiceError::NotFound)?;
    let d = domain::Entity::find_by_id(m.domain_id).one(db).await?.ok_or(ServiceError::NotFound)?;
    let place = Place::Domain { company_id: d.company_id, domain_id: d.id };
    authorize(actor, Action::View, place)?;
    let c = company::Entity::find_by_id(d.company_id).one(db).await?.ok_or(ServiceError::NotFound)?;
    Ok(LimitsView {
        label: m.address.clone(),
        company_id: c.id,
        own: own_of(m.limit_daily, m.limit_external_hourly, m.limit_internal_hourly),
        inherited: inherited_by_mailbox(&d, &c),
        breach: BreachAction::from_stored(&c.limit_breach),
        probation: c.probation,
        can_edit: actor.may(Action::ManageMailboxes, place),
    })
}
