//! Outbound limits and probation (issue 12).
//!
//! - Limits (recipients per rolling 24 hours, external and internal recipients per hour) on the
//!   company, overridable per domain and per mailbox (NULL: inherit; the provider's defaults
//!   live in `crate::enforcement::limits`). The company chooses what a breach does and whether
//!   a lift of *Send Mail* puts the mailbox on probation.
//! - `mailbox.send_lifted_at`: the last lift of *Send Mail*; counting restarts there and
//!   probation runs from it. `suspension.in_probation`: started while on probation (a repeat
//!   offender at once).
//! - `sending_count`: recipients counted by the policy services, per mailbox and 5-minute
//!   bucket, added to in batches by every instance (`seen`, the writer's clock in milliseconds,
//!   and `writer` tell the other instances what to read again).
//! - `limit_breach`: one row per mailbox, limit and window slot, so a breach acts once however
//!   many policy instances see it.
//! - `policy_instance`: live policy services, so each knows how many share the counters.
//!
//! The change-log triggers now fire for limit and probation columns too; a company's change is
//! logged as a change of each of its domains (the policy service reloads domains and companies
//! together, a few thousand rows at most).
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Company {
    Table,
    LimitDaily,
    LimitExternalHourly,
    LimitInternalHourly,
    LimitBreach,
    Probation,
}

#[derive(DeriveIden)]
enum Domain {
    Table,
    LimitDaily,
    LimitExternalHourly,
    LimitInternalHourly,
}

#[derive(DeriveIden)]
enum Mailbox {
    Table,
    LimitDaily,
    LimitExternalHourly,
    LimitInternalHourly,
    SendLiftedAt,
}

#[derive(DeriveIden)]
enum Suspension {
    Table,
    InProbation,
}

const MAILBOX_DECISION_COLUMNS: &str = "address, domain_id, svc_send_mail, svc_receive_mail, svc_imap, svc_pop3, \
     svc_webmail_login, svc_webmail_send, limit_daily, limit_external_hourly, limit_internal_hourly, send_lifted_at";

fn sqlite_up() -> Vec<String> {
    let changed = MAILBOX_DECISION_COLUMNS
        .split(", ")
        .map(|c| format!("old.{c} IS NOT new.{c}"))
        .collect::<Vec<_>>()
        .join(" OR ");
    vec![
        "DROP TRIGGER policy_change_mailbox_au".into(),
        format!(
            "CREATE TRIGGER policy_change_mailbox_update AFTER UPDATE OF {MAILBOX_DECISION_COLUMNS} ON mailbox
             WHEN {changed} BEGIN
             INSERT INTO policy_change (mailbox_id, old_address) VALUES (new.id, old.address); END"
        ),
        "DROP TRIGGER policy_change_domain_au".into(),
        "CREATE TRIGGER policy_change_domain_update AFTER UPDATE OF company_id, name, limit_daily,
           limit_external_hourly, limit_internal_hourly ON domain BEGIN
           INSERT INTO policy_change (domain_id) VALUES (new.id); END"
            .into(),
        "CREATE TRIGGER policy_change_company_au AFTER UPDATE OF limit_daily, limit_external_hourly,
           limit_internal_hourly, limit_breach, probation ON company BEGIN
           INSERT INTO policy_change (domain_id) SELECT id FROM domain WHERE company_id = new.id; END"
            .into(),
        "CREATE TABLE sending_count (
           mailbox_id INTEGER NOT NULL, bucket INTEGER NOT NULL,
           external INTEGER NOT NULL DEFAULT 0, internal INTEGER NOT NULL DEFAULT 0,
           seen BIGINT NOT NULL, writer BIGINT NOT NULL, PRIMARY KEY (mailbox_id, bucket)) WITHOUT ROWID"
            .into(),
        "CREATE INDEX sending_count_seen ON sending_count (seen)".into(),
        "CREATE INDEX sending_count_bucket ON sending_count (bucket)".into(),
        "CREATE TABLE limit_breach (
           mailbox_id INTEGER NOT NULL, kind TEXT NOT NULL, slot BIGINT NOT NULL,
           at TEXT NOT NULL, action TEXT NOT NULL, counted INTEGER NOT NULL, lim INTEGER NOT NULL,
           PRIMARY KEY (mailbox_id, kind, slot))"
            .into(),
        "CREATE INDEX limit_breach_at ON limit_breach (at)".into(),
        "CREATE TABLE policy_instance (id BIGINT PRIMARY KEY, host TEXT NOT NULL, seen BIGINT NOT NULL)"
            .into(),
    ]
}

