//! Settings from the command line and `MAILADMIN_*` environment variables.
use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database to use: `sqlite://FILE?mode=rwc` (the default: one file, nothing to set up) or
    /// `postgres://USER@HOST/DB` for production and several app instances on one database.
    #[arg(
        long,
        env = "MAILADMIN_DATABASE_URL",
        default_value = "sqlite://mailadmin.db?mode=rwc",
        global = true
    )]
    pub database_url: String,
    /// Most database connections this instance keeps open [default: 8 on SQLite, 10 on
    /// PostgreSQL]. Instances sharing a PostgreSQL share its `max_connections`; on a small
    /// database host fewer connections answer a little faster under load.
    #[arg(long, env = "MAILADMIN_DATABASE_POOL", global = true, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub database_pool: Option<u32>,
}

#[derive(Clone, Args)]
pub struct WebArgs {
    /// Address to serve the dashboard on. Loopback by default: put a TLS proxy in front for others.
    #[arg(long, env = "MAILADMIN_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// Key that signs and encrypts session cookies: 128 hex characters (`openssl rand -hex 64`).
    /// When unset, a key is generated once and kept in the database, so restarts keep everyone
    /// signed in.
    #[arg(long, env = "MAILADMIN_SESSION_KEY", hide_env_values = true)]
    pub session_key: Option<String>,

    /// Mark cookies Secure (send them over HTTPS only). Set this when a TLS proxy is in front.
    #[arg(long, env = "MAILADMIN_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,

    /// On SIGTERM or SIGINT: stop accepting, then give requests in flight and the AUP notice
    /// being sent this many seconds to finish before exiting.
    #[arg(long, env = "MAILADMIN_SHUTDOWN_SECONDS", default_value_t = 30)]
    pub shutdown_seconds: u64,

    /// Serve `GET /metrics` (Prometheus text format) on this address, e.g. 127.0.0.1:9464; its
    /// own listener, never the dashboard's public one. Unset: no metrics listener.
    #[arg(long, env = "MAILADMIN_METRICS_BIND")]
    pub metrics_bind: Option<String>,
}

impl std::fmt::Debug for WebArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebArgs")
            .field("bind", &self.bind)
            .field("session_key", &self.session_key.as_ref().map(|_| "***"))
            .field("secure_cookies", &self.secure_cookies)
            .field("shutdown_seconds", &self.shutdown_seconds)
            .field("metrics_bind", &self.metrics_bind)
            .finish()
    }
}

/// Settings of the complaint intake and the AUP notices.
#[derive(Debug, Clone, Args)]
pub struct IntakeArgs {
    /// Where AUP notices go for a company without an abuse contact (and that company is flagged).
    #[arg(long, env = "MAILADMIN_PLATFORM_ABUSE_ADDRESS", default_value = "abuse@localhost")]
    pub platform_abuse_address: String,

    /// The dashboard's address as admins reach it, for the Status-page link in notices.
    /// Defaults to http://<bind>/.
    #[arg(long, env = "MAILADMIN_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Largest complaint report accepted, in bytes; larger ones are refused (413 / exit 65).
    #[arg(long, env = "MAILADMIN_MAX_REPORT_BYTES", default_value_t = 1024 * 1024)]
    pub max_report_bytes: usize,
}

/// The SMTP relay AUP notices are sent through.
#[derive(Clone, Args)]
pub struct SmtpArgs {
    /// SMTP relay for notices, e.g. `smtp://127.0.0.1:25` (plain), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS) or `smtps://host:465`. Unset: notices stay queued and readable on the Notices page.
    #[arg(long, env = "MAILADMIN_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// The From address of AUP notices.
    #[arg(long, env = "MAILADMIN_NOTICE_FROM", default_value = "abuse-desk@localhost")]
    pub notice_from: String,
}

impl std::fmt::Debug for SmtpArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpArgs")
            .field("smtp_url", &self.smtp_url.as_ref().map(|u| crate::db::redacted(u)))
            .field("notice_from", &self.notice_from)
            .finish()
    }
}

