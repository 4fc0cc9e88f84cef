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
}

impl std::fmt::Debug for WebArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebArgs")
            .field("bind", &self.bind)
            .field("session_key", &self.session_key.as_ref().map(|_| "***"))
            .field("secure_cookies", &self.secure_cookies)
            .finish()
    }
}
