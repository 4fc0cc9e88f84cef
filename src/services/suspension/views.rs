//! Read-side views of suspensions: counts and lists within the actor's scope, repeat
//! offenders, and what the support desk needs to answer a caller.
use super::record::{REPEAT_COUNT, REPEAT_WINDOW_DAYS, SuspensionRecord};
use crate::authz::{Actor, Scope};
use crate::domain::{Role, Service};
use crate::entity::{admin_domain, admin_user, suspension};
use crate::services::hierarchy::mailboxes::Mailbox;
use crate::services::{common::ServiceError, common::sql};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::HashMap;

/// `AND …` narrowing suspension rows (alias `s`) to the actor's scope.
fn scope_filter(actor: &Actor, values: &mut Vec<sea_orm::Value>) -> String {
    sql::scope_filter(actor, "s.company_id", "s.domain_id", values)
}

/// Suspended mailboxes in one domain (served by the partial index on open suspensions).
pub async fn count_in_domain(
    db: &DatabaseConnection,
    company_id: i32,
    domain_id: i32,
) -> Result<i64, ServiceError> {
    let query = "SELECT COUNT(DISTINCT s.mailbox_id) AS n FROM suspension s \
                 WHERE s.ended_at IS NULL AND s.company_id = ? AND s.domain_id = ?";
    let values = vec![company_id.into(), domain_id.into()];
    let row = db.query_one_raw(sql::statement(db.get_database_backend(), query, values)).await?;
    Ok(row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0))
}

/// Suspended mailboxes per domain of one company.
pub async fn counts_in_company(
    db: &DatabaseConnection,
    company_id: i32,
) -> Result<HashMap<i32, i64>, ServiceError> {
    let query = "SELECT s.domain_id, COUNT(DISTINCT s.mailbox_id) AS n FROM suspension s \
                 WHERE s.ended_at IS NULL AND s.company_id = ? GROUP BY s.domain_id";
    let rows =
        db.query_all_raw(sql::statement(db.get_database_backend(), query, vec![company_id.into()])).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "domain_id")?, r.try_get("", "n")?)))
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(ServiceError::from)
}

/// Suspended mailboxes per company, within the actor's scope.
pub async fn counts_by_company(
    db: &DatabaseConnection,
    actor: &Actor,
) -> Result<HashMap<i32, i64>, ServiceError> {
    let mut values = Vec::new();
    let filter = scope_filter(actor, &mut values);
    let query = format!(
        "SELECT s.company_id, COUNT(DISTINCT s.mailbox_id) AS n FROM suspension s \
         WHERE s.ended_at IS NULL AND s.mailbox_id IS NOT NULL{filter} GROUP BY s.company_id"
    );
    let rows = db.query_all_raw(sql::statement(db.get_database_backend(), &query, values)).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "company_id")?, r.try_get("", "n")?)))
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(ServiceError::from)
}

#[derive(Debug, Clone)]
pub struct SuspendedMailbox {
    pub mailbox_id: i32,
    pub address: String,
    pub company_id: i32,
    pub domain_id: i32,
    pub reason: String,
    pub since: DateTime<Utc>,
    pub started_by: String,
    pub services: Vec<String>,
}

/// Mailboxes with open suspensions in the actor's scope (optionally one company's), oldest
/// suspension first, at most `limit`.
pub async fn suspended_mailboxes(
    db: &DatabaseConnection,
    actor: &Actor,
    company_id: Option<i32>,
    limit: u64,
) -> Result<Vec<SuspendedMailbox>, ServiceError> {
    let mut query = suspension::Entity::find()
        .filter(suspension::Column::EndedAt.is_null())
        .filter(suspension::Column::MailboxId.is_not_null())
        .order_by_asc(suspension::Column::StartedAt)
        .order_by_asc(suspension::Column::Id);
    if let Some(c) = company_id {
        query = query.filter(suspension::Column::CompanyId.eq(c));
    }
    query = match actor.scope() {
        Scope::Everything => query,
        Scope::Company(id) => query.filter(suspension::Column::CompanyId.eq(id)),
        Scope::Domains(ids) => query.filter(suspension::Column::DomainId.is_in(ids)),
    };
    let rows = query.all(db).await?;
    let mut by_mailbox: Vec<SuspendedMailbox> = Vec::new();
    for row in rows {
        let Some(mailbox_id) = row.mailbox_id else { continue };
        let record = SuspensionRecord::from(row.clone());
        match by_mailbox.iter_mut().find(|m| m.mailbox_id == mailbox_id) {
            Some(entry) => entry.services.push(record.service.label().to_owned()),
            None => by_mailbox.push(SuspendedMailbox {
                mailbox_id,
                address: row.address,
                company_id: row.company_id,
                domain_id: row.domain_id,
                reason: record.reason.label().to_owned(),
                since: row.started_at,
                started_by: row.started_by,
                services: vec![record.service.label().to_owned()],
            }),
        }
        if by_mailbox.len() as u64 > limit {
            break;
        }
    }
    by_mailbox.truncate(limit as usize);
    Ok(by_mailbox)
}

#[derive(Debug, Clone)]
pub struct RepeatOffender {
    pub mailbox_id: i32,
    pub address: String,
    pub suspensions: i64,
}

