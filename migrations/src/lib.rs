//! Schema migrations for mailadmin. One step per file; the same steps run on SQLite and PostgreSQL,
//! with backend-specific SQL only where the engines differ (the substring-search index).
pub use sea_orm_migration::prelude::*;

mod m20261124_000001_create_hierarchy;
mod m20261124_000002_create_admin_users;
mod m20261124_000003_create_app_settings;
mod m20261124_000004_create_mailbox_search;
mod m20261124_000005_create_suspensions;
mod m20261124_000006_create_abuse_contacts;
mod m20261124_000007_create_audit_log;
mod m20261124_000008_create_complaints;
mod m20261125_000009_index_sign_ins;
mod m20261202_000010_create_policy_changes;
mod m20261202_000011_create_sending_limits;
mod m20261202_000012_create_mail_views;
mod m20261202_000013_create_aliases;
mod m20261202_000014_create_retention;
mod m20261202_000015_create_admin_sessions;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_hierarchy::Migration),
            Box::new(m20261124_000002_create_admin_users::Migration),
            Box::new(m20261124_000003_create_app_settings::Migration),
            Box::new(m20261124_000004_create_mailbox_search::Migration),
            Box::new(m20261124_000005_create_suspensions::Migration),
            Box::new(m20261124_000006_create_abuse_contacts::Migration),
            Box::new(m20261124_000007_create_audit_log::Migration),
            Box::new(m20261124_000008_create_complaints::Migration),
            Box::new(m20261125_000009_index_sign_ins::Migration),
            Box::new(m20261202_000010_create_policy_changes::Migration),
            Box::new(m20261202_000011_create_sending_limits::Migration),
            Box::new(m20261202_000012_create_mail_views::Migration),
            Box::new(m20261202_000013_create_aliases::Migration),
            Box::new(m20261202_000014_create_retention::Migration),
            Box::new(m20261202_000015_create_admin_sessions::Migration),
        ]
    }
}
