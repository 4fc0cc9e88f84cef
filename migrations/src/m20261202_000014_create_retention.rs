//! Retention (issue 14): what the daily pruning needs.
//!
//! - `retention_horizon`: one row, written by the pruning job in the transaction that deletes.
//!   The audit log stays append-only: its delete guard now lets through only sign-in records
//!   older than `sign_ins_before` and, if an admin set an audit retention, entries older than
//!   `audit_before`. Updates stay forbidden.
//! - Indexes that let each pruning batch find its oldest rows without a scan.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RetentionHorizon {
    Table,
    Id,
    SignInsBefore,
    AuditBefore,
}

const INDEXES: &[&str] = &[
    "CREATE INDEX complaint_received_at ON complaint (received_at)",
    "CREATE INDEX quarantine_received_at ON quarantine (received_at)",
    "CREATE INDEX notice_sent_at ON notice (sent_at)",
    "CREATE INDEX audit_entry_kind_at ON audit_entry (object_kind, at)",
];

const ALLOWED: &str = "(old.object_kind = 'session' AND old.at < (SELECT sign_ins_before FROM retention_horizon WHERE id = 1)) \
     OR old.at < (SELECT audit_before FROM retention_horizon WHERE id = 1)";

fn sqlite_guard() -> Vec<String> {
    vec![
        "DROP TRIGGER audit_entry_no_delete".into(),
        format!(
            // NULL horizons (nothing to prune) must refuse: COALESCE, or NOT NULL would let it pass.
            "CREATE TRIGGER audit_entry_delete_guard BEFORE DELETE ON audit_entry WHEN NOT COALESCE(({ALLOWED}), 0) \
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
        ),
    ]
}

fn postgres_guard() -> Vec<String> {
    let allowed = ALLOWED.replace("old.", "OLD.");
    vec![
        "DROP TRIGGER audit_entry_no_change ON audit_entry".into(),
        "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry \
         FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()"
            .into(),
        format!(
            "CREATE FUNCTION audit_entry_delete_guard() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               IF COALESCE({allowed}, false) THEN RETURN OLD; END IF;
               RAISE EXCEPTION 'the audit log is append-only';
             END $$"
        ),
        "CREATE TRIGGER audit_entry_delete_guard BEFORE DELETE ON audit_entry \
         FOR EACH ROW EXECUTE FUNCTION audit_entry_delete_guard()"
            .into(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RetentionHorizon::Table)
                    .col(integer(RetentionHorizon::Id).primary_key())
                    .col(timestamp_with_time_zone_null(RetentionHorizon::SignInsBefore))
                    .col(timestamp_with_time_zone_null(RetentionHorizon::AuditBefore))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared("INSERT INTO retention_horizon (id) VALUES (1)").await?;
        for sql in INDEXES {
            db.execute_unprepared(sql).await?;
        }
        let guard = match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => sqlite_guard(),
            _ => postgres_guard(),
        };
        for sql in guard {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(RetentionHorizon::Table).to_owned()).await
    }
}
