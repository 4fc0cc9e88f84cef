//! `mailadmin backup` and `restore` (SQLite), and the refusal of a schema from a newer version.
//! The backup runs while another connection keeps committing: every row committed before it
//! began is in the copy; restore refuses while the database is open, keeps the database it
//! replaces, and the restored database serves.
use crate::helpers::*;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

fn mailadmin(database_url: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mailadmin"))
        .args(args)
        .env("MAILADMIN_DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run mailadmin");
    (
        out.status.success(),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_owned()))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

fn path_of(url: &str) -> std::path::PathBuf {
    url.trim_start_matches("sqlite://").split('?').next().unwrap().into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_write_load_restores_every_committed_row() {
    let url = fresh_database_url(Backend::Sqlite).await;
    let db = mailadmin::db::connect(&url).await.unwrap();
    mailadmin::db::migrate(&db).await.unwrap();
    seed_fixture(&db).await;

    // A writer committing one row at a time, counting what is committed.
    let (stop, committed) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicI64::new(0)));
    let writer = {
        let (db, stop, committed) = (db.clone(), stop.clone(), committed.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let sql = format!("INSERT INTO app_setting (key, value) VALUES ('load-{n}', 'x')");
                db.execute_unprepared(&sql).await.expect("a write under load");
                committed.store(n, Ordering::SeqCst);
            }
        })
    };
    while committed.load(Ordering::SeqCst) < 200 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let copy = std::env::temp_dir().join(format!("ma-backup-{:08x}.db", rand::random::<u32>()));
    let before_backup = committed.load(Ordering::SeqCst);
    let (ok, said) = tokio::task::spawn_blocking({
        let (url, copy) = (url.clone(), copy.clone());
        move || mailadmin(&url, &["backup", "--to", copy.to_str().unwrap()])
    })
    .await
    .unwrap();
    let after_backup = committed.load(Ordering::SeqCst);
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();
    assert!(ok && said.contains("checked: integrity ok"), "{said}");
    assert!(after_backup > before_backup, "the writer kept committing during the backup");

    let copy_url = format!("sqlite://{}", copy.display());
    let copied = mailadmin::db::connect(&copy_url).await.unwrap();
    let rows = count(&copied, "SELECT COUNT(*) FROM app_setting WHERE key LIKE 'load-%'").await;
    assert!(rows >= before_backup, "{rows} rows in the copy, {before_backup} committed before it began");
    copied.close().await.unwrap();
    // An existing file is never overwritten.
    let (ok, said) = mailadmin(&url, &["backup", "--to", copy.to_str().unwrap()]);
    assert!(!ok && said.contains("exists; back up to a new file"), "{said}");

    // Restore refuses while the database is open (here: our pool), then replaces it.
    let (ok, said) = mailadmin(&url, &["restore", "--from", copy.to_str().unwrap()]);
    assert!(!ok && said.contains("is in use"), "{said}");
    let rows_now = count(&db, "SELECT COUNT(*) FROM app_setting WHERE key LIKE 'load-%'").await;
    assert_eq!(rows_now, committed.load(Ordering::SeqCst), "nothing was replaced");
    db.close().await.unwrap();
    let (ok, said) = mailadmin(&url, &["restore", "--from", copy.to_str().unwrap()]);
    assert!(ok && said.contains("the database it replaced is kept as"), "{said}");
    let target = path_of(&url);
    let kept: Vec<_> = std::fs::read_dir(target.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("{}.before-restore-", target.file_name().unwrap().to_string_lossy()))
        })
        .collect();
    assert_eq!(kept.len(), 1, "the replaced database is kept beside it");

    // The restored database serves, with the copy's rows.
    let app = spawn_app_on(Backend::Sqlite, &url).await;
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM app_setting WHERE key LIKE 'load-%'").await, rows);
    let page = app.signed_in("plat").await.get("/companies").await;
    assert_eq!(page.status, reqwest::StatusCode::OK);
    assert!(page.body.contains("Alpha Mail"));
    std::fs::remove_file(&copy).ok();
    std::fs::remove_file(kept[0].path()).ok();
}

#[tokio::test]
async fn a_bad_copy_is_refused_before_anything_is_replaced() {
    let url = fresh_database_url(Backend::Sqlite).await;
    let (ok, _) = mailadmin(&url, &["migrate"]);
    assert!(ok);
    let junk = std::env::temp_dir().join(format!("ma-junk-{:08x}.db", rand::random::<u32>()));
    std::fs::write(&junk, b"this is not a database").unwrap();
    let (ok, said) = mailadmin(&url, &["restore", "--from", junk.to_str().unwrap()]);
    assert!(!ok && said.contains("is not a usable mailadmin database"), "{said}");
    let (ok, said) = mailadmin(&url, &["restore", "--from", "/nonexistent/copy.db"]);
    assert!(!ok && said.contains("no such file"), "{said}");
    assert!(path_of(&url).exists(), "the database is untouched");
    std::fs::remove_file(&junk).ok();
}

#[tokio::test]
async fn postgres_is_pointed_at_its_own_tools() {
    let (ok, said) =
        mailadmin("postgres://postgres@127.0.0.1:5432/postgres", &["backup", "--to", "/tmp/never.db"]);
    assert!(!ok && said.contains("pg_dump --format=custom"), "{said}");
}

/// An older binary must not run against a schema a newer one made.
#[tokio::test]
async fn serve_refuses_a_database_migrated_by_a_newer_version() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let url = fresh_database_url(backend).await;
        let (ok, _) = mailadmin(&url, &["migrate"]);
        assert!(ok);
        let db = mailadmin::db::connect(&url).await.unwrap();
        db.execute_unprepared("INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20991231_000001_from_the_future', 0)")
            .await
            .unwrap();
        db.close().await.unwrap();
        let (ok, said) = mailadmin(&url, &["migrate"]);
        assert!(!ok, "{backend:?}: {said}");
        assert!(
            said.contains("migrated by a newer version of mailadmin")
                && said.contains("m20991231_000001_from_the_future"),
            "{said}"
        );
    }
}
