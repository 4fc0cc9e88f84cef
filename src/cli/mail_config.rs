//! `mailadmin mail-config postfix|dovecot`: the lookup-table files and configuration snippets
//! that make Postfix and Dovecot read the mail views (`mail_domain`, `mail_user`, `mail_alias`) of the
//! configured database, ready to copy. See the README's "Wiring Postfix and Dovecot".
use super::CommandError;
use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MailServer {
    Postfix,
    Dovecot,
}

/// Where the database is, as the mail servers' SQL drivers name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Sqlite { path: String },
    Postgres { host: String, port: u16, user: String, password: Option<String>, dbname: String },
}

impl Source {
    pub fn from_url(url: &str) -> Result<Self, CommandError> {
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            let path = path.split('?').next().unwrap_or("");
            if path.is_empty() || path == ":memory:" {
                return Err(CommandError::Usage(
                    "mail-config needs a SQLite file, not an in-memory database".into(),
                ));
            }
            let absolute = std::path::Path::new(path);
            let path = if absolute.is_absolute() {
                path.to_owned()
            } else {
                std::env::current_dir()
                    .map(|d| d.join(path).display().to_string())
                    .unwrap_or_else(|_| path.to_owned())
            };
            return Ok(Source::Sqlite { path });
        }
        let rest = url.strip_prefix("postgres://").or_else(|| url.strip_prefix("postgresql://")).ok_or_else(
            || CommandError::Usage(format!("{}: neither sqlite: nor postgres:", crate::db::redacted(url))),
        )?;
        let (auth, host_part) = rest.rsplit_once('@').unwrap_or(("", rest));
        let (user, password) = match auth.split_once(':') {
            Some((u, p)) => (u.to_owned(), Some(p.to_owned())),
            None => (auth.to_owned(), None),
        };
        let host_part = host_part.split('?').next().unwrap_or("");
        let (hostport, dbname) = host_part.split_once('/').unwrap_or((host_part, "postgres"));
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => {
                (h.to_owned(), p.parse().map_err(|_| CommandError::Usage(format!("bad port {p:?}")))?)
            }
            None => (hostport.to_owned(), 5432),
        };
        Ok(Source::Postgres {
            host: if host.is_empty() { "localhost".into() } else { host },
            port,
            user: if user.is_empty() { "postgres".into() } else { user },
            password,
            dbname: if dbname.is_empty() { "postgres".into() } else { dbname.to_owned() },
        })
    }
}

/// Where the files and mail live on the mail host (the defaults are Debian's).
#[derive(Debug, Clone, clap::Args)]
pub struct Layout {
    /// Directory of the lookup-table files (default: /etc/postfix for postfix, /etc/dovecot for
    /// dovecot).
    #[arg(long, value_name = "DIR")]
    pub config_dir: Option<String>,
    /// Where the maildirs are: each mailbox's home is MAIL_ROOT/domain/local_part.ID/.
    #[arg(long, value_name = "DIR", default_value = "/var/vmail")]
    pub mail_root: String,
    /// The numeric user and group id that owns the maildirs.
    #[arg(long, value_name = "ID", default_value_t = 5000)]
    pub mail_uid: u32,
    /// Postfix's queue directory, where Dovecot puts its LMTP and SASL sockets for Postfix.
    #[arg(long, value_name = "DIR", default_value = "/var/spool/postfix")]
    pub postfix_spool: String,
}

impl Default for Layout {
    fn default() -> Self {
        Self {
            config_dir: None,
            mail_root: "/var/vmail".into(),
            mail_uid: 5000,
            postfix_spool: "/var/spool/postfix".into(),
        }
    }
}

/// The queries, shared by both drivers and both servers' documentation.
pub const DOMAIN_QUERY: &str = "SELECT domain FROM mail_domain WHERE domain = '%s'";
pub const MAILBOX_QUERY: &str = "SELECT maildir FROM mail_user WHERE address = '%s'";
/// Aliases, forwards (with or without a copy), catch-alls (`@domain`), and every mailbox to
/// itself so that a catch-all never takes a real mailbox's mail.
pub const ALIAS_QUERY: &str = "SELECT targets FROM mail_alias WHERE address = '%s'";

/// Dovecot's password query: the password of an active mailbox whose service for this login is
/// on. A service switched off or suspended fails the login exactly like a wrong password.
pub fn password_query(webmail_hosts: &[String]) -> String {
    let imap = if webmail_hosts.is_empty() {
        "('%s' = 'imap' AND imap = 1)".to_owned()
    } else {
        let hosts = webmail_hosts.iter().map(|h| format!("'{h}'")).collect::<Vec<_>>().join(", ");
        format!(
            "('%s' = 'imap' AND '%r' IN ({hosts}) AND webmail = 1) OR ('%s' = 'imap' AND '%r' NOT IN ({hosts}) AND imap = 1)"
        )
    };
    format!(
        "SELECT address AS user, password_hash AS password FROM mail_user WHERE address = '%u' \
         AND ({imap} OR ('%s' = 'pop3' AND pop3 = 1) OR '%s' NOT IN ('imap', 'pop3'))"
    )
}

