//! Spam complaints (ARF reports) and what hangs off them: the quarantine for reports that could
//! not be read, API tokens for the intake, the outbox of AUP notices, and a per-mailbox override
//! of the company's complaint allowance.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Complaint {
    Table,
    Id,
    ReceivedAt,
    ArrivalDate,
    FeedbackType,
    Counts,
    MailboxId,
    CompanyId,
    Sender,
    ComplainingRecipient,
    OriginalMessageId,
    ReportMessageId,
    Source,
    ReportingMta,
    SourceIp,
    UserAgent,
    Subject,
    Original,
    OriginalHeadersOnly,
}

#[derive(DeriveIden)]
enum Quarantine {
    Table,
    Id,
    ReceivedAt,
    Source,
    Reason,
    Raw,
    Size,
}

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    Id,
    Name,
    TokenHash,
    CreatedAt,
    CreatedBy,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Notice {
    Table,
    Id,
    CreatedAt,
    Kind,
    CompanyId,
    MailboxId,
    MailboxAddress,
    Recipients,
    ToPlatform,
    Subject,
    Body,
    SampleIds,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    SentAt,
}

#[derive(DeriveIden)]
enum Mailbox {
    Table,
    Id,
    ComplaintAllowance,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Complaint::Table)
                    .col(pk_auto(Complaint::Id))
                    .col(timestamp_with_time_zone(Complaint::ReceivedAt))
                    .col(timestamp_with_time_zone_null(Complaint::ArrivalDate))
                    .col(string(Complaint::FeedbackType))
                    .col(boolean(Complaint::Counts))
                    .col(integer_null(Complaint::MailboxId))
                    .col(integer_null(Complaint::CompanyId))
                    .col(string(Complaint::Sender))
                    .col(string_null(Complaint::ComplainingRecipient))
                    .col(string_null(Complaint::OriginalMessageId))
                    .col(string_null(Complaint::ReportMessageId))
                    .col(string(Complaint::Source))
                    .col(string_null(Complaint::ReportingMta))
                    .col(string_null(Complaint::SourceIp))
                    .col(string_null(Complaint::UserAgent))
                    .col(string_null(Complaint::Subject))
                    .col(text_null(Complaint::Original))
                    .col(boolean(Complaint::OriginalHeadersOnly).default(false))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Complaint::Table, Complaint::MailboxId)
                            .to(Mailbox::Table, Mailbox::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for sql in [
            // The same complaint counts once however often it arrives (unique, so racing copies
            // of one report cannot both be stored).
            "CREATE UNIQUE INDEX complaint_original_once ON complaint (original_message_id, complaining_recipient) \
             WHERE original_message_id IS NOT NULL AND complaining_recipient IS NOT NULL",
            "CREATE UNIQUE INDEX complaint_report_once ON complaint (report_message_id) WHERE report_message_id IS NOT NULL",
            "CREATE INDEX complaint_mailbox_window ON complaint (mailbox_id, received_at)",
            "CREATE INDEX complaint_company ON complaint (company_id, received_at)",
            "CREATE INDEX complaint_unattributed ON complaint (received_at) WHERE mailbox_id IS NULL",
        ] {
            db.execute_unprepared(sql).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Quarantine::Table)
                    .col(pk_auto(Quarantine::Id))
                    .col(timestamp_with_time_zone(Quarantine::ReceivedAt))
                    .col(string(Quarantine::Source))
                    .col(string(Quarantine::Reason))
                    .col(text(Quarantine::Raw))
                    .col(integer(Quarantine::Size))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiToken::Table)
                    .col(pk_auto(ApiToken::Id))
                    .col(string(ApiToken::Name))
                    .col(string_uniq(ApiToken::TokenHash))
                    .col(timestamp_with_time_zone(ApiToken::CreatedAt))
                    .col(string(ApiToken::CreatedBy))
                    .col(timestamp_with_time_zone_null(ApiToken::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiToken::RevokedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Notice::Table)
                    .col(pk_auto(Notice::Id))
                    .col(timestamp_with_time_zone(Notice::CreatedAt))
                    .col(string(Notice::Kind))
                    .col(integer(Notice::CompanyId))
                    .col(integer_null(Notice::MailboxId))
                    .col(string(Notice::MailboxAddress))
                    .col(text(Notice::Recipients))
                    .col(boolean(Notice::ToPlatform))
                    .col(string(Notice::Subject))
                    .col(text(Notice::Body))
                    .col(text(Notice::SampleIds))
                    .col(string(Notice::Status))
                    .col(integer(Notice::Attempts).default(0))
                    .col(timestamp_with_time_zone(Notice::NextAttemptAt))
                    .col(text_null(Notice::LastError))
                    .col(timestamp_with_time_zone_null(Notice::SentAt))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared("CREATE INDEX notice_due ON notice (status, next_attempt_at)").await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Mailbox::Table)
                    .add_column(integer_null(Mailbox::ComplaintAllowance))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["notice", "api_token", "quarantine", "complaint"] {
            manager.get_connection().execute_unprepared(&format!("DROP TABLE {table}")).await?;
        }
        Ok(())
    }
}
