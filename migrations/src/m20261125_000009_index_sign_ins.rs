//! Indexes for the sign-in throttle, which counts recent failed sign-ins in the audit log (shared
//! by every app instance) by attempted login and by client address.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

// Plain indexes with the action as a column: the queries bind the action as a parameter, and
// SQLite will not use a partial index whose condition it cannot match at prepare time.
const UP: &[&str] = &[
    "CREATE INDEX audit_sign_in_by_login ON audit_entry (object_label, action, at)",
    "CREATE INDEX audit_sign_in_by_addr ON audit_entry (client_addr, action, at)",
];

const DOWN: &[&str] = &["DROP INDEX audit_sign_in_by_addr", "DROP INDEX audit_sign_in_by_login"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for sql in UP {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for sql in DOWN {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
