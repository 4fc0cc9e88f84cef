//! Soft-suspensions as records: one row per suspended service, never deleted, ended by a lift.
//! The mailbox's `svc_*` column says `suspended` exactly while an open row exists; the partial
//! unique index makes "one open suspension per service" a fact the database keeps.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Suspension {
    Table,
    Id,
    MailboxId,
    Address,
    DomainId,
    CompanyId,
    Service,
    PreviousState,
    Reason,
    Evidence,
    StartedAt,
    StartedBy,
    EndedAt,
    EndedBy,
    EndKind,
    EndNote,
}

#[derive(DeriveIden)]
enum Mailbox {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Suspension::Table)
                    .col(pk_auto(Suspension::Id))
                    // Kept (as NULL) when the mailbox is deleted: the history outlives it.
                    .col(integer_null(Suspension::MailboxId))
                    .col(string(Suspension::Address))
                    .col(integer(Suspension::DomainId))
                    .col(integer(Suspension::CompanyId))
                    .col(string(Suspension::Service))
                    .col(small_integer(Suspension::PreviousState))
                    .col(string(Suspension::Reason))
                    .col(text(Suspension::Evidence))
                    .col(timestamp_with_time_zone(Suspension::StartedAt))
                    .col(string(Suspension::StartedBy))
                    .col(timestamp_with_time_zone_null(Suspension::EndedAt))
                    .col(string_null(Suspension::EndedBy))
                    .col(string_null(Suspension::EndKind))
                    .col(text_null(Suspension::EndNote))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Suspension::Table, Suspension::MailboxId)
                            .to(Mailbox::Table, Mailbox::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        // Partial indexes read the same on SQLite and PostgreSQL.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX suspension_one_open ON suspension (mailbox_id, service) WHERE ended_at IS NULL",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX suspension_open_by_place ON suspension (company_id, domain_id) WHERE ended_at IS NULL",
        )
        .await?;
        db.execute_unprepared("CREATE INDEX suspension_history ON suspension (mailbox_id, started_at)")
            .await?;
        // Repeat offenders of a company or domain: Send Mail suspensions started in the last 30
        // days (without it SQLite walked every suspension row: 6 ms per domain page at 1M mailboxes).
        db.execute_unprepared(
            "CREATE INDEX suspension_recent_by_place ON suspension (company_id, service, started_at, domain_id)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Suspension::Table).to_owned()).await
    }
}