/// Dovecot's user query: home, uid/gid and quota; LMTP finds only mailboxes that receive mail.
pub fn user_query(mail_root: &str, uid: u32) -> String {
    let mail_root = mail_root.trim_end_matches('/');
    format!(
        "SELECT '{mail_root}/' || maildir AS home, {uid} AS uid, {uid} AS gid, \
         '*:storage=' || quota_mb || 'M' AS quota_rule FROM mail_user \
         WHERE address = '%u' AND ('%s' <> 'lmtp' OR receive = 1)"
    )
}

pub fn render(server: MailServer, source: &Source, webmail_networks: &[String], layout: &Layout) -> String {
    match server {
        MailServer::Postfix => postfix(source, layout),
        MailServer::Dovecot => dovecot(source, webmail_networks, layout),
    }
}

fn postfix(source: &Source, layout: &Layout) -> String {
    let dir = layout.config_dir.as_deref().unwrap_or("/etc/postfix").trim_end_matches('/');
    let (kind, connection) = match source {
        Source::Sqlite { path } => ("sqlite", format!("dbpath = {path}\n")),
        Source::Postgres { host, port, user, password, dbname } => (
            "pgsql",
            format!(
                "hosts = {host}:{port}\nuser = {user}\n{}dbname = {dbname}\n",
                password.as_ref().map(|p| format!("password = {p}\n")).unwrap_or_default()
            ),
        ),
    };
    format!(
        "# Postfix reads mailadmin's views (Debian: apt-get install postfix-{kind}).\n\
         # Keep these files readable by root only when they hold a password (chmod 640, group postfix).\n\
         \n\
         # {dir}/mailadmin-domains.cf\n{connection}query = {DOMAIN_QUERY}\n\
         \n\
         # {dir}/mailadmin-mailboxes.cf\n{connection}query = {MAILBOX_QUERY}\n\
         \n\
         # {dir}/mailadmin-aliases.cf\n{connection}query = {ALIAS_QUERY}\n\
         \n\
         # main.cf\n\
         virtual_mailbox_domains = proxy:{kind}:{dir}/mailadmin-domains.cf\n\
         virtual_mailbox_maps = proxy:{kind}:{dir}/mailadmin-mailboxes.cf\n\
         virtual_alias_maps = proxy:{kind}:{dir}/mailadmin-aliases.cf\n\
         virtual_transport = lmtp:unix:private/dovecot-lmtp\n\
         smtpd_sasl_type = dovecot\n\
         smtpd_sasl_path = private/auth\n\
         # Receive Mail and Send Mail: the policy service (mailadmin policy --help), before\n\
         # permit_sasl_authenticated:\n\
         smtpd_recipient_restrictions =\n    \
         check_policy_service {{ inet:127.0.0.1:10040, timeout=10s,\n        \
         {{ default_action = DEFER_IF_PERMIT Service temporarily unavailable }} }},\n    \
         permit_sasl_authenticated, reject_unauth_destination\n"
    )
}

