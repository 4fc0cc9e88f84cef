//! The index behind the support look-up: any substring of an address, fast over a million mailboxes.
//! SQLite: an FTS5 trigram table kept in step with `mailbox` by triggers (external content, so the
//! addresses are not stored twice). PostgreSQL: a pg_trgm GIN index that serves `LIKE '%…%'`.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE mailbox_search USING fts5(address, content='mailbox', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER mailbox_search_ai AFTER INSERT ON mailbox BEGIN \
       INSERT INTO mailbox_search(rowid, address) VALUES (new.id, new.address); END",
    "CREATE TRIGGER mailbox_search_ad AFTER DELETE ON mailbox BEGIN \
       INSERT INTO mailbox_search(mailbox_search, rowid, address) VALUES ('delete', old.id, old.address); END",
    "CREATE TRIGGER mailbox_search_au AFTER UPDATE OF address ON mailbox BEGIN \
       INSERT INTO mailbox_search(mailbox_search, rowid, address) VALUES ('delete', old.id, old.address); \
       INSERT INTO mailbox_search(rowid, address) VALUES (new.id, new.address); END",
];

const POSTGRES_UP: &[&str] = &[
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX mailbox_address_trgm ON mailbox USING gin (address gin_trgm_ops)",
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
        let sql = match manager.get_database_backend() {
            DbBackend::Sqlite => "DROP TABLE mailbox_search",
            _ => "DROP INDEX mailbox_address_trgm",
        };
        manager.get_connection().execute_unprepared(sql).await.map(|_| ())
    }
}
