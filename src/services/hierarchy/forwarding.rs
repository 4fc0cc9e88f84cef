//! Aliases, catch-alls and mailbox forwards: created, changed and deleted under the same rule as
//! mailboxes (whoever manages a domain's mailboxes manages its aliases), audited, and checked
//! against the database in the writing transaction so two admins cannot race past a check.
//! The mail servers read them through the `mail_alias` view.
use super::domains::{self, Domain};
use crate::authz::{Action, Actor};
use crate::domain::{AliasName, DomainName, Targets};
use crate::entity::{alias, mailbox};
use crate::services::audit::{self, Change};
use crate::services::common::error::unique_violation;
use crate::services::common::{FieldErrors, ServiceError, authorize, sql};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, Set,
};
use serde_json::json;

#[derive(Debug, Clone)]
pub struct Alias {
    pub id: i32,
    pub domain: Domain,
    /// `*` for the catch-all.
    pub local_part: String,
    /// `local@domain`, or `@domain` for the catch-all.
    pub address: String,
    pub targets: Vec<String>,
    pub created_at: DateTime<Utc>,
}

impl Alias {
    pub fn is_catch_all(&self) -> bool {
        self.local_part == "*"
    }
}

fn view_of(model: alias::Model, domain: Domain) -> Alias {
    Alias {
        id: model.id,
        targets: Targets::stored_list(&model.targets).into_iter().map(str::to_owned).collect(),
        local_part: model.local_part,
        address: model.address,
        domain,
        created_at: model.created_at,
    }
}

