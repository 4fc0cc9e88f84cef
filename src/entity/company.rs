use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "company")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub status: String,
    pub complaint_allowance: i32,
    /// Outbound limits (NULL: inherit); see `crate::enforcement::limits`.
    pub limit_daily: Option<i32>,
    pub limit_external_hourly: Option<i32>,
    pub limit_internal_hourly: Option<i32>,
    /// What a breach of a limit does: `defer`, `suspend` or `alert`.
    pub limit_breach: String,
    /// Whether a lift of Send Mail puts the mailbox on probation.
    pub probation: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