fn dovecot(source: &Source, webmail_networks: &[String], layout: &Layout) -> String {
    let dir = layout.config_dir.as_deref().unwrap_or("/etc/dovecot").trim_end_matches('/');
    let spool = layout.postfix_spool.trim_end_matches('/');
    let (driver, connect) = match source {
        Source::Sqlite { path } => ("sqlite", path.clone()),
        Source::Postgres { host, port, user, password, dbname } => (
            "pgsql",
            format!(
                "host={host} port={port} dbname={dbname} user={user}{}",
                password.as_ref().map(|p| format!(" password={p}")).unwrap_or_default()
            ),
        ),
    };
    // Dovecot compares the client address as text: single hosts only.
    let (hosts, skipped): (Vec<String>, Vec<String>) = webmail_networks
        .iter()
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .partition(|n| !n.contains('/') || n.ends_with("/32") || n.ends_with("/128"));
    let hosts: Vec<String> =
        hosts.into_iter().map(|h| h.trim_end_matches("/32").trim_end_matches("/128").to_owned()).collect();
    let usage_map = |key: &str, field: &str| {
        format!(
            "map {{\n  pattern = priv/quota/{key}\n  table = mailbox_quota_usage\n  username_field = address\n  value_field = {field}\n  value_type = uint\n}}\n"
        )
    };
    let mut out = format!(
        "# Dovecot reads mailadmin's views (Debian: apt-get install dovecot-{driver} dovecot-lmtpd).\n\
         \n\
         # {dir}/dovecot-mailadmin.conf.ext (chmod 600: it may hold a password)\n\
         driver = {driver}\n\
         connect = {connect}\n\
         # The argon2id hashes the dashboard stores, verified as they are: no second hash.\n\
         default_pass_scheme = ARGON2ID\n\
         password_query = {password}\n\
         user_query = {user}\n\
         iterate_query = SELECT address AS user FROM mail_user\n\
         \n\
         # {dir}/dovecot-mailadmin-usage.conf.ext (chmod 640, group dovecot: the dict process\n\
         # runs as user dovecot and must read it; it may hold a password)\n\
         # Each mailbox's usage, written back into mailadmin's mailbox_quota_usage table by the\n\
         # quota_clone plugin after every change, shown on Edit Mailbox and in the mailbox list.\n\
         # SQLite: user dovecot must be able to write the database file and its directory.\n\
         connect = {connect}\n{storage}{messages}\
         \n\
         # conf.d: passdb and userdb from it, LMTP and SASL for Postfix, quota\n\
         passdb {{\n  driver = sql\n  args = {dir}/dovecot-mailadmin.conf.ext\n}}\n\
         userdb {{\n  driver = sql\n  args = {dir}/dovecot-mailadmin.conf.ext\n}}\n\
         mail_location = maildir:~/Maildir\n\
         mail_plugins = $mail_plugins quota quota_clone\n\
         plugin {{\n  quota = count:User quota\n  quota_vsizes = yes\n  quota_clone_dict = proxy::mailadmin-usage\n}}\n\
         dict {{\n  mailadmin-usage = {driver}:{dir}/dovecot-mailadmin-usage.conf.ext\n}}\n\
         protocol lmtp {{\n  lmtp_rcpt_check_quota = yes\n}}\n\
         service lmtp {{\n  unix_listener {spool}/private/dovecot-lmtp {{\n    mode = 0600\n    user = postfix\n    group = postfix\n  }}\n}}\n\
         service auth {{\n  unix_listener {spool}/private/auth {{\n    mode = 0660\n    user = postfix\n    group = postfix\n  }}\n}}\n\
         # A password set in the dashboard works at the next login while auth_cache_size = 0\n\
         # (the default); with a cache, after auth_cache_ttl or `doveadm auth cache flush`.\n",
        password = password_query(&hosts),
        user = user_query(&layout.mail_root, layout.mail_uid),
        storage = usage_map("storage", "bytes"),
        messages = usage_map("messages", "messages"),
    );
    if !skipped.is_empty() {
        out.push_str(&format!(
            "# Not in the password query: {} (Dovecot compares single addresses only); list the\n\
             # webmail hosts one by one in MAILADMIN_WEBMAIL_NETWORKS for Login via Webmail to apply.\n",
            skipped.join(", ")
        ));
    }
    out
}

pub fn run(
    server: MailServer,
    url: &str,
    webmail_networks: &[String],
    layout: &Layout,
) -> Result<(), CommandError> {
    let source = Source::from_url(url)?;
    print!("{}", render(server, &source, webmail_networks, layout));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_become_driver_settings() {
        assert_eq!(
            Source::from_url("sqlite:///var/lib/mailadmin/m.db?mode=rwc").ok().unwrap(),
            Source::Sqlite { path: "/var/lib/mailadmin/m.db".into() }
        );
        assert_eq!(
            Source::from_url("postgres://mail:s3cret@db.internal:5433/mailadmin?sslmode=disable")
                .ok()
                .unwrap(),
            Source::Postgres {
                host: "db.internal".into(),
                port: 5433,
                user: "mail".into(),
                password: Some("s3cret".into()),
                dbname: "mailadmin".into()
            }
        );
        assert!(Source::from_url("mysql://x").is_err());
    }

    #[test]
    fn the_password_query_checks_the_service_of_the_login() {
        let q = password_query(&[]);
        assert!(
            q.contains("('%s' = 'imap' AND imap = 1)") && q.contains("('%s' = 'pop3' AND pop3 = 1)"),
            "{q}"
        );
        let q = password_query(&["10.0.0.5".into()]);
        assert!(q.contains("'%r' IN ('10.0.0.5') AND webmail = 1"), "{q}");
        let conf = render(
            MailServer::Dovecot,
            &Source::Sqlite { path: "/x.db".into() },
            &["10.0.0.0/24".into()],
            &Layout::default(),
        );
        assert!(conf.contains("Not in the password query: 10.0.0.0/24"), "{conf}");
        assert!(conf.contains("default_pass_scheme = ARGON2ID"));
        let pf =
            render(MailServer::Postfix, &Source::Sqlite { path: "/x.db".into() }, &[], &Layout::default());
        assert!(pf.contains("virtual_alias_maps = proxy:sqlite:/etc/postfix/mailadmin-aliases.cf"), "{pf}");
        assert!(pf.contains("query = SELECT maildir FROM mail_user WHERE address = '%s'"), "{pf}");
    }
}
