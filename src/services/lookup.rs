//! The support look-up: any substring of an address, across the actor's whole scope, answered
//! from the substring index (SQLite FTS5 trigram, PostgreSQL pg_trgm).
use super::{ServiceError, sql};
use crate::authz::{Actor, Scope};
use crate::domain::ServiceSet;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};

/// How many matches one look-up shows; more means "refine the search".
pub const LIMIT: usize = 50;
/// Trigram indexes need three characters to narrow anything down.
pub const MIN_QUERY_CHARS: usize = 3;

#[derive(Debug, Clone)]
pub struct LookupRow {
    pub mailbox_id: i32,
    pub address: String,
    pub display_name: String,
    pub services: ServiceSet,
    pub domain_id: i32,
    pub domain_name: String,
    pub company_id: i32,
    pub company_name: String,
}

#[derive(Debug, Clone, Default)]
pub struct LookupResult {
    pub rows: Vec<LookupRow>,
    /// More than [`LIMIT`] mailboxes matched.
    pub truncated: bool,
}

pub async fn search(
    db: &DatabaseConnection,
    actor: &Actor,
    query: &str,
) -> Result<LookupResult, ServiceError> {
    let needle = query.trim().to_lowercase();
    if needle.chars().count() < MIN_QUERY_CHARS {
        return Err(ServiceError::Invalid(super::FieldErrors::single(
            "q",
            format!("Type at least {MIN_QUERY_CHARS} characters of the address."),
        )));
    }
    let backend = db.get_database_backend();
    let (from, mut values): (&str, Vec<sea_orm::Value>) = match backend {
        // A quoted FTS5 string is matched literally as a substring by the trigram tokenizer.
        DbBackend::Sqlite => (
            "mailbox_search s JOIN mailbox m ON m.id = s.rowid \
             JOIN domain d ON d.id = m.domain_id JOIN company c ON c.id = d.company_id \
             WHERE mailbox_search MATCH ?",
            vec![format!("\"{}\"", needle.replace('"', "\"\"")).into()],
        ),
        _ => (
            "mailbox m JOIN domain d ON d.id = m.domain_id JOIN company c ON c.id = d.company_id \
             WHERE m.address LIKE ? ESCAPE '\\'",
            vec![sql::contains_pattern(&needle).into()],
        ),
    };
    let mut scope_filter = String::new();
    match actor.scope() {
        Scope::Everything => {}
        Scope::Company(id) => {
            scope_filter.push_str(" AND d.company_id = ?");
            values.push(id.into());
        }
        Scope::Domains(ids) => {
            scope_filter.push_str(&format!(" AND d.id IN ({})", sql::placeholders(ids.len())));
            if ids.is_empty() {
                values.push((-1).into());
            }
            values.extend(ids.into_iter().map(sea_orm::Value::from));
        }
    }
    // No ORDER BY: sorting every match of a common substring would cost what the index saved.
    let query = format!(
        "SELECT m.id, m.address, m.display_name, m.svc_send_mail, m.svc_receive_mail, m.svc_imap, \
           m.svc_pop3, m.svc_webmail_login, m.svc_webmail_send, d.id AS domain_id, \
           d.name AS domain_name, c.id AS company_id, c.name AS company_name \
         FROM {from}{scope_filter} LIMIT {}",
        LIMIT + 1
    );
    let rows = db.query_all_raw(sql::statement(backend, &query, values)).await?;
    let mut rows = rows
        .iter()
        .map(|row| {
            Ok(LookupRow {
                mailbox_id: row.try_get("", "id")?,
                address: row.try_get("", "address")?,
                display_name: row.try_get("", "display_name")?,
                services: super::mailboxes::services_from_row(row)?,
                domain_id: row.try_get("", "domain_id")?,
                domain_name: row.try_get("", "domain_name")?,
                company_id: row.try_get("", "company_id")?,
                company_name: row.try_get("", "company_name")?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    let truncated = rows.len() > LIMIT;
    rows.truncate(LIMIT);
    rows.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(LookupResult { rows, truncated })
}