fn postgres_up() -> Vec<String> {
    let columns = MAILBOX_DECISION_COLUMNS;
    let old = columns.split(", ").map(|c| format!("OLD.{c}")).collect::<Vec<_>>().join(", ");
    let new = columns.split(", ").map(|c| format!("NEW.{c}")).collect::<Vec<_>>().join(", ");
    vec![
        "DROP TRIGGER policy_change_mailbox_upd ON mailbox".into(),
        format!(
            "CREATE TRIGGER policy_change_mailbox_upd AFTER UPDATE OF {columns} ON mailbox
             FOR EACH ROW WHEN (({old}) IS DISTINCT FROM ({new}))
             EXECUTE FUNCTION policy_change_mailbox()"
        ),
        "DROP TRIGGER policy_change_domain ON domain".into(),
        "CREATE TRIGGER policy_change_domain AFTER INSERT OR DELETE OR UPDATE OF company_id, name, limit_daily,
           limit_external_hourly, limit_internal_hourly ON domain
           FOR EACH ROW EXECUTE FUNCTION policy_change_domain()"
            .into(),
        "CREATE FUNCTION policy_change_company() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           INSERT INTO policy_change (domain_id) SELECT id FROM domain WHERE company_id = NEW.id;
           RETURN NULL;
         END $$"
            .into(),
        "CREATE TRIGGER policy_change_company AFTER UPDATE OF limit_daily, limit_external_hourly,
           limit_internal_hourly, limit_breach, probation ON company
           FOR EACH ROW EXECUTE FUNCTION policy_change_company()"
            .into(),
        "CREATE TABLE sending_count (
           mailbox_id INTEGER NOT NULL, bucket INTEGER NOT NULL,
           external INTEGER NOT NULL DEFAULT 0, internal INTEGER NOT NULL DEFAULT 0,
           seen BIGINT NOT NULL, writer BIGINT NOT NULL, PRIMARY KEY (mailbox_id, bucket))"
            .into(),
        "CREATE INDEX sending_count_seen ON sending_count (seen)".into(),
        "CREATE INDEX sending_count_bucket ON sending_count (bucket)".into(),
        "CREATE TABLE limit_breach (
           mailbox_id INTEGER NOT NULL, kind TEXT NOT NULL, slot BIGINT NOT NULL,
           at TIMESTAMPTZ NOT NULL, action TEXT NOT NULL, counted INTEGER NOT NULL, lim INTEGER NOT NULL,
           PRIMARY KEY (mailbox_id, kind, slot))"
            .into(),
        "CREATE INDEX limit_breach_at ON limit_breach (at)".into(),
        "CREATE TABLE policy_instance (id BIGINT PRIMARY KEY, host TEXT NOT NULL, seen BIGINT NOT NULL)".into(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        if !matches!(backend, DbBackend::Sqlite | DbBackend::Postgres) {
            return Err(DbErr::Migration(format!("unsupported database backend {backend:?}")));
        }
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        let mut alters: Vec<TableAlterStatement> = Vec::new();
        let one = |table: DynIden, col: ColumnDef| Table::alter().table(table).add_column(col).to_owned();
        for col in [
            integer_null(Company::LimitDaily),
            integer_null(Company::LimitExternalHourly),
            integer_null(Company::LimitInternalHourly),
            string(Company::LimitBreach).default("defer").to_owned(),
            boolean(Company::Probation).default(true).to_owned(),
        ] {
            alters.push(one(Company::Table.into_iden(), col));
        }
        for col in [
            integer_null(Domain::LimitDaily),
            integer_null(Domain::LimitExternalHourly),
            integer_null(Domain::LimitInternalHourly),
        ] {
            alters.push(one(Domain::Table.into_iden(), col));
        }
        for col in [
            integer_null(Mailbox::LimitDaily),
            integer_null(Mailbox::LimitExternalHourly),
            integer_null(Mailbox::LimitInternalHourly),
            timestamp_with_time_zone_null(Mailbox::SendLiftedAt),
        ] {
            alters.push(one(Mailbox::Table.into_iden(), col));
        }
        alters.push(one(
            Suspension::Table.into_iden(),
            boolean(Suspension::InProbation).default(false).to_owned(),
        ));
        for alter in alters {
            manager.alter_table(alter).await?;
        }
        let statements = if backend == DbBackend::Sqlite { sqlite_up() } else { postgres_up() };
        for sql in statements {
            manager.get_connection().execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping columns from SQLite tables with triggers means rebuilding them; restore from
        // a backup taken before the upgrade instead.
        Err(DbErr::Migration("m20261202_000011_create_sending_limits cannot be rolled back".into()))
    }
}
