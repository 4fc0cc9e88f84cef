use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_entry")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub at: DateTimeUtc,
    pub actor_login: String,
    pub actor_role: String,
    pub actor_admin_id: Option<i32>,
    pub client_addr: String,
    pub company_id: Option<i32>,
    pub object_kind: String,
    pub object_id: Option<i32>,
    pub object_label: String,
    pub action: String,
    pub before: String,
    pub after: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
