//! A company's contacts (abuse, technical, billing); AUP notices go to the abuse contacts.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AbuseContact {
    Table,
    Id,
    CompanyId,
    Kind,
    Name,
    Email,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Company {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AbuseContact::Table)
                    .col(pk_auto(AbuseContact::Id))
                    .col(integer(AbuseContact::CompanyId))
                    .col(string(AbuseContact::Kind))
                    .col(string(AbuseContact::Name).default(""))
                    .col(string(AbuseContact::Email))
                    .col(timestamp_with_time_zone(AbuseContact::CreatedAt))
                    .col(timestamp_with_time_zone(AbuseContact::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AbuseContact::Table, AbuseContact::CompanyId)
                            .to(Company::Table, Company::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("abuse_contact_company_kind")
                    .table(AbuseContact::Table)
                    .col(AbuseContact::CompanyId)
                    .col(AbuseContact::Kind)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AbuseContact::Table).to_owned()).await
    }
}
