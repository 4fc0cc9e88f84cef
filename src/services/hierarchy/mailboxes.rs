//! Mailboxes: one mailbox loaded for a page, created, edited (Edit Mailbox), its password set,
//! deleted. The list of a domain's mailboxes is in [`super::mailbox_list`].
use super::deletion;
use super::domains;
use super::service_columns::{services_of, set_services};
use crate::authz::{Action, Actor, Place};
use crate::domain::{
    DisplayName, LocalPart, MailboxAddress, Quota, QuotaUsage, Service, ServiceSet, ServiceState,
};
use crate::entity::{mailbox, suspension};
use crate::services::audit::{self, Change};
use crate::services::common::error::unique_violation;
use crate::services::common::passwords::{self, Secret};
use crate::services::common::{ServiceError, authorize};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use serde_json::json;

#[derive(Debug, Clone)]
pub struct Mailbox {
    pub id: i32,
    pub domain: domains::Domain,
    pub local_part: String,
    pub address: String,
    pub display_name: String,
    pub services: ServiceSet,
    /// Quota for the mail servers, in MB; 0 is none.
    pub quota_mb: i32,
    /// Where its mail is forwarded (empty: not forwarded), and whether it keeps a copy.
    pub forward_to: Vec<String>,
    pub forward_keep_copy: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Mailbox {
    pub fn place(&self) -> Place {
        self.domain.place()
    }
}

fn view_of(model: &mailbox::Model, domain: domains::Domain) -> Mailbox {
    Mailbox {
        id: model.id,
        domain,
        local_part: model.local_part.clone(),
        address: model.address.clone(),
        display_name: model.display_name.clone(),
        services: services_of(model),
        quota_mb: model.quota_mb,
        forward_to: crate::domain::Targets::stored_list(&model.forward_to)
            .into_iter()
            .map(str::to_owned)
            .collect(),
        forward_keep_copy: model.forward_keep_copy,
        created_at: model.created_at,
        updated_at: model.updated_at,
    }
}

async fn load<C: ConnectionTrait>(db: &C, id: i32) -> Result<(mailbox::Model, Mailbox), ServiceError> {
    let model = mailbox::Entity::find_by_id(id).one(db).await?.ok_or(ServiceError::NotFound)?;
    let domain = domains::load(db, model.domain_id).await?;
    let view = view_of(&model, domain);
    Ok((model, view))
}

pub async fn get(db: &DatabaseConnection, actor: &Actor, id: i32) -> Result<Mailbox, ServiceError> {
    get_for(db, actor, id, Action::View).await
}

/// What Dovecot last reported the mailbox holds (`mailbox_quota_usage`, written by its
/// quota_clone plugin); `None` until its first delivery or expunge.
pub async fn usage(db: &DatabaseConnection, mailbox: &Mailbox) -> Result<Option<QuotaUsage>, ServiceError> {
    let query = crate::services::common::sql::statement(
        db.get_database_backend(),
        "SELECT bytes, messages FROM mailbox_quota_usage WHERE address = ?",
        vec![mailbox.address.clone().into()],
    );
    let Some(row) = db.query_one_raw(query).await? else { return Ok(None) };
    Ok(Some(QuotaUsage { bytes: row.try_get("", "bytes")?, messages: row.try_get("", "messages")? }))
}

/// The mailbox, if the actor may do `action` to it.
pub async fn get_for(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    action: Action,
) -> Result<Mailbox, ServiceError> {
    let (_, view) = load(db, id).await?;
    authorize(actor, action, view.place())?;
    Ok(view)
}

pub struct NewMailbox {
    pub local_part: LocalPart,
    pub display_name: DisplayName,
    pub password: Secret,
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    domain_id: i32,
    new: NewMailbox,
) -> Result<Mailbox, ServiceError> {
    let domain = domains::load(db, domain_id).await?;
    authorize(actor, Action::ManageMailboxes, domain.place())?;
    let domain_name = crate::domain::DomainName::parse(&domain.name)
        .map_err(|e| ServiceError::Internal(format!("stored domain name is invalid: {e}")))?;
    let address = MailboxAddress::new(new.local_part.clone(), domain_name);
    let password_hash = passwords::hash(new.password).await?;
    let now = Utc::now();
    let mut model = mailbox::ActiveModel {
        domain_id: Set(domain_id),
        local_part: Set(new.local_part.as_str().to_owned()),
        address: Set(address.to_string()),
        display_name: Set(new.display_name.as_str().to_owned()),
        password_hash: Set(password_hash),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    set_services(&mut model, &ServiceSet::default());
    let txn = crate::services::common::begin_write(db).await?;
    // An alias of the same address would take its mail (Postfix reads aliases first).
    let alias = crate::entity::alias::Entity::find()
        .filter(crate::entity::alias::Column::Address.eq(address.to_string()))
        .one(&txn)
        .await?;
    if alias.is_some() {
        return Err(ServiceError::Invalid(crate::services::common::FieldErrors::single(
            "local_part",
            "An alias has this address; delete the alias first.",
        )));
    }
    let model = model
        .insert(&txn)
        .await
        .map_err(|e| unique_violation(e, "local_part", "This address exists already."))?;
    domains::add_to_mailbox_count(&txn, domain_id, 1).await?;
    audit::record(
        &txn,
        actor,
        Change {
            company_id: Some(domain.company_id),
            object_kind: "mailbox",
            object_id: Some(model.id),
            object_label: &model.address,
            action: "create",
            before: json!(null),
            after: snapshot(&model),
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(mailbox_id = model.id, domain_id, actor = %actor.login, "mailbox created");
    Ok(view_of(&model, domain))
}

/// What Edit Mailbox saves.
pub struct MailboxEdit<'a> {
    pub display_name: DisplayName,
    /// The services an admin may switch on and off.
    pub services: &'a [(Service, bool)],
    pub quota: Quota,
}

/// Saves Edit Mailbox: the display name, the quota and the services an admin may switch on and
/// off. A suspended service stays suspended here: lifting an abuse measure is its own action.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    edit: MailboxEdit<'_>,
) -> Result<(), ServiceError> {
    let MailboxEdit { display_name, services: wanted, quota } = edit;
    let (_, view) = load(db, id).await?;
    authorize(actor, Action::ManageMailboxes, view.place())?;
    // Read the states again under the write lock: a suspension that lands meanwhile must stay.
    let txn = crate::services::common::begin_write(db).await?;
    let model =
        mailbox::Entity::find_by_id(id).lock_exclusive().one(&txn).await?.ok_or(ServiceError::NotFound)?;
    let before = snapshot(&model);
    let mut services = services_of(&model);
    for (service, enabled) in wanted {
        if services.get(*service) != ServiceState::Suspended {
            let state = if *enabled { ServiceState::Enabled } else { ServiceState::Disabled };
            services.set(*service, state);
        }
    }
    let mut active: mailbox::ActiveModel = model.into();
    active.display_name = Set(display_name.as_str().to_owned());
    active.quota_mb = Set(quota.megabytes());
    set_services(&mut active, &services);
    active.updated_at = Set(Utc::now());
    let updated = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change {
            company_id: Some(view.domain.company_id),
            object_kind: "mailbox",
            object_id: Some(id),
            object_label: &view.address,
            action: "update",
            before,
            after: snapshot(&updated),
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(mailbox_id = id, actor = %actor.login, "mailbox updated");
    Ok(())
}

pub async fn set_password(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    password: Secret,
) -> Result<(), ServiceError> {
    let (_, view) = load(db, id).await?;
    authorize(actor, Action::ManageMailboxes, view.place())?;
    let hash = passwords::hash(password).await?;
    let txn = crate::services::common::begin_write(db).await?;
    set_password_in(&txn, actor, &view, hash).await?;
    txn.commit().await?;
    tracing::info!(mailbox_id = id, actor = %actor.login, "mailbox password set");
    Ok(())
}

/// Stores a new password hash inside `txn`, audited (the hash is never in the audit log).
pub(crate) async fn set_password_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    mailbox: &Mailbox,
    hash: String,
) -> Result<(), ServiceError> {
    mailbox::Entity::update_many()
        .col_expr(mailbox::Column::PasswordHash, sea_orm::sea_query::Expr::value(hash))
        .col_expr(mailbox::Column::UpdatedAt, sea_orm::sea_query::Expr::value(Utc::now()))
        .filter(mailbox::Column::Id.eq(mailbox.id))
        .exec(txn)
        .await?;
    audit::record(
        txn,
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
    .await
}

pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: i32) -> Result<Mailbox, ServiceError> {
    let (_, view) = load(db, id).await?;
    authorize(actor, Action::ManageMailboxes, view.place())?;
    let txn = crate::services::common::begin_write(db).await?;
    delete_in(&txn, actor, &view).await?;
    txn.commit().await?;
    Ok(view)
}

/// Deletes inside `txn`, refusing while the mailbox is soft-suspended (checked in the same
/// transaction, so a suspension that lands first wins).
pub(crate) async fn delete_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    mailbox: &Mailbox,
) -> Result<(), ServiceError> {
    let condition = sea_orm::Condition::all().add(suspension::Column::MailboxId.eq(mailbox.id));
    deletion::refuse_if_suspended(txn, condition, "This mailbox").await?;
    let deleted = mailbox::Entity::delete_by_id(mailbox.id).exec(txn).await?;
    if deleted.rows_affected == 0 {
        return Err(ServiceError::NotFound);
    }
    domains::add_to_mailbox_count(txn, mailbox.domain.id, -1).await?;
    // Dovecot's last report of its usage: an address made again starts with none.
    let usage = crate::services::common::sql::statement(
        txn.get_database_backend(),
        "DELETE FROM mailbox_quota_usage WHERE address = ?",
        vec![mailbox.address.clone().into()],
    );
    txn.execute_raw(usage).await?;
    audit::record(
        txn,
        actor,
        Change {
            company_id: Some(mailbox.domain.company_id),
            object_kind: "mailbox",
            object_id: Some(mailbox.id),
            object_label: &mailbox.address,
            action: "delete",
            before: json!({ "address": mailbox.address, "display_name": mailbox.display_name }),
            after: json!(null),
        },
    )
    .await?;
    tracing::info!(mailbox_id = mailbox.id, actor = %actor.login, "mailbox deleted");
    Ok(())
}

fn snapshot(m: &mailbox::Model) -> serde_json::Value {
    let services = services_of(m);
    let states: serde_json::Map<String, serde_json::Value> =
        services.iter().map(|(s, state)| (s.key().to_owned(), json!(state.as_str()))).collect();
    json!({ "address": m.address, "display_name": m.display_name, "quota_mb": m.quota_mb, "services": states })
}
