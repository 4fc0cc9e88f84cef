//! `mailadmin backup --to FILE` and `mailadmin restore --from FILE` for a SQLite database.
//!
//! Backup is SQLite's `VACUUM INTO`: one read transaction, so the copy is the database as it
//! was when the backup began, while the dashboard, the intake and the policy service go on
//! writing (WAL readers do not block writers). The copy is checked before the command says so.
//!
//! Restore replaces nothing until the copy has passed `PRAGMA integrity_check` and its schema
//! is one this version knows; it refuses while any process has the database open (SQLite's own
//! locks tell: an exclusive lock is refused), and keeps the database it replaces beside it.
//! PostgreSQL has its own tools (`pg_dump`, `pg_restore`); these commands say so.
use super::CommandError;
use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::SqliteConnectOptions;
use sea_orm::sqlx::{ConnectOptions, Connection, Row, SqliteConnection};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

const POSTGRES_HINT: &str = "backup and restore work on SQLite; for PostgreSQL use its own tools:\n  \
     pg_dump --format=custom --file=mailadmin.dump \"$MAILADMIN_DATABASE_URL\"\n  \
     pg_restore --clean --if-exists --dbname=\"$MAILADMIN_DATABASE_URL\" mailadmin.dump\n\
     (see the README's \"Backup and restore\")";

/// The database file of a `sqlite:` URL.
fn sqlite_path(url: &str) -> Result<PathBuf, CommandError> {
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return Err(CommandError::Usage(POSTGRES_HINT.into()));
    };
    let path = rest.trim_start_matches("//").split('?').next().unwrap_or("");
    if path.is_empty() || path == ":memory:" {
        return Err(CommandError::Usage("an in-memory database has nothing to back up or restore".into()));
    }
    Ok(PathBuf::from(path))
}

async fn open(path: &Path, read_only: bool) -> Result<SqliteConnection, CommandError> {
    SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .map_err(|e| CommandError::Failed(e.to_string()))?
        .read_only(read_only)
        .busy_timeout(Duration::ZERO)
        .connect()
        .await
        .map_err(|e| CommandError::Failed(format!("cannot open {}: {e}", path.display())))
}

/// What a database file holds, checked: integrity, and migrations this version knows.
struct Checked {
    migrations: usize,
    newest: String,
}

async fn check(path: &Path) -> Result<Checked, CommandError> {
    let mut conn = open(path, true).await?;
    let bad = |what: String| {
        CommandError::Failed(format!("{} is not a usable mailadmin database: {what}", path.display()))
    };
    let integrity: String = sea_orm::sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| bad(e.to_string()))?;
    if integrity != "ok" {
        return Err(bad(format!("integrity check: {integrity}")));
    }
    let applied: Vec<String> = sea_orm::sqlx::query("SELECT version FROM seaql_migrations ORDER BY version")
        .fetch_all(&mut conn)
        .await
        .map_err(|e| bad(format!("no migration table ({e})")))?
        .iter()
        .map(|row| row.get::<String, _>(0))
        .collect();
    conn.close().await.ok();
    let known: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    if let Some(unknown) = applied.iter().find(|m| !known.contains(m)) {
        return Err(bad(format!(
            "it was migrated by a newer mailadmin (migration {unknown}); restore it with that version"
        )));
    }
    Ok(Checked { migrations: applied.len(), newest: applied.last().cloned().unwrap_or_default() })
}

pub async fn backup(url: &str, to: &Path) -> Result<(), CommandError> {
    let from = sqlite_path(url)?;
    if to.exists() {
        return Err(CommandError::Usage(format!("{} exists; back up to a new file", to.display())));
    }
    let started = Instant::now();
    let mut conn = open(&from, true).await?;
    sea_orm::sqlx::query("VACUUM INTO ?")
        .bind(to.display().to_string())
        .execute(&mut conn)
        .await
        .map_err(|e| CommandError::Failed(format!("backup to {} failed: {e}", to.display())))?;
    conn.close().await.ok();
    let checked = check(to).await?;
    let bytes = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    println!(
        "backed up {} to {} ({} bytes, {} migrations up to {}) in {:.1} s; checked: integrity ok",
        from.display(),
        to.display(),
        bytes,
        checked.migrations,
        checked.newest,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub async fn restore(url: &str, from: &Path) -> Result<(), CommandError> {
    let target = sqlite_path(url)?;
    if !from.is_file() {
        return Err(CommandError::Usage(format!("{}: no such file", from.display())));
    }
    let checked = check(from).await?;
    let kept = if target.exists() {
        // In use? Any other connection, even an idle one in a pool, holds a lock that an
        // exclusive lock is refused by. Then fold the write-ahead log in and leave WAL mode, so
        // no -wal file of the old database can be mistaken for the new one's.
        let mut conn = open(&target, false).await?;
        let in_use = || {
            CommandError::Usage(format!(
                "{} is in use (mailadmin serve, policy or another process has it open): stop them, then restore",
                target.display()
            ))
        };
        sea_orm::sqlx::query("PRAGMA locking_mode = EXCLUSIVE")
            .execute(&mut conn)
            .await
            .map_err(|_| in_use())?;
        sea_orm::sqlx::query("BEGIN EXCLUSIVE").execute(&mut conn).await.map_err(|_| in_use())?;
        sea_orm::sqlx::query("COMMIT")
            .execute(&mut conn)
            .await
            .map_err(|e| CommandError::Failed(e.to_string()))?;
        sea_orm::sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut conn)
            .await
            .map_err(|e| CommandError::Failed(e.to_string()))?;
        sea_orm::sqlx::query("PRAGMA journal_mode = DELETE")
            .execute(&mut conn)
            .await
            .map_err(|e| CommandError::Failed(e.to_string()))?;
        conn.close().await.ok();
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let kept = target.with_file_name(format!(
            "{}.before-restore-{stamp}",
            target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
        ));
        std::fs::rename(&target, &kept)
            .map_err(|e| CommandError::Failed(format!("cannot move {} aside: {e}", target.display())))?;
        Some(kept)
    } else {
        None
    };
    // Copy beside the target, flush, then rename: the target is the old file or the whole new one.
    let partial = target.with_extension("restoring");
    let copied = std::fs::copy(from, &partial)
        .and_then(|_| std::fs::File::open(&partial)?.sync_all())
        .and_then(|_| std::fs::rename(&partial, &target));
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&partial);
        if let Some(kept) = &kept {
            let _ = std::fs::rename(kept, &target);
        }
        return Err(CommandError::Failed(format!(
            "restore failed, {} left as it was: {e}",
            target.display()
        )));
    }
    println!(
        "restored {} from {} ({} migrations up to {}){}",
        target.display(),
        from.display(),
        checked.migrations,
        checked.newest,
        kept.map(|k| format!("; the database it replaced is kept as {}", k.display())).unwrap_or_default()
    );
    Ok(())
}
