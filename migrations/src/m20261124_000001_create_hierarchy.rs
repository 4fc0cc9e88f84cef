//! Company → domain → mailbox, with the mailbox's six services as columns
//! (0 enabled, 1 disabled by an admin, 2 suspended for abuse) so a status never needs a join.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Company {
    Table,
    Id,
    Name,
    Status,
    ComplaintAllowance,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Domain {
    Table,
    Id,
    CompanyId,
    Name,
    MailboxCount,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Mailbox {
    Table,
    Id,
    DomainId,
    LocalPart,
    Address,
    DisplayName,
    PasswordHash,
    SvcSendMail,
    SvcReceiveMail,
    SvcImap,
    SvcPop3,
    SvcWebmailLogin,
    SvcWebmailSend,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Company::Table)
                    .col(pk_auto(Company::Id))
                    .col(string_uniq(Company::Name))
                    .col(string(Company::Status).default("active"))
                    .col(integer(Company::ComplaintAllowance).default(10))
                    .col(timestamp_with_time_zone(Company::CreatedAt))
                    .col(timestamp_with_time_zone(Company::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Domain::Table)
                    .col(pk_auto(Domain::Id))
                    .col(integer(Domain::CompanyId))
                    .col(string_uniq(Domain::Name))
                    // Kept by the service layer in the same transaction as each insert and delete,
                    // so the mailbox list of a 50,000-mailbox domain need not count them per page.
                    .col(integer(Domain::MailboxCount).default(0))
                    .col(timestamp_with_time_zone(Domain::CreatedAt))
                    .col(timestamp_with_time_zone(Domain::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Domain::Table, Domain::CompanyId)
                            .to(Company::Table, Company::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("domain_company_name")
                    .table(Domain::Table)
                    .col(Domain::CompanyId)
                    .col(Domain::Name)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Mailbox::Table)
                    .col(pk_auto(Mailbox::Id))
                    .col(integer(Mailbox::DomainId))
                    .col(string(Mailbox::LocalPart))
                    .col(string_uniq(Mailbox::Address))
                    .col(string(Mailbox::DisplayName).default(""))
                    .col(string(Mailbox::PasswordHash))
                    .col(small_integer(Mailbox::SvcSendMail).default(0))
                    .col(small_integer(Mailbox::SvcReceiveMail).default(0))
                    .col(small_integer(Mailbox::SvcImap).default(0))
                    .col(small_integer(Mailbox::SvcPop3).default(0))
                    .col(small_integer(Mailbox::SvcWebmailLogin).default(0))
                    .col(small_integer(Mailbox::SvcWebmailSend).default(0))
                    .col(timestamp_with_time_zone(Mailbox::CreatedAt))
                    .col(timestamp_with_time_zone(Mailbox::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Mailbox::Table, Mailbox::DomainId)
                            .to(Domain::Table, Domain::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        // The mailbox list pages by keyset within a domain, sorted by address, display name or age.
        for (name, cols) in [
            ("mailbox_domain_address", vec![Mailbox::DomainId, Mailbox::Address]),
            ("mailbox_domain_display_name", vec![Mailbox::DomainId, Mailbox::DisplayName, Mailbox::Id]),
            ("mailbox_domain_id", vec![Mailbox::DomainId, Mailbox::Id]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Mailbox::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Mailbox::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Domain::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Company::Table).to_owned()).await
    }
}
