use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notice")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub created_at: DateTimeUtc,
    pub kind: String,
    pub company_id: i32,
    pub mailbox_id: Option<i32>,
    pub mailbox_address: String,
    /// Comma-separated addresses.
    pub recipients: String,
    pub to_platform: bool,
    pub subject: String,
    pub body: String,
    /// Comma-separated complaint ids whose originals go along as samples.
    pub sample_ids: String,
    /// `queued`, `sent` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
