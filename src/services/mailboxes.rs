//! Mailboxes: the list of a domain (keyset-paginated), Edit Mailbox, passwords, deletion.
use super::audit::{self, Change};
use super::passwords::{self, Secret};
use super::{Page, ServiceError, authorize, domains, error::unique_violation, sql, suspensions};
use crate::authz::{Action, Actor, Place};
use crate::domain::{DisplayName, LocalPart, MailboxAddress, Service, ServiceSet, ServiceState};
use crate::entity::{mailbox, suspension};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use serde_json::json;

pub const PAGE_SIZE: usize = 50;

#[derive(Debug, Clone)]
pub struct Mailbox {
    pub id: i32,
    pub domain: domains::Domain,
    pub local_part: String,
    pub address: String,
    pub display_name: String,
    pub services: ServiceSet,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Mailbox {
    pub fn place(&self) -> Place {
        self.domain.place()
    }
}

#[derive(Debug, Clone)]
pub struct MailboxRow {
    pub id: i32,
    pub address: String,
    pub display_name: String,
    pub services: ServiceSet,
    pub created_at: DateTime<Utc>,
}

pub(crate) fn services_of(m: &mailbox::Model) -> ServiceSet {
    ServiceSet {
        send_mail: ServiceState::from_code(m.svc_send_mail),
        receive_mail: ServiceState::from_code(m.svc_receive_mail),
        imap: ServiceState::from_code(m.svc_imap),
        pop3: ServiceState::from_code(m.svc_pop3),
        webmail_login: ServiceState::from_code(m.svc_webmail_login),
        webmail_send: ServiceState::from_code(m.svc_webmail_send),
    }
}

pub(crate) fn set_services(model: &mut mailbox::ActiveModel, services: &ServiceSet) {
    model.svc_send_mail = Set(services.send_mail.code());
    model.svc_receive_mail = Set(services.receive_mail.code());
    model.svc_imap = Set(services.imap.code());
    model.svc_pop3 = Set(services.pop3.code());
    model.svc_webmail_login = Set(services.webmail_login.code());
    model.svc_webmail_send = Set(services.webmail_send.code());
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Address,
    DisplayName,
    Created,
}

impl SortKey {
    pub fn parse(input: &str) -> Self {
        match input {
            "name" => SortKey::DisplayName,
            "created" => SortKey::Created,
            _ => SortKey::Address,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Address => "address",
            SortKey::DisplayName => "name",
            SortKey::Created => "created",
        }
    }

