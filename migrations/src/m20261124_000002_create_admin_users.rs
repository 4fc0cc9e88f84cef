//! People who sign in to the dashboard, and the domains a domain admin looks after.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AdminUser {
    Table,
    Id,
    Login,
    PasswordHash,
    Role,
    CompanyId,
    CreatedAt,
    UpdatedAt,
    LastSignInAt,
}

#[derive(DeriveIden)]
enum AdminDomain {
    Table,
    AdminId,
    DomainId,
}

#[derive(DeriveIden)]
enum Company {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Domain {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AdminUser::Table)
                    .col(pk_auto(AdminUser::Id))
                    .col(string_uniq(AdminUser::Login))
                    .col(string(AdminUser::PasswordHash))
                    .col(string(AdminUser::Role))
                    .col(integer_null(AdminUser::CompanyId))
                    .col(timestamp_with_time_zone(AdminUser::CreatedAt))
                    .col(timestamp_with_time_zone(AdminUser::UpdatedAt))
                    .col(timestamp_with_time_zone_null(AdminUser::LastSignInAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AdminUser::Table, AdminUser::CompanyId)
                            .to(Company::Table, Company::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AdminDomain::Table)
                    .col(integer(AdminDomain::AdminId))
                    .col(integer(AdminDomain::DomainId))
                    .primary_key(Index::create().col(AdminDomain::AdminId).col(AdminDomain::DomainId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AdminDomain::Table, AdminDomain::AdminId)
                            .to(AdminUser::Table, AdminUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AdminDomain::Table, AdminDomain::DomainId)
                            .to(Domain::Table, Domain::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("admin_domain_domain")
                    .table(AdminDomain::Table)
                    .col(AdminDomain::DomainId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AdminDomain::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(AdminUser::Table).to_owned()).await
    }
}
