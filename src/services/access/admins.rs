//! Admin users: who signs in, with which role, over which part of the hierarchy.
use crate::authz::{Action, Actor, Place};
use crate::domain::{AdminLogin, Role};
use crate::entity::{admin_domain, admin_user, company, domain};
use crate::services::audit::{self, Change};
use crate::services::common::passwords::{self, Secret};
use crate::services::{common::ServiceError, common::authorize, common::error::unique_violation};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct AdminUser {
    pub id: i32,
    pub login: String,
    pub role: Role,
    pub company_id: Option<i32>,
    pub company_name: Option<String>,
    pub domains: Vec<(i32, String)>,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

impl AdminUser {
    pub fn place(&self) -> Place {
        place_of(self.role, self.company_id)
    }
}

fn place_of(role: Role, company_id: Option<i32>) -> Place {
    match (role, company_id) {
        (Role::Company | Role::Domain, Some(c)) => Place::Company(c),
        _ => Place::Platform,
    }
}

fn role_of(model: &admin_user::Model) -> Role {
    // A role we do not know gets the least power: support can only read.
    Role::parse(&model.role).unwrap_or(Role::Support)
}

/// The actor behind a signed-in session, or `None` if the account is gone.
pub async fn load_actor(
    db: &DatabaseConnection,
    admin_id: i32,
    client_addr: String,
) -> Result<Option<Actor>, ServiceError> {
    let Some(model) = admin_user::Entity::find_by_id(admin_id).one(db).await? else {
        return Ok(None);
    };
    let role = role_of(&model);
    let domain_ids = if role == Role::Domain {
        admin_domain::Entity::find()
            .filter(admin_domain::Column::AdminId.eq(admin_id))
            .all(db)
            .await?
            .into_iter()
            .map(|row| row.domain_id)
            .collect()
    } else {
        Vec::new()
    };
    Ok(Some(Actor {
        admin_id,
        login: model.login,
        role,
        company_id: model.company_id,
        domain_ids,
        client_addr,
    }))
}

/// Everyone the actor may see: all for the platform and support, their company's for a company admin.
pub async fn list(db: &DatabaseConnection, actor: &Actor) -> Result<Vec<AdminUser>, ServiceError> {
    if actor.role == Role::Domain {
        return Err(ServiceError::Forbidden);
    }
    authorize(actor, Action::View, actor.home())?;
    let mut query = admin_user::Entity::find().order_by_asc(admin_user::Column::Login);
    if actor.role == Role::Company {
        query = query.filter(admin_user::Column::CompanyId.eq(actor.company_id.unwrap_or(-1)));
    }
    let models = query.all(db).await?;
    hydrate(db, models).await
}

async fn hydrate<C: ConnectionTrait>(
    db: &C,
    models: Vec<admin_user::Model>,
) -> Result<Vec<AdminUser>, ServiceError> {
    let companies: HashMap<i32, String> =
        company::Entity::find().all(db).await?.into_iter().map(|c| (c.id, c.name)).collect();
    let ids: Vec<i32> = models.iter().map(|m| m.id).collect();
    let links = admin_domain::Entity::find().filter(admin_domain::Column::AdminId.is_in(ids)).all(db).await?;
    let domain_ids: Vec<i32> = links.iter().map(|l| l.domain_id).collect();
    let domain_names: HashMap<i32, String> = domain::Entity::find()
        .filter(domain::Column::Id.is_in(domain_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    Ok(models
        .into_iter()
        .map(|m| {
            let mut domains: Vec<(i32, String)> = links
                .iter()
                .filter(|l| l.admin_id == m.id)
                .filter_map(|l| domain_names.get(&l.domain_id).map(|n| (l.domain_id, n.clone())))
                .collect();
            domains.sort_by(|a, b| a.1.cmp(&b.1));
            AdminUser {
                id: m.id,
                role: role_of(&m),
                company_name: m.company_id.and_then(|c| companies.get(&c).cloned()),
                company_id: m.company_id,
                login: m.login,
                domains,
                created_at: m.created_at,
                last_sign_in_at: m.last_sign_in_at,
            }
        })
        .collect())
}

pub async fn get(db: &DatabaseConnection, actor: &Actor, id: i32) -> Result<AdminUser, ServiceError> {
    get_for(db, actor, id, Action::View).await
}

/// The admin user, if the actor may do `action` to them (`ManageAdmins` of the target's role).
pub async fn get_for(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    action: Action,
) -> Result<AdminUser, ServiceError> {
    let model = admin_user::Entity::find_by_id(id).one(db).await?.ok_or(ServiceError::NotFound)?;
    let place = place_of(role_of(&model), model.company_id);
    actor.authorize_on_admin(Action::View, place, id)?;
    actor.authorize_on_admin(action, place, id)?;
    hydrate(db, vec![model]).await?.pop().ok_or(ServiceError::NotFound)
}

/// The admin whose password the actor may set: their own, or one of a role they manage.
pub async fn get_for_password(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
) -> Result<AdminUser, ServiceError> {
    let target = get(db, actor, id).await?;
    if target.id != actor.admin_id {
        actor.authorize_on_admin(manage(target.role), target.place(), id)?;
    }
    Ok(target)
}

/// The action that changing an admin of `role` needs.
pub fn manage(role: Role) -> Action {
    Action::ManageAdmins(role)
}

pub struct NewAdmin {
    pub login: AdminLogin,
    pub role: Role,
    pub company_id: Option<i32>,
    pub domain_ids: Vec<i32>,
    pub password: Secret,
}

/// Checks that company and domains fit the role, returning the company the user belongs to.
async fn check_scope<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    role: Role,
    company_id: Option<i32>,
    domain_ids: &[i32],
) -> Result<Option<i32>, ServiceError> {
    let mut errors = crate::services::common::FieldErrors::default();
    match role {
        Role::Platform | Role::Support => Ok(None),
        Role::Company => {
            let Some(c) = company_id else {
                errors.add("company_id", "Choose the company this admin runs.");
                return Err(ServiceError::Invalid(errors));
            };
            let known = company::Entity::find_by_id(c).one(db).await?.is_some();
            if !known || !actor.sees(Place::Company(c)) {
                errors.add("company_id", "No such company.");
                return Err(ServiceError::Invalid(errors));
            }
            Ok(Some(c))
        }
        Role::Domain => {
            if domain_ids.is_empty() {
                errors.add("domain_ids", "Choose at least one domain.");
                return Err(ServiceError::Invalid(errors));
            }
            // Domains the actor cannot see count as unknown, so the answer reveals nothing.
            let found: Vec<domain::Model> = domain::Entity::find()
                .filter(domain::Column::Id.is_in(domain_ids.to_vec()))
                .all(db)
                .await?
                .into_iter()
                .filter(|d| actor.sees(Place::Domain { company_id: d.company_id, domain_id: d.id }))
                .collect();
            let companies: std::collections::BTreeSet<i32> = found.iter().map(|d| d.company_id).collect();
            if found.len() != domain_ids.len() || companies.len() != 1 {
                errors.add("domain_ids", "Choose domains of one company.");
                return Err(ServiceError::Invalid(errors));
            }
            Ok(companies.into_iter().next())
        }
    }
}

pub async fn create(db: &DatabaseConnection, actor: &Actor, new: NewAdmin) -> Result<i32, ServiceError> {
    if let Err(message) = passwords::check_strength(&new.password) {
        return Err(ServiceError::Invalid(crate::services::common::FieldErrors::single("password", message)));
    }
    let company_id = check_scope(db, actor, new.role, new.company_id, &new.domain_ids).await?;
    authorize(actor, Action::ManageAdmins(new.role), place_of(new.role, company_id))?;
    let hash = passwords::hash(new.password).await?;
    let now = Utc::now();
    let txn = crate::services::common::begin_write(db).await?;
    let model = admin_user::ActiveModel {
        login: Set(new.login.as_str().to_owned()),
        password_hash: Set(hash),
        role: Set(new.role.as_str().to_owned()),
        company_id: Set(company_id),
        created_at: Set(now),
        updated_at: Set(now),
        last_sign_in_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| unique_violation(e, "login", "This login is taken."))?;
    link_domains(&txn, model.id, &new.domain_ids).await?;
    audit::record(&txn, actor, Change {
        company_id,
        object_kind: "admin_user",
        object_id: Some(model.id),
        object_label: &model.login,
        action: "create",
        before: json!(null),
        after: json!({ "login": model.login, "role": model.role, "company_id": company_id, "domain_ids": new.domain_ids }),
    })
    .await?;
    txn.commit().await?;
    tracing::info!(admin_id = model.id, role = new.role.as_str(), actor = %actor.login, "admin user created");
    Ok(model.id)
}

async fn link_domains<C: ConnectionTrait>(
    db: &C,
    admin_id: i32,
    domain_ids: &[i32],
) -> Result<(), ServiceError> {
    admin_domain::Entity::delete_many().filter(admin_domain::Column::AdminId.eq(admin_id)).exec(db).await?;
    for domain_id in domain_ids {
        admin_domain::ActiveModel { admin_id: Set(admin_id), domain_id: Set(*domain_id) }.insert(db).await?;
    }
    Ok(())
}

/// Changes the domains a domain admin looks after.
pub async fn set_domains(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    domain_ids: &[i32],
) -> Result<(), ServiceError> {
    let target = get(db, actor, id).await?;
    let target = get_for(db, actor, id, manage(target.role)).await?;
    if target.role != Role::Domain {
        return Ok(());
    }
    let company_id = check_scope(db, actor, Role::Domain, None, domain_ids).await?;
    if company_id != target.company_id {
        return Err(ServiceError::Invalid(crate::services::common::FieldErrors::single(
            "domain_ids",
            "Choose domains of the admin's own company.",
        )));
    }
    let txn = crate::services::common::begin_write(db).await?;
    link_domains(&txn, id, domain_ids).await?;
    let before: Vec<i32> = target.domains.iter().map(|(d, _)| *d).collect();
    audit::record(
        &txn,
        actor,
        Change {
            company_id: target.company_id,
            object_kind: "admin_user",
            object_id: Some(id),
            object_label: &target.login,
            action: "update",
            before: json!({ "domain_ids": before }),
            after: json!({ "domain_ids": domain_ids }),
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(admin_id = id, actor = %actor.login, "admin user's domains changed");
    Ok(())
}

/// Sets another admin's password (by those above them) or one's own.
pub async fn set_password(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    password: Secret,
) -> Result<(), ServiceError> {
    let target = get_for_password(db, actor, id).await?;
    if let Err(message) = passwords::check_strength(&password) {
        return Err(ServiceError::Invalid(crate::services::common::FieldErrors::single("password", message)));
    }
    let hash = passwords::hash(password).await?;
    let txn = crate::services::common::begin_write(db).await?;
    admin_user::ActiveModel {
        id: Set(id),
        password_hash: Set(hash),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    // Whoever had the old password (or a copy of a session cookie) is out, on every instance.
    super::sessions::end_all(&txn, id).await?;
    audit::record(
        &txn,
        actor,
        Change {
            company_id: target.company_id,
            object_kind: "admin_user",
            object_id: Some(id),
            object_label: &target.login,
            action: "password",
            before: json!(null),
            after: json!({ "password": "changed" }),
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(admin_id = id, actor = %actor.login, "admin password set");
    Ok(())
}

/// Sets another admin's password (those above them may): ends all of that admin's sessions.
/// One's own goes through [`change_own_password`], which asks for the current one.
pub async fn reset_password(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    password: Secret,
) -> Result<(), ServiceError> {
    if id == actor.admin_id {
        get_for_password(db, actor, id).await?;
        return Err(ServiceError::Conflict(
            "Change your own password on My password: it asks for the current one.".into(),
        ));
    }
    set_password(db, actor, id, password).await
}

/// Changes one's own password: the current one first, so a stolen session cannot take the
/// account over for good. Ends every session of the admin; returns a new session's token for
/// the browser that made the change.
pub async fn change_own_password(
    db: &DatabaseConnection,
    actor: &Actor,
    current: Secret,
    new: Secret,
) -> Result<String, ServiceError> {
    let stored =
        admin_user::Entity::find_by_id(actor.admin_id).one(db).await?.ok_or(ServiceError::NotFound)?;
    if !passwords::verify(current, Some(stored.password_hash)).await {
        return Err(ServiceError::Invalid(crate::services::common::FieldErrors::single(
            "current",
            "This is not your current password.",
        )));
    }
    set_password(db, actor, actor.admin_id, new).await?;
    super::sessions::start(db, actor.admin_id).await
}

pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: i32) -> Result<AdminUser, ServiceError> {
    let target = get(db, actor, id).await?;
    actor.authorize_on_admin(manage(target.role), target.place(), id)?;
    if target.id == actor.admin_id {
        return Err(ServiceError::Conflict("You cannot delete your own account.".into()));
    }
    if target.role == Role::Platform {
        let platform_admins = admin_user::Entity::find()
            .filter(admin_user::Column::Role.eq(Role::Platform.as_str()))
            .count(db)
            .await?;
        if platform_admins <= 1 {
            return Err(ServiceError::Conflict("The last platform admin cannot be deleted.".into()));
        }
    }
    let txn = crate::services::common::begin_write(db).await?;
    super::sessions::end_all(&txn, id).await?;
    admin_user::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change {
            company_id: target.company_id,
            object_kind: "admin_user",
            object_id: Some(id),
            object_label: &target.login,
            action: "delete",
            before: json!({ "login": target.login, "role": target.role.as_str() }),
            after: json!(null),
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(admin_id = id, actor = %actor.login, "admin user deleted");
    Ok(target)
}

/// Whether any admin user exists (a first start creates one).
pub async fn any_exist(db: &DatabaseConnection) -> Result<bool, ServiceError> {
    Ok(admin_user::Entity::find().count(db).await? > 0)
}

/// The system itself, for command-line tools that act with platform rights.
pub fn system_actor(name: &str) -> Actor {
    Actor {
        admin_id: 0,
        login: name.to_owned(),
        role: Role::Platform,
        company_id: None,
        domain_ids: Vec::new(),
        client_addr: "local".into(),
    }
}
