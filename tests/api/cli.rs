//! The `mailadmin` command as operators' scripts use it.
use crate::helpers::{Backend, fresh_database_url};
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn mailadmin(database_url: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailadmin"))
        .args(args)
        .env("MAILADMIN_DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run mailadmin");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn create_admin_exits_2_on_bad_input(backend: Backend) {
    let url = fresh_database_url(backend).await;
    let seeded =
        mailadmin(&url, &["seed-demo", "--companies", "1", "--domains", "1", "--mailboxes", "5"], "");
    assert!(seeded.status.success(), "{}", text(&seeded.stderr));
    assert!(text(&seeded.stdout).contains("seeded 1 companies, 1 domains, 5 mailboxes"));

    let ok = mailadmin(
        &url,
        &["create-admin", "--login", "ops", "--role", "company", "--company", "Northwind Traders"],
        "a-long-password\n",
    );
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert_eq!(text(&ok.stdout), "created company admin ops\n");

    let taken =
        mailadmin(&url, &["create-admin", "--login", "ops", "--role", "support"], "a-long-password\n");
    assert_eq!(taken.status.code(), Some(2));
    assert!(text(&taken.stderr).contains("This login is taken."));

    let no_company = mailadmin(
        &url,
        &["create-admin", "--login", "x1", "--role", "company", "--company", "Nope"],
        "a-long-password\n",
    );
    assert_eq!(no_company.status.code(), Some(2));
    assert!(text(&no_company.stderr).contains("no company named \"Nope\""));

    let no_domain = mailadmin(
        &url,
        &["create-admin", "--login", "x2", "--role", "domain", "--domain", "nope.example"],
        "a-long-password\n",
    );
    assert_eq!(no_domain.status.code(), Some(2));

    let short = mailadmin(&url, &["create-admin", "--login", "x3", "--role", "support"], "short\n");
    assert_eq!(short.status.code(), Some(2));

    let domain_admin = mailadmin(
        &url,
        &["create-admin", "--login", "dom", "--role", "domain", "--domain", "NORTHWIND-TRADERS.example"],
        "a-long-password\n",
    );
    assert!(domain_admin.status.success(), "{}", text(&domain_admin.stderr));
}

#[tokio::test]
async fn create_admin_exits_2_on_bad_input_sqlite() {
    create_admin_exits_2_on_bad_input(Backend::Sqlite).await;
}

#[tokio::test]
async fn create_admin_exits_2_on_bad_input_postgres() {
    create_admin_exits_2_on_bad_input(Backend::Postgres).await;
}

#[tokio::test]
async fn every_subcommand_has_help() {
    for sub in ["serve", "migrate", "create-admin", "seed-demo"] {
        let out = Command::new(env!("CARGO_BIN_EXE_mailadmin")).args([sub, "--help"]).output().unwrap();
        assert!(out.status.success());
        assert!(text(&out.stdout).contains("Usage: mailadmin"), "{sub}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_mailadmin")).arg("--help").output().unwrap();
    assert!(text(&out.stdout).contains("MAILADMIN_DATABASE_URL"));
    assert!(text(&out.stdout).contains("MAILADMIN_DATABASE_POOL"));
}

#[tokio::test]
async fn a_pool_of_no_connections_is_refused_with_the_reason() {
    let out = Command::new(env!("CARGO_BIN_EXE_mailadmin"))
        .args(["migrate", "--database-pool", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--database-pool"), "{}", text(&out.stderr));
    let url = fresh_database_url(Backend::Sqlite).await;
    let out = mailadmin(&url, &["migrate", "--database-pool", "2"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// `serve --demo` seeds once and prints the sign-ins; `serve` on an empty database creates `admin`.
async fn serve_seeds_the_demo_once(backend: Backend) {
    use std::io::{BufRead, BufReader};
    let url = fresh_database_url(backend).await;
    let run = |args: &[&str]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mailadmin"))
            .args(args)
            .env("MAILADMIN_DATABASE_URL", &url)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = Vec::new();
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = line.unwrap();
            let done = line.starts_with("Dashboard listening");
            lines.push(line);
            if done {
                break;
            }
        }
        child.kill().ok();
        child.wait().ok();
        lines.join("\n")
    };
    let first = run(&["serve", "--demo", "--bind", "127.0.0.1:0"]);
    assert!(first.contains("Demo data seeded."), "{first}");
    assert!(first.contains("login platform  password platform-demo"), "{first}");
    assert!(first.contains("login support   password support-demo"), "{first}");
    let second = run(&["serve", "--demo", "--bind", "127.0.0.1:0"]);
    assert!(second.contains("no demo data seeded"), "{second}");

    let empty = fresh_database_url(backend).await;
    let out = {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mailadmin"))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("MAILADMIN_DATABASE_URL", &empty)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = Vec::new();
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = line.unwrap();
            let done = line.starts_with("Dashboard listening");
            lines.push(line);
            if done {
                break;
            }
        }
        child.kill().ok();
        child.wait().ok();
        lines.join("\n")
    };
    assert!(out.contains("login: admin"), "{out}");
    let password_line = out.lines().find(|l| l.contains("password: ")).unwrap();
    assert!(password_line.trim().len() > "password: ".len() + 15, "a long random password: {out}");
}

#[tokio::test]
async fn serve_seeds_the_demo_once_sqlite() {
    serve_seeds_the_demo_once(Backend::Sqlite).await;
}

#[tokio::test]
async fn serve_seeds_the_demo_once_postgres() {
    serve_seeds_the_demo_once(Backend::Postgres).await;
}

/// `mailadmin check`: one line per check, exit 0 only when every check passes.
#[tokio::test]
async fn check_reports_each_check_and_fails_on_any() {
    let url = fresh_database_url(Backend::Sqlite).await;
    let sink = crate::notices::start_sink();
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let run = |url: &str, smtp: &str, bind: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_mailadmin"))
            .args(["check", "--bind", bind])
            .env("MAILADMIN_DATABASE_URL", url)
            .env("MAILADMIN_SMTP_URL", smtp)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        (out.status.code(), text(&out.stdout))
    };
    let smtp = format!("smtp://127.0.0.1:{}", sink.port);
    // Not migrated yet: the database line fails, and says what to do.
    let (code, said) = run(&url, &smtp, &free);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("FAIL  database") && said.contains("pending: run mailadmin migrate"), "{said}");
    assert!(mailadmin(&url, &["migrate"], "").status.success());
    let (code, said) = run(&url, &smtp, &free);
    assert_eq!(code, Some(0), "{said}");
    assert_eq!(said.lines().filter(|l| l.starts_with("ok ")).count(), 4, "{said}");
    assert!(said.contains("answered EHLO") && said.contains("none pending"), "{said}");
    // A relay that does not answer, and a bind address in use, fail their lines.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (code, said) = run(&url, "smtp://127.0.0.1:1", &taken.local_addr().unwrap().to_string());
    assert_eq!(code, Some(1));
    assert!(said.contains("FAIL  smtp relay") && said.contains("FAIL  bind"), "{said}");
    assert!(said.contains("ok    database"), "{said}");
}
