//! The change log the policy service follows: one row per change to a mailbox, a domain or a
//! company, written by triggers in the transaction that makes the change, so no code path (the
//! dashboard, the complaint intake, a bulk load, an operator's SQL) can forget it. A policy
//! service keeps every mailbox's services in memory and re-reads only what these rows name.
//! On PostgreSQL the trigger also sends `NOTIFY mailadmin_policy`, delivered at commit, so every
//! policy service on the database hears of a change at once; SQLite is polled (one indexed read).
//!
//! `old_address` carries a mailbox's address before the change (renames and deletions), which
//! the service can no longer read from the row.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE TABLE policy_change (
       id INTEGER PRIMARY KEY AUTOINCREMENT,
       at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
       mailbox_id INTEGER, old_address TEXT, domain_id INTEGER, company_id INTEGER)",
    "CREATE INDEX policy_change_at ON policy_change (at)",
    "CREATE TRIGGER policy_change_mailbox_ai AFTER INSERT ON mailbox BEGIN
       INSERT INTO policy_change (mailbox_id) VALUES (new.id); END",
    "CREATE TRIGGER policy_change_mailbox_au AFTER UPDATE ON mailbox BEGIN
       INSERT INTO policy_change (mailbox_id, old_address) VALUES (new.id, old.address); END",
    "CREATE TRIGGER policy_change_mailbox_ad AFTER DELETE ON mailbox BEGIN
       INSERT INTO policy_change (mailbox_id, old_address) VALUES (old.id, old.address); END",
    "CREATE TRIGGER policy_change_domain_ai AFTER INSERT ON domain BEGIN
       INSERT INTO policy_change (domain_id) VALUES (new.id); END",
    "CREATE TRIGGER policy_change_domain_au AFTER UPDATE OF name, company_id ON domain BEGIN
       INSERT INTO policy_change (domain_id) VALUES (new.id); END",
    "CREATE TRIGGER policy_change_domain_ad AFTER DELETE ON domain BEGIN
       INSERT INTO policy_change (domain_id) VALUES (old.id); END",
    "CREATE TRIGGER policy_change_company_au AFTER UPDATE ON company BEGIN
       INSERT INTO policy_change (company_id) VALUES (new.id); END",
];

const POSTGRES_UP: &[&str] = &[
    "CREATE TABLE policy_change (
       id BIGSERIAL PRIMARY KEY,
       at TIMESTAMPTZ NOT NULL DEFAULT now(),
       mailbox_id INTEGER, old_address TEXT, domain_id INTEGER, company_id INTEGER)",
    "CREATE INDEX policy_change_at ON policy_change (at)",
    "CREATE FUNCTION policy_change_mailbox() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF TG_OP = 'INSERT' THEN
         INSERT INTO policy_change (mailbox_id) VALUES (NEW.id);
       ELSIF TG_OP = 'UPDATE' THEN
         INSERT INTO policy_change (mailbox_id, old_address) VALUES (NEW.id, OLD.address);
       ELSE
         INSERT INTO policy_change (mailbox_id, old_address) VALUES (OLD.id, OLD.address);
       END IF;
       PERFORM pg_notify('mailadmin_policy', '');
       RETURN NULL;
     END $$",
    "CREATE TRIGGER policy_change_mailbox AFTER INSERT OR UPDATE OR DELETE ON mailbox
       FOR EACH ROW EXECUTE FUNCTION policy_change_mailbox()",
    "CREATE FUNCTION policy_change_domain() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       INSERT INTO policy_change (domain_id) VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
       PERFORM pg_notify('mailadmin_policy', '');
       RETURN NULL;
     END $$",
    "CREATE TRIGGER policy_change_domain AFTER INSERT OR DELETE OR UPDATE OF name, company_id ON domain
       FOR EACH ROW EXECUTE FUNCTION policy_change_domain()",
    "CREATE FUNCTION policy_change_company() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       INSERT INTO policy_change (company_id) VALUES (NEW.id);
       PERFORM pg_notify('mailadmin_policy', '');
       RETURN NULL;
     END $$",
    "CREATE TRIGGER policy_change_company AFTER UPDATE ON company
       FOR EACH ROW EXECUTE FUNCTION policy_change_company()",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER policy_change_company_au",
    "DROP TRIGGER policy_change_domain_ad",
    "DROP TRIGGER policy_change_domain_au",
    "DROP TRIGGER policy_change_domain_ai",
    "DROP TRIGGER policy_change_mailbox_ad",
    "DROP TRIGGER policy_change_mailbox_au",
    "DROP TRIGGER policy_change_mailbox_ai",
    "DROP TABLE policy_change",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER policy_change_company ON company",
    "DROP TRIGGER policy_change_domain ON domain",
    "DROP TRIGGER policy_change_mailbox ON mailbox",
    "DROP FUNCTION policy_change_company()",
    "DROP FUNCTION policy_change_domain()",
    "DROP FUNCTION policy_change_mailbox()",
    "DROP TABLE policy_change",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements = match manager.get_database_backend() {
            DbBackend::Sqlite => SQLITE_UP,
            DbBackend::Postgres => POSTGRES_UP,
            other => return Err(DbErr::Migration(format!("unsupported database backend {other:?}"))),
        };
        for sql in statements {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements = match manager.get_database_backend() {
            DbBackend::Sqlite => SQLITE_DOWN,
            _ => POSTGRES_DOWN,
        };
        for sql in statements {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
