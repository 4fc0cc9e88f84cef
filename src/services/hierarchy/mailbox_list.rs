//! The mailboxes of a domain: one page of a keyset-paginated, searchable, sortable list.
use super::domains::Domain;
use super::service_columns::services_from_row;
use crate::authz::{Action, Actor};
use crate::domain::{Quota, QuotaUsage, ServiceSet};
use crate::services::common::{Page, ServiceError, authorize, sql};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection};

pub const PAGE_SIZE: usize = 50;

#[derive(Debug, Clone)]
pub struct MailboxRow {
    pub id: i32,
    pub address: String,
    pub display_name: String,
    pub services: ServiceSet,
    pub quota: Quota,
    /// As Dovecot last reported it; `None` before its first delivery or expunge.
    pub usage: Option<QuotaUsage>,
    pub created_at: DateTime<Utc>,
}

impl MailboxRow {
    /// The list's Quota column.
    pub fn quota_line(&self) -> String {
        match (self.usage, self.quota.megabytes()) {
            (Some(usage), _) => usage.describe(self.quota),
            (None, 0) => "no quota".into(),
            (None, mb) => format!("{mb} MB"),
        }
    }

    pub fn is_full(&self) -> bool {
        self.usage.is_some_and(|u| u.is_full(self.quota))
    }
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
     svc_pop3, svc_webmail_login, svc_webmail_send, created_at, quota_mb, \
     (SELECT u.bytes FROM mailbox_quota_usage u WHERE u.address = mailbox.address) AS used_bytes, \
     (SELECT u.messages FROM mailbox_quota_usage u WHERE u.address = mailbox.address) AS used_messages";

fn row_from(row: &sea_orm::QueryResult) -> Result<MailboxRow, sea_orm::DbErr> {
    Ok(MailboxRow {
        id: row.try_get("", "id")?,
        address: row.try_get("", "address")?,
        display_name: row.try_get("", "display_name")?,
        services: services_from_row(row)?,
        quota: Quota::from_megabytes(row.try_get("", "quota_mb")?),
        usage: match (
            row.try_get::<Option<i64>>("", "used_bytes")?,
            row.try_get::<Option<i32>>("", "used_messages")?,
        ) {
            (Some(bytes), Some(messages)) => Some(QuotaUsage { bytes, messages }),
            _ => None,
        },
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
    domain: &Domain,
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
    let rows = rows.iter().map(row_from).collect::<Result<Vec<_>, _>>()?;
    let shape = (forward, cursor_id.is_some());
    Ok(Page::from_keyset(rows, PAGE_SIZE, shape, total as u64, |r| r.id.to_string()))
}