/// Mailboxes of a company (or one of its domains) suspended 3+ times in 30 days, or suspended
/// again while on probation after a lift.
pub async fn repeat_offenders<C: ConnectionTrait>(
    db: &C,
    company_id: i32,
    domain_id: Option<i32>,
) -> Result<Vec<RepeatOffender>, ServiceError> {
    let since = Utc::now() - Duration::days(REPEAT_WINDOW_DAYS);
    let mut values: Vec<sea_orm::Value> = vec![since.into(), company_id.into()];
    let mut filter = String::new();
    if let Some(d) = domain_id {
        filter.push_str(" AND s.domain_id = ?");
        values.push(d.into());
    }
    values.push((REPEAT_COUNT as i64).into());
    let query = format!(
        "SELECT s.mailbox_id, s.address, COUNT(*) AS n FROM suspension s \
         WHERE s.service = 'send_mail' AND s.started_at >= ? AND s.company_id = ? \
           AND s.mailbox_id IS NOT NULL{filter} \
         GROUP BY s.mailbox_id, s.address \
         HAVING COUNT(*) >= ? OR SUM(CASE WHEN s.in_probation THEN 1 ELSE 0 END) > 0 \
         ORDER BY s.address LIMIT 100"
    );
    let rows = db.query_all_raw(sql::statement(db.get_database_backend(), &query, values)).await?;
    rows.iter()
        .map(|r| {
            Ok(RepeatOffender {
                mailbox_id: r.try_get("", "mailbox_id")?,
                address: r.try_get("", "address")?,
                suspensions: r.try_get("", "n")?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(ServiceError::from)
}

/// Open suspensions of several mailboxes (for the look-up), by mailbox id.
pub async fn open_by_mailbox(
    db: &DatabaseConnection,
    mailbox_ids: &[i32],
) -> Result<HashMap<i32, Vec<SuspensionRecord>>, ServiceError> {
    let mut map: HashMap<i32, Vec<SuspensionRecord>> = HashMap::new();
    if mailbox_ids.is_empty() {
        return Ok(map);
    }
    let rows = suspension::Entity::find()
        .filter(suspension::Column::MailboxId.is_in(mailbox_ids.to_vec()))
        .filter(suspension::Column::EndedAt.is_null())
        .order_by_asc(suspension::Column::Id)
        .all(db)
        .await?;
    for row in rows {
        if let Some(id) = row.mailbox_id {
            map.entry(id).or_default().push(row.into());
        }
    }
    Ok(map)
}

/// Who can lift a suspension in each of these domains: the company's admins and the domain's
/// admins, by login.
pub async fn lifters(
    db: &DatabaseConnection,
    places: &[(i32, i32)],
) -> Result<HashMap<i32, Vec<String>>, ServiceError> {
    let company_ids: Vec<i32> = places.iter().map(|(c, _)| *c).collect();
    let domain_ids: Vec<i32> = places.iter().map(|(_, d)| *d).collect();
    let company_admins = admin_user::Entity::find()
        .filter(admin_user::Column::Role.eq(Role::Company.as_str()))
        .filter(admin_user::Column::CompanyId.is_in(company_ids))
        .order_by_asc(admin_user::Column::Login)
        .all(db)
        .await?;
    let links =
        admin_domain::Entity::find().filter(admin_domain::Column::DomainId.is_in(domain_ids)).all(db).await?;
    let domain_admin_ids: Vec<i32> = links.iter().map(|l| l.admin_id).collect();
    let domain_admins: HashMap<i32, String> = admin_user::Entity::find()
        .filter(admin_user::Column::Id.is_in(domain_admin_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.login))
        .collect();
    let mut by_domain = HashMap::new();
    for (company_id, domain_id) in places {
        let mut names: Vec<String> = company_admins
            .iter()
            .filter(|a| a.company_id == Some(*company_id))
            .map(|a| format!("{} (company admin)", a.login))
            .collect();
        names.extend(
            links
                .iter()
                .filter(|l| l.domain_id == *domain_id)
                .filter_map(|l| domain_admins.get(&l.admin_id))
                .map(|login| format!("{login} (domain admin)")),
        );
        by_domain.insert(*domain_id, names);
    }
    Ok(by_domain)
}

/// Open suspensions of a mailbox the caller has already been authorized to see.
pub async fn open_for(
    db: &DatabaseConnection,
    mailbox: &Mailbox,
) -> Result<Vec<SuspensionRecord>, ServiceError> {
    Ok(suspension::Entity::find()
        .filter(suspension::Column::MailboxId.eq(mailbox.id))
        .filter(suspension::Column::EndedAt.is_null())
        .order_by_asc(suspension::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(SuspensionRecord::from)
        .collect())
}

/// Every suspension of the mailbox, newest first.
pub async fn history_for(
    db: &DatabaseConnection,
    mailbox: &Mailbox,
) -> Result<Vec<SuspensionRecord>, ServiceError> {
    Ok(suspension::Entity::find()
        .filter(suspension::Column::MailboxId.eq(mailbox.id))
        .order_by_desc(suspension::Column::StartedAt)
        .order_by_desc(suspension::Column::Id)
        .limit(500)
        .all(db)
        .await?
        .into_iter()
        .map(SuspensionRecord::from)
        .collect())
}

/// Three or more suspensions of Send Mail started within 30 days, or one started while on
/// probation after a lift.
pub async fn is_repeat_offender<C: ConnectionTrait>(db: &C, mailbox_id: i32) -> Result<bool, ServiceError> {
    let since = Utc::now() - Duration::days(REPEAT_WINDOW_DAYS);
    let recent = suspension::Entity::find()
        .filter(suspension::Column::MailboxId.eq(mailbox_id))
        .filter(suspension::Column::Service.eq(Service::SendMail.key()))
        .filter(suspension::Column::StartedAt.gte(since))
        .all(db)
        .await?;
    Ok(recent.len() as u64 >= REPEAT_COUNT || recent.iter().any(|s| s.in_probation))
}