impl Default for EnforcementArgs {
    fn default() -> Self {
        Self {
            send_refused: crate::enforcement::DEFAULT_SEND_REFUSED.into(),
            receive_refused: crate::enforcement::DEFAULT_RECEIVE_REFUSED.into(),
            webmail_networks: Vec::new(),
            limit_deferred: crate::enforcement::limits::DEFAULT_LIMIT_DEFERRED.into(),
        }
    }
}

/// What the mail servers are told when they must refuse, shared by the policy service and the
/// dashboard's webmail API so both say the same words.
#[derive(Debug, Clone, Args)]
pub struct EnforcementArgs {
    /// The action for a sender whose *Send Mail* (or, from webmail, *Send via Webmail*) is
    /// suspended or disabled: a Postfix access(5) action. Generic on purpose: the user is not
    /// told they are suspended.
    #[arg(long, env = "MAILADMIN_POLICY_SEND_REFUSED", default_value = crate::enforcement::DEFAULT_SEND_REFUSED)]
    pub send_refused: String,

    /// The action for a recipient whose *Receive Mail* is disabled or suspended.
    #[arg(long, env = "MAILADMIN_POLICY_RECEIVE_REFUSED", default_value = crate::enforcement::DEFAULT_RECEIVE_REFUSED)]
    pub receive_refused: String,

    /// Client addresses of the webmail hosts (comma-separated addresses or CIDRs). Mail they
    /// submit needs *Send via Webmail* as well as *Send Mail*.
    #[arg(long, env = "MAILADMIN_WEBMAIL_NETWORKS", value_delimiter = ',')]
    pub webmail_networks: Vec<String>,

    /// The action for a recipient over its sender's outbound limit, when the company pauses
    /// such senders: a temporary refusal (the client retries later), generic on purpose.
    #[arg(long, env = "MAILADMIN_POLICY_LIMIT_DEFERRED", default_value = crate::enforcement::limits::DEFAULT_LIMIT_DEFERRED)]
    pub limit_deferred: String,
}

/// Settings of `mailadmin policy`.
#[derive(Debug, Clone, Args)]
pub struct PolicyArgs {
    /// Where to listen: `HOST:PORT` and/or `unix:PATH`, comma-separated or repeated.
    #[arg(
        long = "bind",
        env = "MAILADMIN_POLICY_BIND",
        value_delimiter = ',',
        default_value = "127.0.0.1:10040"
    )]
    pub binds: Vec<String>,

    /// Serve `GET /healthz` (JSON: loaded, mailboxes, current or stale) on this address, e.g.
    /// `127.0.0.1:10041`, for monitoring. Unset: no HTTP at all.
    #[arg(long, env = "MAILADMIN_POLICY_STATUS_BIND")]
    pub status_bind: Option<String>,

    /// The action before the first load of the mailboxes (the database has not answered yet).
    /// A temporary failure: Postfix tells the client to try again later.
    #[arg(long, env = "MAILADMIN_POLICY_FALLBACK", default_value = crate::enforcement::DEFAULT_FALLBACK)]
    pub fallback: String,

    /// Appended as `@DOMAIN` to a SASL login without `@` (when Dovecot strips the domain).
    /// Unset: such logins are no mailbox of ours and are left to Postfix (DUNNO).
    #[arg(long, env = "MAILADMIN_POLICY_LOGIN_DOMAIN")]
    pub login_domain: Option<String>,

    /// Postfix's `recipient_delimiter`: `anna+news@…` is anna's mail, so her Receive Mail
    /// decides. Each character is a delimiter; empty for none.
    #[arg(long, env = "MAILADMIN_POLICY_RECIPIENT_DELIMITER", default_value = "+")]
    pub recipient_delimiter: String,

    #[command(flatten)]
    pub enforcement: EnforcementArgs,

    /// Where notices of limit breaches go and the link they carry (as for `serve`).
    #[command(flatten)]
    pub intake: IntakeArgs,
}
