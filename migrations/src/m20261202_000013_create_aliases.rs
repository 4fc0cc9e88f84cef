//! Aliases, forwards, catch-alls and a domain's on/off switch for the mail servers (issue 13),
//! and the views rebuilt around them:
//!
//! - `alias (domain_id, local_part, address, targets)`: an address of a hosted domain that
//!   delivers to one or more targets (comma-separated, normalised). A catch-all is the row whose
//!   local part is `*` and whose address is `@domain`, which is exactly the key Postfix looks up
//!   last, so one unique index serves aliases and catch-alls alike.
//! - `mailbox.forward_to` (comma-separated, '' for none) and `mailbox.forward_keep_copy`.
//! - `domain.active`: an inactive domain is gone from every view, so Postfix refuses its mail
//!   and Dovecot its logins, as for a suspended company.
//! - `mail_alias (address, targets)`: what Postfix's `virtual_alias_maps` reads. Every mailbox
//!   maps to itself (or to its forward), so that a catch-all never swallows the mail of a real
//!   mailbox: Postfix looks up `user@domain` before `@domain`.
//! - `mailbox_quota_usage (address, bytes, messages)`: written by Dovecot (quota_clone).
//! - `mail_user.maildir` becomes `domain/local_part.ID/`: an address deleted and created again
//!   gets a new, empty maildir, never the old owner's mail.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Alias {
    Table,
    Id,
    DomainId,
    LocalPart,
    Address,
    Targets,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum QuotaUsage {
    #[sea_orm(iden = "mailbox_quota_usage")]
    Table,
    Address,
    Bytes,
    Messages,
}

#[derive(DeriveIden)]
enum Domain {
    Table,
    Id,
    Active,
}

#[derive(DeriveIden)]
enum Mailbox {
    Table,
    ForwardTo,
    ForwardKeepCopy,
}

const ENABLED: &str = "0"; // ServiceState::Enabled's code

/// The hosted domains and companies whose mail the servers handle.
const SERVED: &str = "JOIN domain d ON d.id = x.domain_id JOIN company c ON c.id = d.company_id \
     WHERE c.status = 'active' AND d.active";

fn views() -> Vec<String> {
    let on = |column: &str| format!("CASE WHEN x.{column} = {ENABLED} THEN 1 ELSE 0 END");
    vec![
        "DROP VIEW mail_user".to_owned(),
        "DROP VIEW mail_domain".to_owned(),
        "CREATE VIEW mail_domain AS
           SELECT d.name AS domain FROM domain d JOIN company c ON c.id = d.company_id
           WHERE c.status = 'active' AND d.active"
            .to_owned(),
        format!(
            "CREATE VIEW mail_user AS
               SELECT x.address AS address, x.local_part AS local_part, d.name AS domain,
                      x.password_hash AS password_hash,
                      d.name || '/' || x.local_part || '.' || CAST(x.id AS TEXT) || '/' AS maildir,
                      x.quota_mb AS quota_mb, {imap} AS imap, {pop3} AS pop3, {webmail} AS webmail,
                      {receive} AS receive, {send} AS send
               FROM mailbox x {SERVED}",
            imap = on("svc_imap"),
            pop3 = on("svc_pop3"),
            webmail = on("svc_webmail_login"),
            receive = on("svc_receive_mail"),
            send = on("svc_send_mail"),
        ),
        format!(
            "CREATE VIEW mail_alias AS
               SELECT x.address AS address, x.targets AS targets FROM alias x {SERVED}
               UNION ALL
               SELECT x.address AS address,
                      CASE WHEN x.forward_to = '' THEN x.address
                           WHEN x.forward_keep_copy THEN x.address || ',' || x.forward_to
                           ELSE x.forward_to END AS targets
               FROM mailbox x {SERVED}"
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::Table)
                    .col(pk_auto(Alias::Id))
                    .col(integer(Alias::DomainId))
                    .col(string(Alias::LocalPart))
                    .col(string_uniq(Alias::Address))
                    .col(text(Alias::Targets))
                    .col(timestamp_with_time_zone(Alias::CreatedAt))
                    .col(timestamp_with_time_zone(Alias::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Alias::Table, Alias::DomainId)
                            .to(Domain::Table, Domain::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The alias list pages by keyset within a domain, sorted by address.
        manager
            .create_index(
                Index::create()
                    .name("alias_domain_address")
                    .table(Alias::Table)
                    .col(Alias::DomainId)
                    .col(Alias::Address)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Mailbox::Table)
                    .add_column(text(Mailbox::ForwardTo).default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Mailbox::Table)
                    .add_column(boolean(Mailbox::ForwardKeepCopy).default(true))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Domain::Table)
                    .add_column(boolean(Domain::Active).default(true))
                    .to_owned(),
            )
            .await?;
        // Each mailbox's usage, written by Dovecot's quota_clone plugin (an upsert of absolute
        // values after every save and expunge); read by the dashboard, never written by it.
        // Every column besides these must be nullable or have a default, or Dovecot's writes fail.
        manager
            .create_table(
                Table::create()
                    .table(QuotaUsage::Table)
                    .col(string(QuotaUsage::Address).primary_key())
                    .col(big_integer(QuotaUsage::Bytes).default(0))
                    .col(integer(QuotaUsage::Messages).default(0))
                    .to_owned(),
            )
            .await?;
        for sql in views() {
            manager.get_connection().execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for view in ["mail_alias", "mail_user", "mail_domain"] {
            db.execute_unprepared(&format!("DROP VIEW {view}")).await?;
        }
        manager.drop_table(Table::drop().table(QuotaUsage::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Alias::Table).to_owned()).await
    }
}
