use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "complaint")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub received_at: DateTimeUtc,
    pub arrival_date: Option<DateTimeUtc>,
    pub feedback_type: String,
    pub counts: bool,
    pub mailbox_id: Option<i32>,
    pub company_id: Option<i32>,
    pub sender: String,
    pub complaining_recipient: Option<String>,
    pub original_message_id: Option<String>,
    pub report_message_id: Option<String>,
    pub source: String,
    pub reporting_mta: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub subject: Option<String>,
    pub original: Option<String>,
    pub original_headers_only: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
