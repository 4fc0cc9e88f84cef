//! The change log the policy service follows: one row per change to a mailbox or a domain,
//! written by triggers in the transaction that makes the change, so no code path (the
//! dashboard, the complaint intake, a bulk load, an operator's SQL) can forget it. A policy
//! service keeps every mailbox's services in memory and re-reads only what these rows name.
//! On PostgreSQL the trigger also sends `NOTIFY mailadmin_policy`, delivered at commit, so every
//! policy service on the database hears of a change at once; SQLite is polled (one indexed read).
//!
//! `old_address` carries a mailbox's address before the change (renames and deletions), which
//! the service can no longer read from the row. On PostgreSQL `xid` is the writing transaction:
//! ids are handed out at insert, not at commit, so a follower reads by transaction (every row of
//! a transaction not yet finished at its last read) rather than by id, and misses no late commit.
//!
//! Only columns a mail server's decision reads fire the mailbox trigger (a display-name edit
//! does not), and a bulk statement notifies once.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE TABLE policy_change (
       id INTEGER PRIMARY KEY AUTOINCREMENT,
       at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
       mailbox_id INTEGER, old_address TEXT, domain_id INTEGER)",
    "CREATE INDEX policy_change_at ON policy_change (at)",
    "CREATE TRIGGER policy_change_mailbox_ai AFTER INSERT ON mailbox BEGIN
       INSERT INTO policy_change (mailbox_id) VALUES (new.id); END",
    "CREATE TRIGGER policy_change_mailbox_au AFTER UPDATE OF address, domain_id, svc_send_mail,
       svc_receive_mail, svc_imap, svc_pop3, svc_webmail_login, svc_webmail_send ON mailbox
       WHEN old.address IS NOT new.address OR old.domain_id IS NOT new.domain_id
         OR old.svc_send_mail IS NOT new.svc_send_mail OR old.svc_receive_mail IS NOT new.svc_receive_mail
         OR old.svc_imap IS NOT new.svc_imap OR old.svc_pop3 IS NOT new.svc_pop3
         OR old.svc_webmail_login IS NOT new.svc_webmail_login OR old.svc_webmail_send IS NOT new.svc_webmail_send
       BEGIN
       INSERT INTO policy_change (mailbox_id, old_address) VALUES (new.id, old.address); END",
    "CREATE TRIGGER policy_change_mailbox_ad AFTER DELETE ON mailbox BEGIN
       INSERT INTO policy_change (mailbox_id, old_address) VALUES (old.id, old.address); END",
    "CREATE TRIGGER policy_change_domain_ai AFTER INSERT ON domain BEGIN
       INSERT INTO policy_change (domain_id) VALUES (new.id); END",
    "CREATE TRIGGER policy_change_domain_au AFTER UPDATE OF company_id ON domain BEGIN
       INSERT INTO policy_change (domain_id) VALUES (new.id); END",
    "CREATE TRIGGER policy_change_domain_ad AFTER DELETE ON domain BEGIN
       INSERT INTO policy_change (domain_id) VALUES (old.id); END",
];

const POSTGRES_UP: &[&str] = &[
    "CREATE TABLE policy_change (
       id BIGSERIAL PRIMARY KEY,
       at TIMESTAMPTZ NOT NULL DEFAULT now(),
       xid BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
       mailbox_id INTEGER, old_address TEXT, domain_id INTEGER)",
    "CREATE INDEX policy_change_at ON policy_change (at)",
    "CREATE INDEX policy_change_xid ON policy_change (xid)",
    "CREATE FUNCTION policy_change_mailbox() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF TG_OP = 'INSERT' THEN
         INSERT INTO policy_change (mailbox_id) VALUES (NEW.id);
       ELSIF TG_OP = 'UPDATE' THEN
         INSERT INTO policy_change (mailbox_id, old_address) VALUES (NEW.id, OLD.address);
       ELSE
         INSERT INTO policy_change (mailbox_id, old_address) VALUES (OLD.id, OLD.address);
       END IF;
       RETURN NULL;
     END $$",
    "CREATE TRIGGER policy_change_mailbox_ins AFTER INSERT OR DELETE ON mailbox
       FOR EACH ROW EXECUTE FUNCTION policy_change_mailbox()",
    "CREATE TRIGGER policy_change_mailbox_upd AFTER UPDATE OF address, domain_id, svc_send_mail,
       svc_receive_mail, svc_imap, svc_pop3, svc_webmail_login, svc_webmail_send ON mailbox
       FOR EACH ROW WHEN ((OLD.address, OLD.domain_id, OLD.svc_send_mail, OLD.svc_receive_mail, OLD.svc_imap,
         OLD.svc_pop3, OLD.svc_webmail_login, OLD.svc_webmail_send) IS DISTINCT FROM (NEW.address, NEW.domain_id,
         NEW.svc_send_mail, NEW.svc_receive_mail, NEW.svc_imap, NEW.svc_pop3, NEW.svc_webmail_login,
         NEW.svc_webmail_send))
       EXECUTE FUNCTION policy_change_mailbox()",
    // One NOTIFY per statement: a bulk update wakes the followers once, not once per row.
    "CREATE FUNCTION policy_change_notify() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       PERFORM pg_notify('mailadmin_policy', '');
       RETURN NULL;
     END $$",
    "CREATE TRIGGER policy_change_notify AFTER INSERT ON policy_change
       FOR EACH STATEMENT EXECUTE FUNCTION policy_change_notify()",
    "CREATE FUNCTION policy_change_domain() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       INSERT INTO policy_change (domain_id) VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
       RETURN NULL;
     END $$",
    "CREATE TRIGGER policy_change_domain AFTER INSERT OR DELETE OR UPDATE OF company_id ON domain
       FOR EACH ROW EXECUTE FUNCTION policy_change_domain()",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER policy_change_domain_ad",
    "DROP TRIGGER policy_change_domain_au",
    "DROP TRIGGER policy_change_domain_ai",
    "DROP TRIGGER policy_change_mailbox_ad",
    "DROP TRIGGER policy_change_mailbox_au",
    "DROP TRIGGER policy_change_mailbox_ai",
    "DROP TABLE policy_change",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER policy_change_domain ON domain",
    "DROP TRIGGER policy_change_mailbox_upd ON mailbox",
    "DROP TRIGGER policy_change_mailbox_ins ON mailbox",
    "DROP TABLE policy_change",
    "DROP FUNCTION policy_change_notify()",
    "DROP FUNCTION policy_change_domain()",
    "DROP FUNCTION policy_change_mailbox()",
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
