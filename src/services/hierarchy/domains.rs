//! Mail domains of a company.
use crate::authz::{Action, Actor, Place, Scope};
use crate::domain::DomainName;
use crate::entity::{alias, company, domain, mailbox, suspension};
use crate::services::audit::{self, Change};
use crate::services::{
    common::ServiceError, common::authorize, common::error::unique_violation, common::sql,
    hierarchy::deletion,
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use serde_json::json;

#[derive(Debug, Clone)]
pub struct Domain {
    pub id: i32,
    pub company_id: i32,
    pub company_name: String,
    pub name: String,
    pub mailbox_count: i64,
    /// false: the mail servers refuse its mail and its mailboxes' logins.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Domain {
    pub fn place(&self) -> Place {
        Place::Domain { company_id: self.company_id, domain_id: self.id }
    }
}

#[derive(Debug, Clone)]
pub struct DomainRow {
    pub id: i32,
    pub company_id: i32,
    pub company_name: String,
    pub name: String,
    pub mailbox_count: i64,
}

/// Loads a domain without asking anyone: for use inside the service layer only.
pub(crate) async fn load<C: ConnectionTrait>(db: &C, id: i32) -> Result<Domain, ServiceError> {
    let model = domain::Entity::find_by_id(id).one(db).await?.ok_or(ServiceError::NotFound)?;
    let company =
        company::Entity::find_by_id(model.company_id).one(db).await?.ok_or(ServiceError::NotFound)?;
    Ok(Domain {
        id: model.id,
        company_id: model.company_id,
        company_name: company.name,
        name: model.name,
        mailbox_count: model.mailbox_count.into(),
        active: model.active,
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

pub async fn get(db: &DatabaseConnection, actor: &Actor, id: i32) -> Result<Domain, ServiceError> {
    get_for(db, actor, id, Action::View).await
}

/// The domain, if the actor may do `action` to it.
pub async fn get_for(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    action: Action,
) -> Result<Domain, ServiceError> {
    let found = load(db, id).await?;
    authorize(actor, action, found.place())?;
    Ok(found)
}

/// The domains of one company (`Some`), or every domain the actor looks after (`None`).
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    company_id: Option<i32>,
) -> Result<Vec<DomainRow>, ServiceError> {
    let mut filter = String::from("1 = 1");
    let mut values: Vec<sea_orm::Value> = Vec::new();
    if let Some(company_id) = company_id {
        company::Entity::find_by_id(company_id).one(db).await?.ok_or(ServiceError::NotFound)?;
        authorize(actor, Action::View, Place::Company(company_id))?;
        filter.push_str(" AND d.company_id = ?");
        values.push(company_id.into());
    }
    match actor.scope() {
        Scope::Everything => {}
        Scope::Company(id) => {
            filter.push_str(" AND d.company_id = ?");
            values.push(id.into());
        }
        Scope::Domains(ids) => {
            filter.push_str(&format!(" AND d.id IN ({})", sql::placeholders(ids.len())));
            if ids.is_empty() {
                values.push((-1).into());
            }
            values.extend(ids.into_iter().map(sea_orm::Value::from));
        }
    }
    let query = format!(
        "SELECT d.id, d.company_id, c.name AS company_name, d.name, d.mailbox_count \
         FROM domain d JOIN company c ON c.id = d.company_id WHERE {filter} ORDER BY d.name LIMIT 1000"
    );
    let rows = db.query_all_raw(sql::statement(db.get_database_backend(), &query, values)).await?;
    rows.iter()
        .map(|row| {
            Ok(DomainRow {
                id: row.try_get("", "id")?,
                company_id: row.try_get("", "company_id")?,
                company_name: row.try_get("", "company_name")?,
                name: row.try_get("", "name")?,
                mailbox_count: row.try_get::<i32>("", "mailbox_count")?.into(),
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()
        .map_err(ServiceError::from)
}

const DUPLICATE: &str = "This domain is hosted already.";

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    company_id: i32,
    name: DomainName,
) -> Result<i32, ServiceError> {
    company::Entity::find_by_id(company_id).one(db).await?.ok_or(ServiceError::NotFound)?;
    authorize(actor, Action::ManageDomains, Place::Company(company_id))?;
    let now = Utc::now();
    let txn = crate::services::common::begin_write(db).await?;
    let model = domain::ActiveModel {
        company_id: Set(company_id),
        name: Set(name.as_str().to_owned()),
        mailbox_count: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| unique_violation(e, "name", DUPLICATE))?;
    audit::record(
        &txn,
        actor,
        Change {
            company_id: Some(company_id),
            object_kind: "domain",
            object_id: Some(model.id),
            object_label: &model.name,
            action: "create",
            before: json!(null),
            after: json!({ "name": model.name }),
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(domain_id = model.id, company_id, actor = %actor.login, "domain created");
    Ok(model.id)
}

/// Saves Edit Domain: its name (renaming every mailbox and alias address in it, in one
/// transaction) and whether the mail servers serve it.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    name: DomainName,
    active: bool,
) -> Result<(), ServiceError> {
    let existing = load(db, id).await?;
    authorize(actor, Action::ManageDomains, existing.place())?;
    if existing.name == name.as_str() && existing.active == active {
        return Ok(());
    }
    let txn = crate::services::common::begin_write(db).await?;
    domain::ActiveModel {
        id: Set(id),
        name: Set(name.as_str().to_owned()),
        active: Set(active),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await
    .map_err(|e| unique_violation(e, "name", DUPLICATE))?;
    if existing.name != name.as_str() {
        let at_name = format!("@{}", name.as_str());
        for readdress in [
            "UPDATE mailbox SET address = local_part || ?, updated_at = updated_at WHERE domain_id = ?",
            "UPDATE alias SET address = CASE WHEN local_part = '*' THEN '' ELSE local_part END || ? WHERE domain_id = ?",
        ] {
            let statement = sql::statement(
                txn.get_database_backend(),
                readdress,
                vec![at_name.clone().into(), id.into()],
            );
            txn.execute_raw(statement).await.map_err(|e| unique_violation(e, "name", DUPLICATE))?;
        }
    }
    audit::record(
        &txn,
        actor,
        Change {
            company_id: Some(existing.company_id),
            object_kind: "domain",
            object_id: Some(id),
            object_label: name.as_str(),
            action: "update",
            before: json!({ "name": existing.name, "active": existing.active }),
            after: json!({ "name": name.as_str(), "active": active }),
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(domain_id = id, active, actor = %actor.login, "domain saved");
    Ok(())
}

/// Keeps `domain.mailbox_count` in step; call in the transaction that adds or removes mailboxes.
pub(crate) async fn add_to_mailbox_count<C: ConnectionTrait>(
    db: &C,
    domain_id: i32,
    delta: i32,
) -> Result<(), ServiceError> {
    let update = sql::statement(
        db.get_database_backend(),
        "UPDATE domain SET mailbox_count = mailbox_count + ? WHERE id = ?",
        vec![delta.into(), domain_id.into()],
    );
    db.execute_raw(update).await?;
    Ok(())
}

/// Sets `domain.mailbox_count` from the rows themselves (after bulk inserts).
pub(crate) async fn recount_mailboxes<C: ConnectionTrait>(
    db: &C,
    domain_id: i32,
) -> Result<(), ServiceError> {
    let update = sql::statement(
        db.get_database_backend(),
        "UPDATE domain SET mailbox_count = (SELECT COUNT(*) FROM mailbox m WHERE m.domain_id = domain.id) \
         WHERE id = ?",
        vec![domain_id.into()],
    );
    db.execute_raw(update).await?;
    Ok(())
}

/// Deletes the domain and its mailboxes, in one transaction.
pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: i32) -> Result<Domain, ServiceError> {
    let existing = load(db, id).await?;
    authorize(actor, Action::ManageDomains, existing.place())?;
    let txn = crate::services::common::begin_write(db).await?;
    deletion::refuse_if_suspended(
        &txn,
        Condition::all().add(suspension::Column::DomainId.eq(id)),
        "This domain",
    )
    .await?;
    let usage = sql::statement(
        txn.get_database_backend(),
        "DELETE FROM mailbox_quota_usage WHERE address IN (SELECT address FROM mailbox WHERE domain_id = ?)",
        vec![id.into()],
    );
    txn.execute_raw(usage).await?;
    mailbox::Entity::delete_many().filter(mailbox::Column::DomainId.eq(id)).exec(&txn).await?;
    alias::Entity::delete_many().filter(alias::Column::DomainId.eq(id)).exec(&txn).await?;
    domain::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change {
            company_id: Some(existing.company_id),
            object_kind: "domain",
            object_id: Some(id),
            object_label: &existing.name,
            action: "delete",
            before: json!({ "name": existing.name, "mailboxes": existing.mailbox_count }),
            after: json!(null),
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(domain_id = id, actor = %actor.login, "domain deleted");
    Ok(existing)
}
