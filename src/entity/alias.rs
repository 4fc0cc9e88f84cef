use sea_orm::entity::prelude::*;

/// An address of a hosted domain delivering to other addresses; local part `*` is the domain's
/// catch-all (address `@domain`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alias")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub domain_id: i32,
    pub local_part: String,
    pub address: String,
    /// Normalised addresses joined by commas (what Postfix's virtual_alias_maps expects).
    pub targets: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
