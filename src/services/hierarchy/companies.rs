//! Companies: the hosting provider's customers.
use crate::authz::{Action, Actor, Place, Scope};
use crate::domain::{CompanyName, CompanyStatus, ComplaintAllowance};
use crate::entity::{admin_domain, admin_user, company, domain, mailbox, suspension};
use crate::services::audit::{self, Change};
use crate::services::{
    common::Page, common::ServiceError, common::authorize, common::error::unique_violation, common::sql,
    hierarchy::deletion,
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, Set,
};
use serde_json::json;

#[derive(Debug, Clone)]
pub struct Company {
    pub id: i32,
    pub name: String,
    pub status: String,
    pub complaint_allowance: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<company::Model> for Company {
    fn from(m: company::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            status: m.status,
            complaint_allowance: m.complaint_allowance,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Clone)]
pub struct CompanyRow {
    pub id: i32,
    pub name: String,
    pub status: String,
    pub domain_count: i64,
}

/// What deleting a company takes with it; shown on the confirmation page.
#[derive(Debug, Clone, Copy)]
pub struct CompanyContents {
    pub domains: u64,
    pub mailboxes: u64,
    pub admins: u64,
}

/// The settings only the platform may change.
#[derive(Debug, Clone, Copy)]
pub struct CompanyPolicy {
    pub status: CompanyStatus,
    pub complaint_allowance: ComplaintAllowance,
}

const PAGE_SIZE: u64 = 50;

fn snapshot(m: &company::Model) -> serde_json::Value {
    json!({ "name": m.name, "status": m.status, "complaint_allowance": m.complaint_allowance })
}

pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    search: &str,
    after: Option<&str>,
) -> Result<Page<CompanyRow>, ServiceError> {
    authorize(actor, Action::View, Place::Platform)?;
    let mut filter = String::from("1 = 1");
    let mut values: Vec<sea_orm::Value> = Vec::new();
    let search = search.trim().to_lowercase();
    if !search.is_empty() {
        filter.push_str(" AND LOWER(c.name) LIKE ? ESCAPE '\\'");
        values.push(sql::contains_pattern(&search).into());
    }
    let count_sql = format!("SELECT COUNT(*) AS n FROM company c WHERE {filter}");
    let backend = db.get_database_backend();
    let total: i64 = db
        .query_one_raw(sql::statement(backend, &count_sql, values.clone()))
        .await?
        .map(|row| row.try_get("", "n"))
        .transpose()?
        .unwrap_or(0);
    if let Some(after) = after {
        filter.push_str(" AND c.name > ?");
        values.push(after.to_owned().into());
    }
    let list_sql = format!(
        "SELECT c.id, c.name, c.status, \
           (SELECT COUNT(*) FROM domain d WHERE d.company_id = c.id) AS domain_count \
         FROM company c WHERE {filter} ORDER BY c.name LIMIT {}",
        PAGE_SIZE + 1
    );
    let rows = db.query_all_raw(sql::statement(backend, &list_sql, values)).await?;
    let mut rows = rows
        .iter()
        .map(|row| {
            Ok(CompanyRow {
                id: row.try_get("", "id")?,
                name: row.try_get("", "name")?,
                status: row.try_get("", "status")?,
                domain_count: row.try_get("", "domain_count")?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    let has_more = rows.len() as u64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let next = if has_more { rows.last().map(|r| r.name.clone()) } else { None };
    Ok(Page { rows, prev: None, next, total: total as u64 })
}

pub async fn get(db: &DatabaseConnection, actor: &Actor, id: i32) -> Result<Company, ServiceError> {
    get_for(db, actor, id, Action::View).await
}

/// The company, if the actor may do `action` to it.
pub async fn get_for(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    action: Action,
) -> Result<Company, ServiceError> {
    let model = company::Entity::find_by_id(id).one(db).await?.ok_or(ServiceError::NotFound)?;
    authorize(actor, action, Place::Company(id))?;
    Ok(model.into())
}

/// The names of companies the actor may pick from (e.g. when creating an admin user).
pub async fn names_in_scope(
    db: &DatabaseConnection,
    actor: &Actor,
) -> Result<Vec<(i32, String)>, ServiceError> {
    let mut query = company::Entity::find();
    match actor.scope() {
        Scope::Everything => {}
        Scope::Company(id) => query = query.filter(company::Column::Id.eq(id)),
        Scope::Domains(_) => return Ok(Vec::new()),
    }
    let mut rows: Vec<(i32, String)> = query.all(db).await?.into_iter().map(|c| (c.id, c.name)).collect();
    rows.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(rows)
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    name: CompanyName,
    policy: CompanyPolicy,
) -> Result<i32, ServiceError> {
    authorize(actor, Action::ManageCompanies, Place::Platform)?;
    let now = Utc::now();
    let txn = crate::services::common::begin_write(db).await?;
    let model = company::ActiveModel {
        name: Set(name.as_str().to_owned()),
        status: Set(policy.status.as_str().to_owned()),
        complaint_allowance: Set(policy.complaint_allowance.get() as i32),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| unique_violation(e, "name", "A company with this name exists already."))?;
    audit::record(
        &txn,
        actor,
        Change {
            company_id: Some(model.id),
            object_kind: "company",
            object_id: Some(model.id),
            object_label: &model.name,
            action: "create",
            before: json!(null),
            after: snapshot(&model),
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(company_id = model.id, actor = %actor.login, "company created");
    Ok(model.id)
}

/// Renames a company; `policy` (status, complaint allowance) may only be given by the platform.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    name: CompanyName,
    policy: Option<CompanyPolicy>,
) -> Result<(), ServiceError> {
    let existing = company::Entity::find_by_id(id).one(db).await?.ok_or(ServiceError::NotFound)?;
    authorize(actor, Action::EditCompany, Place::Company(id))?;
    if policy.is_some() {
        authorize(actor, Action::ManageCompanies, Place::Company(id))?;
    }
    let before = snapshot(&existing);
    let mut model: company::ActiveModel = existing.into();
    model.name = Set(name.as_str().to_owned());
    if let Some(policy) = policy {
        model.status = Set(policy.status.as_str().to_owned());
        model.complaint_allowance = Set(policy.complaint_allowance.get() as i32);
    }
    model.updated_at = Set(Utc::now());
    let txn = crate::services::common::begin_write(db).await?;
    let updated = model
        .update(&txn)
        .await
        .map_err(|e| unique_violation(e, "name", "A company with this name exists already."))?;
    audit::record(
        &txn,
        actor,
        Change {
            company_id: Some(id),
            object_kind: "company",
            object_id: Some(id),
            object_label: &updated.name,
            action: "update",
            before,
            after: snapshot(&updated),
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(company_id = id, actor = %actor.login, "company updated");
    Ok(())
}

pub async fn contents(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
) -> Result<CompanyContents, ServiceError> {
    get(db, actor, id).await?;
    count_contents(db, id).await
}

async fn count_contents<C: ConnectionTrait>(db: &C, id: i32) -> Result<CompanyContents, ServiceError> {
    let domains = domain::Entity::find().filter(domain::Column::CompanyId.eq(id)).all(db).await?;
    let admins = admin_user::Entity::find().filter(admin_user::Column::CompanyId.eq(id)).count(db).await?;
    Ok(CompanyContents {
        domains: domains.len() as u64,
        mailboxes: domains.iter().map(|d| d.mailbox_count.max(0) as u64).sum(),
        admins,
    })
}

/// Deletes the company with its domains, mailboxes and admin users, in one transaction.
pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: i32) -> Result<String, ServiceError> {
    let existing = company::Entity::find_by_id(id).one(db).await?.ok_or(ServiceError::NotFound)?;
    authorize(actor, Action::ManageCompanies, Place::Company(id))?;
    let txn = crate::services::common::begin_write(db).await?;
    deletion::refuse_if_suspended(
        &txn,
        Condition::all().add(suspension::Column::CompanyId.eq(id)),
        "This company",
    )
    .await?;
    let contents = count_contents(&txn, id).await?;
    let domain_ids: Vec<i32> = domain::Entity::find()
        .filter(domain::Column::CompanyId.eq(id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect();
    if !domain_ids.is_empty() {
        mailbox::Entity::delete_many()
            .filter(mailbox::Column::DomainId.is_in(domain_ids.clone()))
            .exec(&txn)
            .await?;
        admin_domain::Entity::delete_many()
            .filter(admin_domain::Column::DomainId.is_in(domain_ids.clone()))
            .exec(&txn)
            .await?;
        domain::Entity::delete_many().filter(domain::Column::CompanyId.eq(id)).exec(&txn).await?;
    }
    admin_user::Entity::delete_many().filter(admin_user::Column::CompanyId.eq(id)).exec(&txn).await?;
    company::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(&txn, actor, Change {
        company_id: Some(id),
        object_kind: "company",
        object_id: Some(id),
        object_label: &existing.name,
        action: "delete",
        before: snapshot(&existing),
        after: json!({ "deleted_with": { "domains": contents.domains, "mailboxes": contents.mailboxes, "admins": contents.admins } }),
    })
    .await?;
    txn.commit().await?;
    tracing::info!(company_id = id, actor = %actor.login, "company deleted");
    Ok(existing.name)
}
