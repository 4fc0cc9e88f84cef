//! The SQL interface the mail servers read (issue 13): two views, the same on SQLite and
//! PostgreSQL, that Postfix's and Dovecot's SQL lookup tables query. The dashboard's own tables
//! may change; these views are the contract (columns documented in the README), and every
//! lookup they serve is by a unique index (`domain.name`, `mailbox.address`).
//!
//! - `mail_domain (domain)`: the hosted domains of active companies (Postfix
//!   `virtual_mailbox_domains`). A suspended company's domains stop being accepted.
//! - `mail_user (address, local_part, domain, password_hash, maildir, quota_mb, imap, pop3,
//!   webmail, receive, send)`: every mailbox of those domains. `password_hash` is the argon2id
//!   PHC string the dashboard stores (Dovecot: `default_pass_scheme = ARGON2ID`); `maildir` is
//!   `domain/local_part/`; `quota_mb` 0 is no quota; the service columns are 1 when the service
//!   is enabled, 0 when an admin switched it off or it is suspended.
//!
//! Also `mailbox.quota_mb` (0: no quota).
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Mailbox {
    Table,
    QuotaMb,
}

const ENABLED: &str = "0"; // ServiceState::Enabled's code

fn views() -> Vec<String> {
    let on = |column: &str| format!("CASE WHEN m.{column} = {ENABLED} THEN 1 ELSE 0 END");
    vec![
        "CREATE VIEW mail_domain AS
           SELECT d.name AS domain FROM domain d JOIN company c ON c.id = d.company_id WHERE c.status = 'active'"
            .to_owned(),
        format!(
            "CREATE VIEW mail_user AS
               SELECT m.address AS address, m.local_part AS local_part, d.name AS domain,
                      m.password_hash AS password_hash, d.name || '/' || m.local_part || '/' AS maildir,
                      m.quota_mb AS quota_mb, {imap} AS imap, {pop3} AS pop3, {webmail} AS webmail,
                      {receive} AS receive, {send} AS send
               FROM mailbox m JOIN domain d ON d.id = m.domain_id JOIN company c ON c.id = d.company_id
               WHERE c.status = 'active'",
            imap = on("svc_imap"),
            pop3 = on("svc_pop3"),
            webmail = on("svc_webmail_login"),
            receive = on("svc_receive_mail"),
            send = on("svc_send_mail"),
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Mailbox::Table)
                    .add_column(integer(Mailbox::QuotaMb).default(0))
                    .to_owned(),
            )
            .await?;
        for sql in views() {
            manager.get_connection().execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for view in ["mail_user", "mail_domain"] {
            manager.get_connection().execute_unprepared(&format!("DROP VIEW {view}")).await?;
        }
        Ok(())
    }
}
