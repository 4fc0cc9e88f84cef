//! Name → id look-ups for command-line tools, which name things rather than number them.
use crate::entity::{company, domain};
use crate::services::common::ServiceError;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

pub async fn company_by_name(db: &DatabaseConnection, name: &str) -> Result<Option<i32>, ServiceError> {
    Ok(company::Entity::find().filter(company::Column::Name.eq(name.trim())).one(db).await?.map(|c| c.id))
}

pub async fn domain_by_name(db: &DatabaseConnection, name: &str) -> Result<Option<i32>, ServiceError> {
    Ok(domain::Entity::find().filter(domain::Column::Name.eq(name)).one(db).await?.map(|d| d.id))
}

pub async fn no_companies(db: &DatabaseConnection) -> Result<bool, ServiceError> {
    Ok(company::Entity::find().count(db).await? == 0)
}
