//! The audit log: who changed what, when, from where, before → after. Append-only: triggers
//! refuse UPDATE and DELETE, so not even a bug in the app can rewrite it.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEntry {
    Table,
    Id,
    At,
    ActorLogin,
    ActorRole,
    ActorAdminId,
    ClientAddr,
    CompanyId,
    ObjectKind,
    ObjectId,
    ObjectLabel,
    Action,
    Before,
    After,
}

const SQLITE_GUARDS: &[&str] = &[
    "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry \
     BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry \
     BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
];

const POSTGRES_GUARDS: &[&str] = &[
    "CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS \
     $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$",
    "CREATE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON audit_entry \
     FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEntry::Table)
                    .col(pk_auto(AuditEntry::Id))
                    .col(timestamp_with_time_zone(AuditEntry::At))
                    .col(string(AuditEntry::ActorLogin))
                    .col(string(AuditEntry::ActorRole))
                    .col(integer_null(AuditEntry::ActorAdminId))
                    .col(string(AuditEntry::ClientAddr))
                    .col(integer_null(AuditEntry::CompanyId))
                    .col(string(AuditEntry::ObjectKind))
                    .col(integer_null(AuditEntry::ObjectId))
                    .col(string(AuditEntry::ObjectLabel))
                    .col(string(AuditEntry::Action))
                    .col(text(AuditEntry::Before))
                    .col(text(AuditEntry::After))
                    .to_owned(),
            )
            .await?;
        for (name, col) in
            [("audit_entry_company", AuditEntry::CompanyId), ("audit_entry_at", AuditEntry::At)]
        {
            manager
                .create_index(Index::create().name(name).table(AuditEntry::Table).col(col).to_owned())
                .await?;
        }
        let guards = match manager.get_database_backend() {
            DbBackend::Sqlite => SQLITE_GUARDS,
            _ => POSTGRES_GUARDS,
        };
        for sql in guards {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION audit_entry_append_only CASCADE")
                .await?;
        }
        manager.drop_table(Table::drop().table(AuditEntry::Table).to_owned()).await
    }
}
