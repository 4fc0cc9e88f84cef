//! Revocable sessions (issue 15): the cookie carries a random token; the server keeps its hash
//! here. Signing out deletes the row; a password change or reset and deleting the admin delete
//! all of the admin's rows, so a copied cookie stops working at once, on every instance.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AdminSession {
    Table,
    Id,
    AdminId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AdminUser {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AdminSession::Table)
                    // SHA-256 of the token, hex: a leaked table gives no usable cookie.
                    .col(string(AdminSession::Id).primary_key())
                    .col(integer(AdminSession::AdminId))
                    .col(timestamp_with_time_zone(AdminSession::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AdminSession::Table, AdminSession::AdminId)
                            .to(AdminUser::Table, AdminUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("admin_session_admin")
                    .table(AdminSession::Table)
                    .col(AdminSession::AdminId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AdminSession::Table).to_owned()).await
    }
}
