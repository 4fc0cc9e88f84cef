//! `mailadmin check`: the configuration and what it must reach, one line per check, before a
//! start or after a change. Changes nothing (no migration, no key created). Exit status 0 when
//! every check passed, 1 otherwise.
use crate::config::{SmtpArgs, WebArgs};
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use migrations::{Migrator, MigratorTrait};
use std::time::Duration;

struct Line {
    ok: bool,
    what: &'static str,
    said: String,
}

impl Line {
    fn new(ok: bool, what: &'static str, said: impl Into<String>) -> Self {
        Self { ok, what, said: said.into() }
    }
}

async fn database(url: &str) -> (Line, Option<sea_orm::DatabaseConnection>) {
    let shown = crate::db::redacted(url);
    let db = match crate::db::connect_within(url, Duration::from_secs(5)).await {
        Ok(db) => db,
        Err(e) => return (Line::new(false, "database", format!("{shown}: cannot connect: {e}")), None),
    };
    let unknown = crate::db::unknown_migrations(&db).await.unwrap_or_default();
    if !unknown.is_empty() {
        let said =
            format!("{shown}: migrated by a newer mailadmin ({}): run that version", unknown.join(", "));
        return (Line::new(false, "database", said), Some(db));
    }
    let line = match Migrator::get_pending_migrations(&db).await {
        Ok(pending) if pending.is_empty() => Line::new(
            true,
            "database",
            format!("{shown}: reachable, {} migrations applied, none pending", Migrator::migrations().len()),
        ),
        Ok(pending) => Line::new(
            false,
            "database",
            format!("{shown}: {} migrations pending: run mailadmin migrate", pending.len()),
        ),
        Err(e) => Line::new(false, "database", format!("{shown}: cannot read its migrations: {e}")),
    };
    (line, Some(db))
}

async fn smtp(args: &SmtpArgs) -> Line {
    let Some(url) = &args.smtp_url else {
        return Line::new(
            false,
            "smtp relay",
            "MAILADMIN_SMTP_URL is not set: AUP notices would stay queued",
        );
    };
    let shown = crate::db::redacted(url);
    let transport: AsyncSmtpTransport<Tokio1Executor> =
        match AsyncSmtpTransport::<Tokio1Executor>::from_url(url) {
            Ok(builder) => builder.timeout(Some(Duration::from_secs(10))).build(),
            Err(e) => return Line::new(false, "smtp relay", format!("{shown}: {e}")),
        };
    match transport.test_connection().await {
        Ok(true) => Line::new(true, "smtp relay", format!("{shown}: answered EHLO")),
        Ok(false) => Line::new(false, "smtp relay", format!("{shown}: connected but did not answer")),
        Err(e) => Line::new(false, "smtp relay", format!("{shown}: {e}")),
    }
}

async fn session_key(web: &WebArgs, db: Option<&sea_orm::DatabaseConnection>) -> Line {
    if let Some(secret) = &web.session_key {
        return match hex::decode(secret.trim()) {
            Ok(bytes) if bytes.len() >= 64 => Line::new(true, "session key", "from MAILADMIN_SESSION_KEY"),
            _ => Line::new(
                false,
                "session key",
                "MAILADMIN_SESSION_KEY must be 128 hex characters (openssl rand -hex 64)",
            ),
        };
    }
    match db {
        None => Line::new(false, "session key", "not checked: the database is unreachable"),
        Some(db) => match crate::services::common::settings::has_session_key(db).await {
            Ok(true) => Line::new(true, "session key", "stored in the database, shared by every instance"),
            Ok(false) => {
                Line::new(true, "session key", "none yet: the first serve creates it in the database")
            }
            Err(e) => Line::new(false, "session key", format!("cannot read it: {e}")),
        },
    }
}

fn bind(address: &str) -> Line {
    match std::net::TcpListener::bind(address) {
        Ok(_) => Line::new(true, "bind", format!("{address} is free")),
        Err(e) => Line::new(false, "bind", format!("{address}: {e} (is mailadmin serve running already?)")),
    }
}

/// Runs every check and prints one line each; `true` when all passed.
pub async fn run(url: &str, web: &WebArgs, smtp_args: &SmtpArgs) -> bool {
    let (db_line, db) = database(url).await;
    let lines = vec![db_line, smtp(smtp_args).await, session_key(web, db.as_ref()).await, bind(&web.bind)];
    for line in &lines {
        println!("{:<4}  {:<12} {}", if line.ok { "ok" } else { "FAIL" }, line.what, line.said);
    }
    lines.iter().all(|l| l.ok)
}