/// The alias, if the actor may do `action` to it.
pub async fn get_for(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    action: Action,
) -> Result<Alias, ServiceError> {
    let model = alias::Entity::find_by_id(id).one(db).await?.ok_or(ServiceError::NotFound)?;
    let domain = domains::load(db, model.domain_id).await?;
    authorize(actor, action, domain.place())?;
    Ok(view_of(model, domain))
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    domain_id: i32,
    name: AliasName,
    targets: Targets,
) -> Result<Alias, ServiceError> {
    let domain = domains::load(db, domain_id).await?;
    authorize(actor, Action::ManageMailboxes, domain.place())?;
    let domain_name = DomainName::parse(&domain.name)
        .map_err(|e| ServiceError::Internal(format!("stored domain name is invalid: {e}")))?;
    let address = name.address(&domain_name);
    let txn = crate::services::common::begin_write(db).await?;
    if mailbox_exists(&txn, &address).await? {
        return Err(invalid(
            "local_part",
            format!("{address} is a mailbox. To send its mail elsewhere, set a forward on the mailbox."),
        ));
    }
    check_targets(&txn, &address, &targets, "").await?;
    let now = Utc::now();
    let model = alias::ActiveModel {
        domain_id: Set(domain_id),
        local_part: Set(name.local_part().to_owned()),
        address: Set(address.clone()),
        targets: Set(targets.to_stored()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        let message = match name {
            AliasName::CatchAll => "This domain has a catch-all already; edit it instead.",
            AliasName::Local(_) => "An alias with this address exists already.",
        };
        unique_violation(e, "local_part", message)
    })?;
    record(&txn, actor, &domain, &model, "create", json!(null)).await?;
    txn.commit().await?;
    tracing::info!(alias_id = model.id, domain_id, actor = %actor.login, "alias created");
    Ok(view_of(model, domain))
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    targets: Targets,
) -> Result<Alias, ServiceError> {
    let existing = get_for(db, actor, id, Action::ManageMailboxes).await?;
    let txn = crate::services::common::begin_write(db).await?;
    check_targets(&txn, &existing.address, &targets, "").await?;
    let model = alias::ActiveModel {
        id: Set(id),
        targets: Set(targets.to_stored()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let before = json!({ "address": existing.address, "targets": existing.targets.join(",") });
    record(&txn, actor, &existing.domain, &model, "update", before).await?;
    txn.commit().await?;
    tracing::info!(alias_id = id, actor = %actor.login, "alias updated");
    Ok(view_of(model, existing.domain))
}

pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: i32) -> Result<Alias, ServiceError> {
    let existing = get_for(db, actor, id, Action::ManageMailboxes).await?;
    let txn = crate::services::common::begin_write(db).await?;
    let deleted = alias::Entity::delete_by_id(id).exec(&txn).await?;
    if deleted.rows_affected == 0 {
        return Err(ServiceError::NotFound);
    }
    audit::record(
        &txn,
        actor,
        Change {
            company_id: Some(existing.domain.company_id),
            object_kind: "alias",
            object_id: Some(id),
            object_label: &existing.address,
            action: "delete",
            before: json!({ "address": existing.address, "targets": existing.targets.join(",") }),
            after: json!(null),
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(alias_id = id, actor = %actor.login, "alias deleted");
    Ok(existing)
}

/// A mailbox's forward: `None` removes it. With `keep_copy` the mailbox also gets each message.
pub async fn set_forward(
    db: &DatabaseConnection,
    actor: &Actor,
    mailbox_id: i32,
    targets: Option<Targets>,
    keep_copy: bool,
) -> Result<(), ServiceError> {
    let mailbox = super::mailboxes::get_for(db, actor, mailbox_id, Action::ManageMailboxes).await?;
    let txn = crate::services::common::begin_write(db).await?;
    let model = mailbox::Entity::find_by_id(mailbox_id).one(&txn).await?.ok_or(ServiceError::NotFound)?;
    if let Some(targets) = &targets {
        let hint = "To deliver here as well, tick \u{201c}Keep a copy\u{201d}.";
        check_targets(&txn, &mailbox.address, targets, hint).await?;
    }
    let stored = targets.as_ref().map(Targets::to_stored).unwrap_or_default();
    let before = json!({ "forward_to": model.forward_to, "keep_copy": model.forward_keep_copy });
    let mut active: mailbox::ActiveModel = model.into();
    active.forward_to = Set(stored.clone());
    active.forward_keep_copy = Set(keep_copy);
    active.updated_at = Set(Utc::now());
    active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Change {
            company_id: Some(mailbox.domain.company_id),
            object_kind: "mailbox",
            object_id: Some(mailbox_id),
            object_label: &mailbox.address,
            action: "forward",
            before,
            after: json!({ "forward_to": stored, "keep_copy": keep_copy }),
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(mailbox_id, actor = %actor.login, "mailbox forward set");
    Ok(())
}

async fn mailbox_exists<C: ConnectionTrait>(db: &C, address: &str) -> Result<bool, ServiceError> {
    Ok(mailbox::Entity::find().filter(mailbox::Column::Address.eq(address)).one(db).await?.is_some())
}

/// The checks that need the database, for an address about to deliver to `targets`:
/// - not to itself;
/// - a target in one of our domains exists (a mailbox, an alias, or the domain has a
///   catch-all), so a typo is caught here rather than as a bounce;
/// - no target leads straight back (an alias or forward of the target naming this address),
///   which Postfix would bounce as a loop. Longer circles are left to Postfix's own limit.
async fn check_targets(
    txn: &DatabaseTransaction,
    own: &str,
    targets: &Targets,
    self_hint: &str,
) -> Result<(), ServiceError> {
    targets.refuse_self(own, self_hint).map_err(|e| invalid("targets", e.0))?;
    let backend = txn.get_database_backend();
    for target in targets.iter() {
        let address = target.to_string();
        let hosted = sql::statement(
            backend,
            "SELECT 1 AS one FROM domain WHERE name = ?",
            vec![target.domain().as_str().into()],
        );
        if txn.query_one_raw(hosted).await?.is_none() {
            continue;
        }
        let catch_all = format!("@{}", target.domain());
        let found = sql::statement(
            backend,
            "SELECT targets AS next FROM alias WHERE address = ? \
             UNION ALL SELECT forward_to AS next FROM mailbox WHERE address = ? \
             UNION ALL SELECT '' AS next FROM alias WHERE address = ?",
            vec![address.clone().into(), address.clone().into(), catch_all.into()],
        );
        let rows = txn.query_all_raw(found).await?;
        if rows.is_empty() {
            return Err(invalid(
                "targets",
                format!("{address} is neither a mailbox nor an alias of {}.", target.domain()),
            ));
        }
        for row in rows {
            let next: String = row.try_get("", "next")?;
            if Targets::stored_list(&next).contains(&own) {
                return Err(invalid(
                    "targets",
                    format!("{address} delivers back to {own}: mail would go round in a circle."),
                ));
            }
        }
    }
    Ok(())
}

fn invalid(field: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(FieldErrors::single(field, message))
}

async fn record(
    txn: &DatabaseTransaction,
    actor: &Actor,
    domain: &Domain,
    model: &alias::Model,
    action: &'static str,
    before: serde_json::Value,
) -> Result<(), ServiceError> {
    audit::record(
        txn,
        actor,
        Change {
            company_id: Some(domain.company_id),
            object_kind: "alias",
            object_id: Some(model.id),
            object_label: &model.address,
            action,
            before,
            after: json!({ "address": model.address, "targets": model.targets }),
        },
    )
    .await
}
