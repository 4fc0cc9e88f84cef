//! The aliases of a domain (its catch-all first): one page of a keyset-paginated, searchable
//! list, sorted by address.
use super::domains::Domain;
use crate::authz::{Action, Actor};
use crate::domain::Targets;
use crate::services::common::{Page, ServiceError, authorize, sql};
use sea_orm::{ConnectionTrait, DatabaseConnection};

pub const PAGE_SIZE: usize = 50;

#[derive(Debug, Clone)]
pub struct AliasRow {
    pub id: i32,
    pub address: String,
    pub targets: Vec<String>,
    pub catch_all: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Part of the alias's address or of a target.
    pub search: String,
    /// Alias id of the last row of the previous page.
    pub after: Option<i32>,
    /// Alias id of the first row of the next page (going back).
    pub before: Option<i32>,
}

/// One page of a domain's aliases. The cursor is an alias id whose address bounds the page, so
/// page 1,000 costs what page 1 costs (index `alias_domain_address`).
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    domain: &Domain,
    query: &ListQuery,
) -> Result<Page<AliasRow>, ServiceError> {
    authorize(actor, Action::View, domain.place())?;
    let backend = db.get_database_backend();
    let mut filter = String::from("domain_id = ?");
    let mut values: Vec<sea_orm::Value> = vec![domain.id.into()];
    let search = query.search.trim().to_lowercase();
    if !search.is_empty() {
        filter.push_str(" AND (address LIKE ? ESCAPE '\\' OR targets LIKE ? ESCAPE '\\')");
        let pattern = sql::contains_pattern(&search);
        values.push(pattern.clone().into());
        values.push(pattern.into());
    }
    let count_sql = format!("SELECT COUNT(*) AS n FROM alias WHERE {filter}");
    let total: i64 = db
        .query_one_raw(sql::statement(backend, &count_sql, values.clone()))
        .await?
        .map(|row| row.try_get("", "n"))
        .transpose()?
        .unwrap_or(0);

    let forward = query.before.is_none();
    let cursor_id = query.before.or(query.after);
    if let Some(cursor_id) = cursor_id {
        let op = if forward { ">" } else { "<" };
        // A deleted cursor row matches nothing here and the list just restarts.
        filter.push_str(&format!(
            " AND address {op} COALESCE((SELECT address FROM alias WHERE id = ? AND domain_id = ?), address)"
        ));
        values.push(cursor_id.into());
        values.push(domain.id.into());
    }
    let direction = if forward { "ASC" } else { "DESC" };
    let list_sql = format!(
        "SELECT id, address, targets, local_part FROM alias WHERE {filter} ORDER BY address {direction} LIMIT {}",
        PAGE_SIZE + 1
    );
    let found = db.query_all_raw(sql::statement(backend, &list_sql, values)).await?;
    let rows = found
        .iter()
        .map(|row| {
            let targets: String = row.try_get("", "targets")?;
            Ok(AliasRow {
                id: row.try_get("", "id")?,
                address: row.try_get("", "address")?,
                targets: Targets::stored_list(&targets).into_iter().map(str::to_owned).collect(),
                catch_all: row.try_get::<String>("", "local_part")? == "*",
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    let shape = (forward, cursor_id.is_some());
    Ok(Page::from_keyset(rows, PAGE_SIZE, shape, total as u64, |r| r.id.to_string()))
}
