use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "domain")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub company_id: i32,
    pub name: String,
    pub mailbox_count: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Outbound limits (NULL: inherit); see `crate::enforcement::limits`.
    pub limit_daily: Option<i32>,
    pub limit_external_hourly: Option<i32>,
    pub limit_internal_hourly: Option<i32>,
    /// false: the mail servers refuse the domain's mail and its mailboxes' logins.
    pub active: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
