//! Read-side of the complaint intake: lists per mailbox, per company, unattributed, the
//! quarantine, and complaints per day for the charts.
use crate::authz::{Action, Actor, Place};
use crate::entity::{complaint, quarantine};
use crate::services::{common::ServiceError, common::authorize};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::HashMap;

pub const PAGE_SIZE: u64 = 50;

/// Complaints newest first; `before` is the id to page below.
pub async fn for_mailbox(
    db: &DatabaseConnection,
    mailbox_id: i32,
    before: Option<i32>,
) -> Result<Vec<complaint::Model>, ServiceError> {
    let mut query = complaint::Entity::find().filter(complaint::Column::MailboxId.eq(mailbox_id));
    if let Some(before) = before {
        query = query.filter(complaint::Column::Id.lt(before));
    }
    Ok(query.order_by_desc(complaint::Column::Id).limit(PAGE_SIZE).all(db).await?)
}

pub async fn for_company(
    db: &DatabaseConnection,
    actor: &Actor,
    company_id: i32,
    before: Option<i32>,
) -> Result<Vec<complaint::Model>, ServiceError> {
    authorize(actor, Action::View, Place::Company(company_id))?;
    let mut query = complaint::Entity::find().filter(complaint::Column::CompanyId.eq(company_id));
    if let Some(before) = before {
        query = query.filter(complaint::Column::Id.lt(before));
    }
    Ok(query.order_by_desc(complaint::Column::Id).limit(PAGE_SIZE).all(db).await?)
}

/// Complaints about addresses we do not host, or that could not be attributed (platform only).
pub async fn unattributed(
    db: &DatabaseConnection,
    actor: &Actor,
    before: Option<i32>,
) -> Result<Vec<complaint::Model>, ServiceError> {
    authorize(actor, Action::View, Place::Platform)?;
    // A deleted mailbox's complaints keep their company: they are attributed, not unattributed.
    let mut query = complaint::Entity::find()
        .filter(complaint::Column::MailboxId.is_null())
        .filter(complaint::Column::CompanyId.is_null());
    if let Some(before) = before {
        query = query.filter(complaint::Column::Id.lt(before));
    }
    Ok(query.order_by_desc(complaint::Column::Id).limit(PAGE_SIZE).all(db).await?)
}

/// One complaint, if the actor may see the mailbox or company it belongs to.
pub async fn get(db: &DatabaseConnection, actor: &Actor, id: i32) -> Result<complaint::Model, ServiceError> {
    let model = complaint::Entity::find_by_id(id).one(db).await?.ok_or(ServiceError::NotFound)?;
    match (model.company_id, model.mailbox_id) {
        (Some(_), Some(mailbox_id)) => {
            crate::services::hierarchy::mailboxes::get(db, actor, mailbox_id).await?;
        }
        // The mailbox was deleted since: the company's admins may still read it.
        (Some(company_id), None) => {
            authorize(actor, Action::View, Place::Company(company_id))?;
            if actor.role == crate::domain::Role::Domain {
                return Err(ServiceError::NotFound);
            }
        }
        _ => authorize(actor, Action::View, Place::Platform)?,
    }
    Ok(model)
}

pub async fn quarantine_list(
    db: &DatabaseConnection,
    actor: &Actor,
    before: Option<i32>,
) -> Result<Vec<quarantine::Model>, ServiceError> {
    authorize(actor, Action::View, Place::Platform)?;
    let mut query = quarantine::Entity::find();
    if let Some(before) = before {
        query = query.filter(quarantine::Column::Id.lt(before));
    }
    Ok(query.order_by_desc(quarantine::Column::Id).limit(PAGE_SIZE).all(db).await?)
}

pub async fn quarantined(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
) -> Result<quarantine::Model, ServiceError> {
    authorize(actor, Action::View, Place::Platform)?;
    quarantine::Entity::find_by_id(id).one(db).await?.ok_or(ServiceError::NotFound)
}

/// Complaints per day (UTC) over the last `days` days, oldest first, zero-filled.
pub async fn per_day<C: ConnectionTrait>(
    db: &C,
    mailbox_id: Option<i32>,
    company_id: Option<i32>,
    days: i64,
) -> Result<Vec<(NaiveDate, i64)>, ServiceError> {
    let today = Utc::now().date_naive();
    let first = today - Duration::days(days - 1);
    let since: DateTime<Utc> = first.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or_else(Utc::now);
    let mut query = complaint::Entity::find()
        .filter(complaint::Column::ReceivedAt.gte(since))
        .filter(complaint::Column::Counts.eq(true));
    if let Some(m) = mailbox_id {
        query = query.filter(complaint::Column::MailboxId.eq(m));
    }
    if let Some(c) = company_id {
        query = query.filter(complaint::Column::CompanyId.eq(c));
    }
    // Bucketed here rather than in SQL: date functions differ between the two databases, and a
    // month of one company's complaints is small.
    let times: Vec<DateTime<Utc>> =
        query.select_only().column(complaint::Column::ReceivedAt).into_tuple().all(db).await?;
    let mut counts: HashMap<NaiveDate, i64> = HashMap::new();
    for at in times {
        *counts.entry(at.date_naive()).or_default() += 1;
    }
    Ok((0..days)
        .map(|i| first + Duration::days(i))
        .map(|d| (d, counts.get(&d).copied().unwrap_or(0)))
        .collect())
}

/// Counted complaints in the current window, for several mailboxes (the look-up): one query
/// finds those with complaints in the last 24 hours; only those are refined by their last lift.
pub async fn window_counts(
    db: &DatabaseConnection,
    mailbox_ids: &[i32],
) -> Result<HashMap<i32, u64>, ServiceError> {
    let mut counts = HashMap::new();
    if mailbox_ids.is_empty() {
        return Ok(counts);
    }
    let now = Utc::now();
    let since = now - Duration::hours(super::rule::WINDOW_HOURS);
    let with_complaints: Vec<Option<i32>> = complaint::Entity::find()
        .filter(complaint::Column::MailboxId.is_in(mailbox_ids.to_vec()))
        .filter(complaint::Column::Counts.eq(true))
        .filter(complaint::Column::ReceivedAt.gt(since))
        .select_only()
        .column(complaint::Column::MailboxId)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    for id in with_complaints.into_iter().flatten() {
        let (count, _) = super::rule::window_count(db, id, now).await?;
        if count > 0 {
            counts.insert(id, count);
        }
    }
    Ok(counts)
}
