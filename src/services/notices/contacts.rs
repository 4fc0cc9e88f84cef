//! A company's contacts, kept on *Edit Company*. AUP notices go to its abuse contacts; a
//! company without one is flagged, and removing the last needs an explicit confirmation.
use crate::authz::{Action, Actor, Place, Scope};
use crate::domain::{ContactKind, DisplayName, MailboxAddress};
use crate::entity::{abuse_contact, company};
use crate::services::audit::{self, Change};
use crate::services::{common::ServiceError, common::authorize, common::begin_write};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde_json::json;

#[derive(Debug, Clone)]
pub struct Contact {
    pub id: i32,
    pub company_id: i32,
    pub kind: ContactKind,
    pub name: String,
    pub email: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<abuse_contact::Model> for Contact {
    fn from(m: abuse_contact::Model) -> Self {
        Self {
            id: m.id,
            company_id: m.company_id,
            kind: ContactKind::parse(&m.kind).unwrap_or(ContactKind::Abuse),
            name: m.name,
            email: m.email,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

pub struct ContactInput {
    pub kind: ContactKind,
    pub name: DisplayName,
    pub email: MailboxAddress,
}

fn snapshot(m: &abuse_contact::Model) -> serde_json::Value {
    json!({ "kind": m.kind, "name": m.name, "email": m.email })
}

pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    company_id: i32,
) -> Result<Vec<Contact>, ServiceError> {
    company::Entity::find_by_id(company_id).one(db).await?.ok_or(ServiceError::NotFound)?;
    authorize(actor, Action::View, Place::Company(company_id))?;
    Ok(abuse_contact::Entity::find()
        .filter(abuse_contact::Column::CompanyId.eq(company_id))
        .order_by_asc(abuse_contact::Column::Kind)
        .order_by_asc(abuse_contact::Column::Email)
        .all(db)
        .await?
        .into_iter()
        .map(Contact::from)
        .collect())
}

/// The contact, if the actor may do `action` (`View` or `EditCompany`) to its company.
pub async fn get_for(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    action: Action,
) -> Result<Contact, ServiceError> {
    let model = abuse_contact::Entity::find_by_id(id).one(db).await?.ok_or(ServiceError::NotFound)?;
    authorize(actor, Action::View, Place::Company(model.company_id))?;
    authorize(actor, action, Place::Company(model.company_id))?;
    Ok(model.into())
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    company_id: i32,
    input: ContactInput,
) -> Result<i32, ServiceError> {
    company::Entity::find_by_id(company_id).one(db).await?.ok_or(ServiceError::NotFound)?;
    authorize(actor, Action::View, Place::Company(company_id))?;
    authorize(actor, Action::EditCompany, Place::Company(company_id))?;
    let now = Utc::now();
    let txn = begin_write(db).await?;
    let model = abuse_contact::ActiveModel {
        company_id: Set(company_id),
        kind: Set(input.kind.as_str().to_owned()),
        name: Set(input.name.as_str().to_owned()),
        email: Set(input.email.to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        Change {
            company_id: Some(company_id),
            object_kind: "abuse_contact",
            object_id: Some(model.id),
            object_label: &model.email,
            action: "create",
            before: json!(null),
            after: snapshot(&model),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(model.id)
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    input: ContactInput,
) -> Result<Contact, ServiceError> {
    get_for(db, actor, id, Action::EditCompany).await?;
    let txn = begin_write(db).await?;
    let existing = abuse_contact::Entity::find_by_id(id).one(&txn).await?.ok_or(ServiceError::NotFound)?;
    let was_abuse = existing.kind == ContactKind::Abuse.as_str();
    if was_abuse && input.kind != ContactKind::Abuse && abuse_count(&txn, existing.company_id).await? <= 1 {
        return Err(ServiceError::Invalid(crate::services::common::FieldErrors::single(
            "kind",
            "This is the company's only abuse contact: add another abuse contact first, or keep this one's kind.",
        )));
    }
    let before = snapshot(&existing);
    let mut active: abuse_contact::ActiveModel = existing.into();
    active.kind = Set(input.kind.as_str().to_owned());
    active.name = Set(input.name.as_str().to_owned());
    active.email = Set(input.email.to_string());
    active.updated_at = Set(Utc::now());
    let updated = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change {
            company_id: Some(updated.company_id),
            object_kind: "abuse_contact",
            object_id: Some(id),
            object_label: &updated.email,
            action: "update",
            before,
            after: snapshot(&updated),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(updated.into())
}

async fn abuse_count<C: ConnectionTrait>(db: &C, company_id: i32) -> Result<u64, ServiceError> {
    Ok(abuse_contact::Entity::find()
        .filter(abuse_contact::Column::CompanyId.eq(company_id))
        .filter(abuse_contact::Column::Kind.eq(ContactKind::Abuse.as_str()))
        .count(db)
        .await?)
}

/// Whether removing this contact would leave its company without an abuse contact.
pub async fn is_last_abuse_contact(db: &DatabaseConnection, contact: &Contact) -> Result<bool, ServiceError> {
    Ok(contact.kind == ContactKind::Abuse && abuse_count(db, contact.company_id).await? <= 1)
}

/// Removes a contact. The company's last abuse contact goes only with `confirmed_last`, since
/// its AUP notices will then go to the platform's address.
pub async fn delete(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    confirmed_last: bool,
) -> Result<Contact, ServiceError> {
    let contact = get_for(db, actor, id, Action::EditCompany).await?;
    let txn = begin_write(db).await?;
    let last = contact.kind == ContactKind::Abuse && abuse_count(&txn, contact.company_id).await? <= 1;
    if last && !confirmed_last {
        return Err(ServiceError::Conflict(
            "This is the company's last abuse contact. Confirm that AUP notices will go to the platform's address."
                .into(),
        ));
    }
    let deleted = abuse_contact::Entity::delete_by_id(id).exec(&txn).await?;
    if deleted.rows_affected == 0 {
        return Err(ServiceError::NotFound);
    }
    audit::record(
        &txn,
        actor,
        Change {
            company_id: Some(contact.company_id),
            object_kind: "abuse_contact",
            object_id: Some(id),
            object_label: &contact.email,
            action: "delete",
            before: json!({ "kind": contact.kind.as_str(), "name": contact.name, "email": contact.email }),
            after: json!(null),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(contact)
}

pub async fn has_abuse_contact(db: &DatabaseConnection, company_id: i32) -> Result<bool, ServiceError> {
    Ok(abuse_count(db, company_id).await? > 0)
}

/// Companies in the actor's scope with no abuse contact (for the platform front page).
pub async fn companies_without(
    db: &DatabaseConnection,
    actor: &Actor,
) -> Result<Vec<(i32, String)>, ServiceError> {
    let query = "SELECT c.id, c.name FROM company c WHERE NOT EXISTS \
                 (SELECT 1 FROM abuse_contact a WHERE a.company_id = c.id AND a.kind = 'abuse') \
                 ORDER BY c.name LIMIT 200";
    let rows = db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), query)).await?;
    let rows: Vec<(i32, String)> = rows
        .iter()
        .map(|r| Ok((r.try_get("", "id")?, r.try_get("", "name")?)))
        .collect::<Result<_, sea_orm::DbErr>>()?;
    Ok(match actor.scope() {
        Scope::Everything => rows,
        Scope::Company(id) => rows.into_iter().filter(|(c, _)| *c == id).collect(),
        Scope::Domains(_) => Vec::new(),
    })
}