    /// The ordered key, always ending in a unique column so the keyset is total.
    fn columns(self) -> &'static [&'static str] {
        match self {
            SortKey::Address => &["address"],
            SortKey::DisplayName => &["display_name", "id"],
            SortKey::Created => &["id"],
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub search: String,
    pub sort: SortKey,
    pub descending: bool,
    /// Mailbox id of the last row of the previous page.
    pub after: Option<i32>,
    /// Mailbox id of the first row of the next page (going back).
    pub before: Option<i32>,
    /// Only mailboxes with a suspended service.
    pub suspended_only: bool,
}

const ROW_COLUMNS: &str = "id, address, display_name, svc_send_mail, svc_receive_mail, svc_imap, \
     svc_pop3, svc_webmail_login, svc_webmail_send, created_at";

/// Reads the six `svc_*` columns of a hand-written query's row.
pub(crate) fn services_from_row(row: &sea_orm::QueryResult) -> Result<ServiceSet, sea_orm::DbErr> {
    let code = |col: &str| row.try_get::<i16>("", col).map(ServiceState::from_code);
    Ok(ServiceSet {
        send_mail: code("svc_send_mail")?,
        receive_mail: code("svc_receive_mail")?,
        imap: code("svc_imap")?,
        pop3: code("svc_pop3")?,
        webmail_login: code("svc_webmail_login")?,
        webmail_send: code("svc_webmail_send")?,
    })
}

fn row_from(row: &sea_orm::QueryResult) -> Result<MailboxRow, sea_orm::DbErr> {
    Ok(MailboxRow {
        id: row.try_get("", "id")?,
        address: row.try_get("", "address")?,
        display_name: row.try_get("", "display_name")?,
        services: services_from_row(row)?,
        created_at: row.try_get("", "created_at")?,
    })
}

/// One page of a domain's mailboxes. Keyset pagination: the cursor is a mailbox id whose sort
/// key bounds the page, so page 1,000 costs what page 1 costs.
/// Takes the domain the caller has loaded already (its page needs it too); the actor is asked
/// again here, without a query.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    domain: &domains::Domain,
    query: &ListQuery,
) -> Result<Page<MailboxRow>, ServiceError> {
    authorize(actor, Action::View, domain.place())?;
    let domain_id = domain.id;
    let backend = db.get_database_backend();
    let mut filter = String::from("domain_id = ?");
    let mut values: Vec<sea_orm::Value> = vec![domain_id.into()];
    let search = query.search.trim().to_lowercase();
    if !search.is_empty() {
        filter.push_str(" AND (address LIKE ? ESCAPE '\\' OR LOWER(display_name) LIKE ? ESCAPE '\\')");
        let pattern = sql::contains_pattern(&search);
        values.push(pattern.clone().into());
        values.push(pattern.into());
    }
    if query.suspended_only {
        filter.push_str(
            " AND (svc_send_mail = 2 OR svc_receive_mail = 2 OR svc_imap = 2 OR svc_pop3 = 2 \
               OR svc_webmail_login = 2 OR svc_webmail_send = 2)",
        );
    }
    let total: i64 = if search.is_empty() && !query.suspended_only {
        domain.mailbox_count
    } else {
        let count_sql = format!("SELECT COUNT(*) AS n FROM mailbox WHERE {filter}");
        db.query_one_raw(sql::statement(backend, &count_sql, values.clone()))
            .await?
            .map(|row| row.try_get("", "n"))
            .transpose()?
            .unwrap_or(0)
    };

    let forward = query.before.is_none();
    let ascending = query.descending != forward;
    let columns = query.sort.columns();
    let cursor_id = query.before.or(query.after);
    if let Some(cursor_id) = cursor_id {
        // The cursor row's own key values bound the page (a deleted cursor row just restarts).
        let key_sql = format!("SELECT {} FROM mailbox WHERE id = ? AND domain_id = ?", columns.join(", "));
        let key_row = db
            .query_one_raw(sql::statement(backend, &key_sql, vec![cursor_id.into(), domain_id.into()]))
            .await?;
        if let Some(key_row) = key_row {
            let op = if ascending { ">" } else { "<" };
            let marks = sql::placeholders(columns.len());
            filter.push_str(&format!(" AND ({}) {op} ({marks})", columns.join(", ")));
            for col in columns {
                let value: sea_orm::Value = if *col == "id" {
                    key_row.try_get::<i32>("", col)?.into()
                } else {
                    key_row.try_get::<String>("", col)?.into()
                };
                values.push(value);
            }
        }
    }
    let direction = if ascending { "ASC" } else { "DESC" };
    let order = columns.iter().map(|c| format!("{c} {direction}")).collect::<Vec<_>>().join(", ");
    let list_sql =
        format!("SELECT {ROW_COLUMNS} FROM mailbox WHERE {filter} ORDER BY {order} LIMIT {}", PAGE_SIZE + 1);
    let rows = db.query_all_raw(sql::statement(backend, &list_sql, values)).await?;
    let mut rows = rows.iter().map(row_from).collect::<Result<Vec<_>, _>>()?;
    let has_more = rows.len() > PAGE_SIZE;
    rows.truncate(PAGE_SIZE);
    if !forward {
        rows.reverse();
    }
    let first = rows.first().map(|r| r.id.to_string());
    let last = rows.last().map(|r| r.id.to_string());
    let (prev, next) = if forward {
        (if cursor_id.is_some() { first } else { None }, if has_more { last } else { None })
    } else {
        (if has_more { first } else { None }, last)
    };
    Ok(Page { rows, prev, next, total: total as u64 })
}

async fn load<C: ConnectionTrait>(db: &C, id: i32) -> Result<(mailbox::Model, Mailbox), ServiceError> {
    let model = mailbox::Entity::find_by_id(id).one(db).await?.ok_or(ServiceError::NotFound)?;
    let domain = domains::load(db, model.domain_id).await?;
    let view = Mailbox {
        id: model.id,
        domain,
        local_part: model.local_part.clone(),
        address: model.address.clone(),
        display_name: model.display_name.clone(),
        services: services_of(&model),
        created_at: model.created_at,
        updated_at: model.updated_at,
    };
    Ok((model, view))
}

pub async fn get(db: &DatabaseConnection, actor: &Actor, id: i32) -> Result<Mailbox, ServiceError> {
    get_for(db, actor, id, Action::View).await
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
) -> Result<i32, ServiceError> {
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
    let txn = super::begin_write(db).await?;
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
    Ok(model.id)
}

/// Saves Edit Mailbox: the display name and the services an admin may switch on and off.
/// A suspended service stays suspended here: lifting an abuse measure is its own action.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    display_name: DisplayName,
    wanted: &[(Service, bool)],
) -> Result<(), ServiceError> {
    let (_, view) = load(db, id).await?;
    authorize(actor, Action::ManageMailboxes, view.place())?;
    // Read the states again under the write lock: a suspension that lands meanwhile must stay.
    let txn = super::begin_write(db).await?;
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
    let (model, view) = load(db, id).await?;
    authorize(actor, Action::ManageMailboxes, view.place())?;
    let hash = passwords::hash(password).await?;
    let txn = super::begin_write(db).await?;
    mailbox::Entity::update_many()
        .col_expr(mailbox::Column::PasswordHash, sea_orm::sea_query::Expr::value(hash))
        .col_expr(mailbox::Column::UpdatedAt, sea_orm::sea_query::Expr::value(Utc::now()))
        .filter(mailbox::Column::Id.eq(model.id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        actor,
        Change {
            company_id: Some(view.domain.company_id),
            object_kind: "mailbox",
            object_id: Some(id),
            object_label: &view.address,
            action: "password",
            before: json!(null),
            after: json!({ "password": "changed" }),
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(mailbox_id = id, actor = %actor.login, "mailbox password set");
    Ok(())
}

pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: i32) -> Result<Mailbox, ServiceError> {
    let (_, view) = load(db, id).await?;
    authorize(actor, Action::ManageMailboxes, view.place())?;
    let txn = super::begin_write(db).await?;
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
    suspensions::refuse_if_suspended(txn, condition, "This mailbox").await?;
    let deleted = mailbox::Entity::delete_by_id(mailbox.id).exec(txn).await?;
    if deleted.rows_affected == 0 {
        return Err(ServiceError::NotFound);
    }
    domains::add_to_mailbox_count(txn, mailbox.domain.id, -1).await?;
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
    json!({ "address": m.address, "display_name": m.display_name, "services": states })
}
