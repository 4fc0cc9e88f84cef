//! Connecting to SQLite or PostgreSQL, and running migrations.
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use std::time::Duration;

pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, Duration::from_secs(10), None).await
}

/// Connects, giving up after `patience` (the pool retries a refused connection until then).
pub async fn connect_within(url: &str, patience: Duration) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, patience, None).await
}

/// Connects with at most `pool` connections (`None`: 8 on SQLite, 10 on PostgreSQL).
pub async fn connect_with(
    url: &str,
    patience: Duration,
    pool: Option<u32>,
) -> Result<DatabaseConnection, DbErr> {
    Database::connect(options(url, patience, pool)).await
}

/// A pool that connects on first use: for a service that must start and answer (from its
/// fallback) even while the database is down, and retry in its own time.
pub async fn connect_lazily(url: &str, pool: Option<u32>) -> Result<DatabaseConnection, DbErr> {
    let mut options = options(url, Duration::from_secs(5), pool);
    options.connect_lazy(true).min_connections(0);
    Database::connect(options).await
}

fn options(url: &str, patience: Duration, pool: Option<u32>) -> ConnectOptions {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .connect_timeout(patience.min(Duration::from_secs(5)))
        .acquire_timeout(patience);
    if url.starts_with("sqlite:") {
        // WAL lets readers run beside the one writer; a writer waits up to 5 s for the lock
        // instead of failing. NORMAL sync is durable across application crashes in WAL mode.
        options.max_connections(pool.unwrap_or(8)).min_connections(1).map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        });
    } else {
        options.max_connections(pool.unwrap_or(10)).min_connections(1);
    }
    options
}

/// Applies pending migrations, after refusing a database that a newer mailadmin has migrated:
/// an older binary must not run against a schema it does not know (see the README's rule for
/// migrations and rolling upgrades).
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    let unknown = unknown_migrations(db).await?;
    if !unknown.is_empty() {
        return Err(DbErr::Custom(format!(
            "this database was migrated by a newer version of mailadmin (migrations unknown to \
             version {}: {}); run that version, or restore a backup taken before the upgrade",
            env!("CARGO_PKG_VERSION"),
            unknown.join(", ")
        )));
    }
    Migrator::up(db, None).await
}

/// Migrations applied to the database that this version does not have.
pub async fn unknown_migrations(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    use sea_orm::{ConnectionTrait, Statement};
    let query = Statement::from_string(db.get_database_backend(), "SELECT version FROM seaql_migrations");
    // A fresh database has no migration table yet: nothing unknown.
    let Ok(rows) = db.query_all_raw(query).await else { return Ok(Vec::new()) };
    let known: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    let mut unknown = Vec::new();
    for row in rows {
        let version: String = row.try_get("", "version")?;
        if !known.contains(&version) {
            unknown.push(version);
        }
    }
    Ok(unknown)
}

/// A URL safe to print: the password, if any, replaced by `***`.
/// SQLite: folds the write-ahead log back into the database file and truncates it, so a clean
/// stop leaves one file (no `-wal` of megabytes beside it). Nothing to do on PostgreSQL.
pub async fn checkpoint(db: &DatabaseConnection) {
    if db.get_database_backend() != sea_orm::DatabaseBackend::Sqlite {
        return;
    }
    use sea_orm::ConnectionTrait;
    if let Err(e) = db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await {
        tracing::warn!(error = %e, "checkpointing the SQLite write-ahead log failed");
    }
}

pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(super::redacted("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(super::redacted("sqlite://x.db?mode=rwc"), "sqlite://x.db?mode=rwc");
    }
}
