//! Counts for the front page, within the actor's scope.
use crate::authz::{Actor, Scope};
use crate::services::{common::ServiceError, common::sql};
use sea_orm::{ConnectionTrait, DatabaseConnection};

#[derive(Debug, Clone, Default)]
pub struct Overview {
    pub companies: i64,
    pub domains: i64,
    pub mailboxes: i64,
}

pub async fn counts(db: &DatabaseConnection, actor: &Actor) -> Result<Overview, ServiceError> {
    let (filter, values): (String, Vec<sea_orm::Value>) = match actor.scope() {
        Scope::Everything => ("1 = 1".into(), vec![]),
        Scope::Company(id) => ("d.company_id = ?".into(), vec![id.into()]),
        Scope::Domains(ids) => {
            let mut values: Vec<sea_orm::Value> = ids.iter().map(|id| (*id).into()).collect();
            if values.is_empty() {
                values.push((-1).into());
            }
            (format!("d.id IN ({})", sql::placeholders(ids.len())), values)
        }
    };
    let query = format!(
        "SELECT COUNT(DISTINCT d.company_id) AS companies, COUNT(*) AS domains, \
           CAST(COALESCE(SUM(d.mailbox_count), 0) AS BIGINT) AS mailboxes \
         FROM domain d WHERE {filter}"
    );
    let backend = db.get_database_backend();
    let row = db.query_one_raw(sql::statement(backend, &query, values)).await?;
    let Some(row) = row else { return Ok(Overview::default()) };
    let mut overview = Overview {
        companies: row.try_get("", "companies")?,
        domains: row.try_get("", "domains")?,
        mailboxes: row.try_get("", "mailboxes")?,
    };
    if actor.scope() == Scope::Everything {
        // Companies without domains count too.
        let all =
            db.query_one_raw(sql::statement(backend, "SELECT COUNT(*) AS n FROM company", vec![])).await?;
        if let Some(all) = all {
            overview.companies = all.try_get("", "n")?;
        }
    }
    Ok(overview)
}
