use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "suspension")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub mailbox_id: Option<i32>,
    pub address: String,
    pub domain_id: i32,
    pub company_id: i32,
    pub service: String,
    pub previous_state: i16,
    pub reason: String,
    pub evidence: String,
    pub started_at: DateTimeUtc,
    pub started_by: String,
    pub ended_at: Option<DateTimeUtc>,
    pub ended_by: Option<String>,
    pub end_kind: Option<String>,
    pub end_note: Option<String>,
    /// Started while the mailbox was on probation after a lift.
    pub in_probation: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
