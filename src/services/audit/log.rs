//! Reading the audit log: filtered, paginated, and as CSV.
use crate::authz::{Action, Actor, Place};
use crate::services::common::{Page, ServiceError, authorize, sql};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection};
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: i32,
    pub at: DateTime<Utc>,
    pub actor_login: String,
    pub actor_role: String,
    pub client_addr: String,
    pub company_id: Option<i32>,
    pub object_kind: String,
    pub object_id: Option<i32>,
    pub object_label: String,
    pub action: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this company's entries; `None` is the platform-wide log.
    pub company_id: Option<i32>,
    pub object_kind: String,
    pub actor: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Entries older than this id (keyset, newest first).
    pub before_id: Option<i32>,
}

pub const PAGE_SIZE: usize = 50;

/// Who may read which log: the platform and support read all; a company admin their company's.
fn authorize_read(actor: &Actor, company_id: Option<i32>) -> Result<(), ServiceError> {
    match company_id {
        Some(c) => {
            authorize(actor, Action::View, Place::Company(c))?;
            if actor.role == crate::domain::Role::Domain {
                return Err(ServiceError::Forbidden);
            }
            Ok(())
        }
        None => authorize(actor, Action::View, Place::Platform),
    }
}

/// Newest first; `limit` rows at most (the CSV export asks for more than a page).
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: &Filter,
    limit: usize,
) -> Result<Page<Entry>, ServiceError> {
    authorize_read(actor, filter.company_id)?;
    let mut conditions = vec!["1 = 1".to_owned()];
    let mut values: Vec<sea_orm::Value> = Vec::new();
    if let Some(c) = filter.company_id {
        conditions.push("company_id = ?".into());
        values.push(c.into());
    }
    if !filter.object_kind.is_empty() {
        conditions.push("object_kind = ?".into());
        values.push(filter.object_kind.clone().into());
    }
    if !filter.actor.trim().is_empty() {
        conditions.push("LOWER(actor_login) LIKE ? ESCAPE '\\'".into());
        values.push(sql::contains_pattern(&filter.actor.trim().to_lowercase()).into());
    }
    if let Some(from) = filter.from {
        conditions.push("at >= ?".into());
        values.push(from.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).into());
    }
    // The day after `to`, if it is a day timestamps can hold (year 10000 is written "+10000-…",
    // which SQLite's text comparison would sort before every entry).
    let end = filter.to.and_then(|to| to.succ_opt()).filter(|d| d.year() <= 9999);
    if let Some(end) = end.and_then(|d| d.and_hms_opt(0, 0, 0)) {
        conditions.push("at < ?".into());
        values.push(end.and_utc().into());
    }
    if let Some(before) = filter.before_id {
        conditions.push("id < ?".into());
        values.push(before.into());
    }
    let query = format!(
        "SELECT id, at, actor_login, actor_role, client_addr, company_id, object_kind, object_id, \
           object_label, action, before, after \
         FROM audit_entry WHERE {} ORDER BY id DESC LIMIT {}",
        conditions.join(" AND "),
        limit + 1
    );
    let rows = db.query_all_raw(sql::statement(db.get_database_backend(), &query, values)).await?;
    let mut rows = rows
        .iter()
        .map(|r| {
            Ok(Entry {
                id: r.try_get("", "id")?,
                at: r.try_get("", "at")?,
                actor_login: r.try_get("", "actor_login")?,
                actor_role: r.try_get("", "actor_role")?,
                client_addr: r.try_get("", "client_addr")?,
                company_id: r.try_get("", "company_id")?,
                object_kind: r.try_get("", "object_kind")?,
                object_id: r.try_get("", "object_id")?,
                object_label: r.try_get("", "object_label")?,
                action: r.try_get("", "action")?,
                before: r.try_get("", "before")?,
                after: r.try_get("", "after")?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    let next = if has_more { rows.last().map(|r| r.id.to_string()) } else { None };
    Ok(Page { total: rows.len() as u64, rows, prev: None, next })
}

/// RFC 4180 CSV of the entries.
pub fn to_csv(entries: &[Entry]) -> String {
    fn field(value: &str) -> String {
        // A leading = + - @ would be a formula in a spreadsheet; a quote keeps it text.
        let value =
            if value.starts_with(['=', '+', '-', '@']) { format!("'{value}") } else { value.to_owned() };
        if value.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", value.replace('"', "\"\""))
        } else {
            value
        }
    }
    let mut out = String::from(
        "id,at,actor,role,client_address,company_id,object_kind,object_id,object,action,before,after\r\n",
    );
    for e in entries {
        let cells = [
            e.id.to_string(),
            e.at.to_rfc3339(),
            e.actor_login.clone(),
            e.actor_role.clone(),
            e.client_addr.clone(),
            e.company_id.map(|c| c.to_string()).unwrap_or_default(),
            e.object_kind.clone(),
            e.object_id.map(|c| c.to_string()).unwrap_or_default(),
            e.object_label.clone(),
            e.action.clone(),
            e.before.clone(),
            e.after.clone(),
        ];
        out.push_str(&cells.iter().map(|c| field(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let entry = super::Entry {
            id: 1,
            at: chrono::Utc::now(),
            actor_login: "=cmd".into(),
            actor_role: "platform".into(),
            client_addr: "127.0.0.1".into(),
            company_id: None,
            object_kind: "company".into(),
            object_id: Some(2),
            object_label: "Acme, \"Inc\"".into(),
            action: "create".into(),
            before: "null".into(),
            after: "{}".into(),
        };
        let csv = super::to_csv(&[entry]);
        let line = csv.lines().nth(1).unwrap();
        assert!(line.contains(",'=cmd,"));
        assert!(line.contains("\"Acme, \"\"Inc\"\"\""));
    }
}
