//! Reading mailboxes and domains for the policy service's in-memory table: the whole table a
//! page at a time (a million rows at once would cost gigabytes of row objects), or the few
//! mailboxes a change names.
use crate::domain::ServiceSet;
use crate::enforcement::limits::{BreachAction, Limits};
use crate::services::common::{ServiceError, sql};
use crate::services::hierarchy::service_columns::services_from_row;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult};

/// One hosted mailbox as the policy service keeps it.
#[derive(Debug, Clone)]
pub struct MailboxEntry {
    pub mailbox_id: i32,
    pub address: String,
    pub domain_id: i32,
    pub company_id: i32,
    pub services: ServiceSet,
    /// The mailbox's own limits (unset ones inherit).
    pub limits: Limits,
    /// The last lift of Send Mail.
    pub send_lifted_at: Option<DateTime<Utc>>,
}

/// One hosted domain: its name, company and limits.
#[derive(Debug, Clone)]
pub struct DomainEntry {
    pub domain_id: i32,
    pub name: String,
    pub company_id: i32,
    pub limits: Limits,
}

/// A company's limits, breach action and probation setting.
#[derive(Debug, Clone)]
pub struct CompanyEntry {
    pub company_id: i32,
    pub limits: Limits,
    pub breach: BreachAction,
    pub probation: bool,
}

fn limits_of(row: &QueryResult, prefix: &str) -> Result<Limits, sea_orm::DbErr> {
    Ok(Limits::from_columns(
        row.try_get("", &format!("{prefix}limit_daily"))?,
        row.try_get("", &format!("{prefix}limit_external_hourly"))?,
        row.try_get("", &format!("{prefix}limit_internal_hourly"))?,
    ))
}

const COLUMNS: &str = "m.id, m.address, m.domain_id, d.company_id, m.svc_send_mail, m.svc_receive_mail, \
     m.svc_imap, m.svc_pop3, m.svc_webmail_login, m.svc_webmail_send, m.limit_daily, m.limit_external_hourly, \
     m.limit_internal_hourly, m.send_lifted_at";

fn entry(row: &QueryResult) -> Result<MailboxEntry, sea_orm::DbErr> {
    Ok(MailboxEntry {
        mailbox_id: row.try_get("", "id")?,
        address: row.try_get("", "address")?,
        domain_id: row.try_get("", "domain_id")?,
        company_id: row.try_get("", "company_id")?,
        services: services_from_row(row)?,
        limits: limits_of(row, "")?,
        send_lifted_at: row.try_get("", "send_lifted_at")?,
    })
}

/// How many mailboxes there are, to size the table before a full load.
pub async fn mailbox_count(db: &DatabaseConnection) -> Result<u64, ServiceError> {
    let row = db
        .query_one_raw(sql::statement(
            db.get_database_backend(),
            "SELECT CAST(COALESCE(SUM(mailbox_count), 0) AS BIGINT) AS n FROM domain",
            vec![],
        ))
        .await?;
    Ok(row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0).max(0) as u64)
}

/// The mailboxes with an id above `after`, in id order, at most `limit`.
pub async fn mailboxes_after(
    db: &DatabaseConnection,
    after: i32,
    limit: u32,
) -> Result<Vec<MailboxEntry>, ServiceError> {
    let query = format!(
        "SELECT {COLUMNS} FROM mailbox m JOIN domain d ON d.id = m.domain_id \
         WHERE m.id > ? ORDER BY m.id LIMIT {limit}"
    );
    let rows =
        db.query_all_raw(sql::statement(db.get_database_backend(), &query, vec![after.into()])).await?;
    Ok(rows.iter().map(entry).collect::<Result<_, _>>()?)
}

/// The mailboxes with these ids that still exist.
pub async fn mailboxes_by_id(
    db: &DatabaseConnection,
    ids: &[i32],
) -> Result<Vec<MailboxEntry>, ServiceError> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let query = format!(
            "SELECT {COLUMNS} FROM mailbox m JOIN domain d ON d.id = m.domain_id WHERE m.id IN ({})",
            sql::placeholders(chunk.len())
        );
        let values = chunk.iter().map(|id| (*id).into()).collect();
        let rows = db.query_all_raw(sql::statement(db.get_database_backend(), &query, values)).await?;
        for row in &rows {
            found.push(entry(row)?);
        }
    }
    Ok(found)
}

/// Every hosted domain.
pub async fn domains(db: &DatabaseConnection) -> Result<Vec<DomainEntry>, ServiceError> {
    let rows = db
        .query_all_raw(sql::statement(
            db.get_database_backend(),
            "SELECT id, name, company_id, limit_daily, limit_external_hourly, limit_internal_hourly \
             FROM domain ORDER BY id",
            vec![],
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(DomainEntry {
                domain_id: row.try_get("", "id")?,
                name: row.try_get("", "name")?,
                company_id: row.try_get("", "company_id")?,
                limits: limits_of(row, "")?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(ServiceError::from)
}

/// Every company's sending rules.
pub async fn companies(db: &DatabaseConnection) -> Result<Vec<CompanyEntry>, ServiceError> {
    let rows = db
        .query_all_raw(sql::statement(
            db.get_database_backend(),
            "SELECT id, limit_daily, limit_external_hourly, limit_internal_hourly, limit_breach, probation \
             FROM company ORDER BY id",
            vec![],
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(CompanyEntry {
                company_id: row.try_get("", "id")?,
                limits: limits_of(row, "")?,
                breach: BreachAction::from_stored(&row.try_get::<String>("", "limit_breach")?),
                probation: row.try_get("", "probation")?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(ServiceError::from)
}

/// One mailbox by address, for a question asked once (the webmail API).
pub async fn mailbox_by_address(
    db: &DatabaseConnection,
    address: &str,
) -> Result<Option<MailboxEntry>, ServiceError> {
    let query =
        format!("SELECT {COLUMNS} FROM mailbox m JOIN domain d ON d.id = m.domain_id WHERE m.address = ?");
    let row = db
        .query_one_raw(sql::statement(db.get_database_backend(), &query, vec![address.to_owned().into()]))
        .await?;
    Ok(row.as_ref().map(entry).transpose()?)
}
