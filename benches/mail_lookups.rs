//! Measuring client for `scripts/bench-mail-lookups`: the mail servers' lookups against the mail
//! views, at one connection, as Postfix and Dovecot send them.
//!
//! `mail_lookups URL SECONDS MAILBOXES_PER_DOMAIN ALIASES_PER_DOMAIN` expects the data the script
//! seeds: domains `domainN.example`, mailboxes `userK@domain`, aliases `aliasK@domain` (K from 1),
//! a catch-all (`@domain`) on every second domain. It prints the plans (`EXPLAIN`) of the five
//! queries with a verdict on index use, warms up for 2 s, then runs a random, uniform mix of the
//! lookup kinds below for SECONDS and prints, per kind: lookups, share found, lookups/s (one
//! connection doing only that kind: lookups ÷ time spent in them), p50, p99 and max.
//!
//! The queries are the exact strings `mailadmin mail-config` writes (`DOMAIN_QUERY`,
//! `MAILBOX_QUERY`, `ALIAS_QUERY`, `password_query()`, `user_query()`) with `%s`, `%u` and `%r`
//! replaced by the key, as the mail servers do, and sent as they send them: as plain SQL text, a
//! new statement each time (PostgreSQL's simple query protocol, as libpq's `PQexec`; SQLite
//! prepares each), over one connection.
use mailadmin::cli::mail_config::{ALIAS_QUERY, DOMAIN_QUERY, MAILBOX_QUERY, password_query, user_query};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::sqlx::{self, AssertSqlSafe, pool::PoolConnection};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use std::time::{Duration, Instant};

/// The webmail host of the password query (a login from elsewhere takes the IMAP branch).
const WEBMAIL_HOST: &str = "10.0.0.5";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    DomainHit,
    DomainMiss,
    MailboxHit,
    MailboxMiss,
    AliasHit,
    AliasSelf,
    AliasMiss,
    CatchAll,
    PassdbImap,
    UserdbLmtp,
}

const KINDS: [Kind; 10] = [
    Kind::DomainHit,
    Kind::DomainMiss,
    Kind::MailboxHit,
    Kind::MailboxMiss,
    Kind::AliasHit,
    Kind::AliasSelf,
    Kind::AliasMiss,
    Kind::CatchAll,
    Kind::PassdbImap,
    Kind::UserdbLmtp,
];

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::DomainHit => "postfix domain, hosted",
            Kind::DomainMiss => "postfix domain, not hosted",
            Kind::MailboxHit => "postfix mailbox, hit",
            Kind::MailboxMiss => "postfix mailbox, miss",
            Kind::AliasHit => "postfix alias, alias",
            Kind::AliasSelf => "postfix alias, mailbox itself",
            Kind::AliasMiss => "postfix alias, miss",
            Kind::CatchAll => "postfix alias, @domain",
            Kind::PassdbImap => "dovecot passdb, imap",
            Kind::UserdbLmtp => "dovecot userdb, lmtp",
        }
    }
}

struct Queries {
    password: String,
    user: String,
}

struct Data {
    domains: Vec<String>,
    mailboxes: u32,
    aliases: u32,
}

fn query(queries: &Queries, data: &Data, kind: Kind, rng: &mut StdRng) -> String {
    let domain = &data.domains[rng.random_range(0..data.domains.len())];
    let mailbox = rng.random_range(1..=data.mailboxes);
    let user = format!("user{mailbox}@{domain}");
    let nobody = format!("nobody{mailbox}@{domain}");
    let postfix = |template: &str, key: &str| template.replace("%s", key);
    match kind {
        Kind::DomainHit => postfix(DOMAIN_QUERY, domain),
        Kind::DomainMiss => postfix(DOMAIN_QUERY, &format!("mx{mailbox}.not-hosted.example")),
        Kind::MailboxHit => postfix(MAILBOX_QUERY, &user),
        Kind::MailboxMiss => postfix(MAILBOX_QUERY, &nobody),
        Kind::AliasHit => {
            postfix(ALIAS_QUERY, &format!("alias{}@{domain}", rng.random_range(1..=data.aliases)))
        }
        Kind::AliasSelf => postfix(ALIAS_QUERY, &user),
        Kind::AliasMiss => postfix(ALIAS_QUERY, &nobody),
        Kind::CatchAll => postfix(ALIAS_QUERY, &format!("@{domain}")),
        Kind::PassdbImap => {
            let remote = format!("198.51.100.{}", rng.random_range(1..=254));
            queries.password.replace("%u", &user).replace("%s", "imap").replace("%r", &remote)
        }
        Kind::UserdbLmtp => queries.user.replace("%u", &user).replace("%s", "lmtp"),
    }
}

enum Conn {
    Postgres(PoolConnection<sqlx::Postgres>),
    Sqlite(PoolConnection<sqlx::Sqlite>),
}

impl Conn {
    /// Runs one lookup as text; the number of rows.
    async fn lookup(&mut self, sql: String) -> usize {
        let raw = sqlx::raw_sql(AssertSqlSafe(sql));
        let rows = match self {
            Conn::Postgres(c) => raw.fetch_all(&mut **c).await.map(|r| r.len()),
            Conn::Sqlite(c) => raw.fetch_all(&mut **c).await.map(|r| r.len()),
        };
        rows.expect("lookup")
    }
}

/// The plan of one query, the index scans that find the key (`address` or `name`), and the
/// scans of whole tables.
async fn explain(db: &DatabaseConnection, sql: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
    let backend = db.get_database_backend();
    let sqlite = backend == DatabaseBackend::Sqlite;
    let prefix = if sqlite { "EXPLAIN QUERY PLAN " } else { "EXPLAIN " };
    let column = if sqlite { "detail" } else { "QUERY PLAN" };
    let rows =
        db.query_all_raw(Statement::from_string(backend, format!("{prefix}{sql}"))).await.expect("explain");
    let lines: Vec<String> =
        rows.iter().map(|r| r.try_get::<String>("", column).expect("plan line")).collect();
    let mut key_by_index = Vec::new();
    let mut full_scans = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let l = line.trim().trim_start_matches("-> ").trim();
        if sqlite {
            // `SEARCH x USING INDEX sqlite_autoindex_mailbox_1 (address=?)`; `SCAN t` reads a
            // whole table unless t is the view's own co-routine (its few result rows).
            if l.starts_with("SEARCH ") && (l.contains("(address=?)") || l.contains("(name=?)")) {
                key_by_index.push(l.to_owned());
            }
            if let Some(name) = l.strip_prefix("SCAN ") {
                let name = name.split_whitespace().next().unwrap_or("");
                let coroutine = lines.iter().any(|o| {
                    let o = o.trim();
                    o == format!("CO-ROUTINE {name}") || o == format!("MATERIALIZE {name}")
                });
                if !coroutine {
                    full_scans.push(l.to_owned());
                }
            }
        } else {
            // `Index Scan using mailbox_address_key on mailbox x` with `Index Cond: ((address)…`
            if l.contains("Index Cond: ((address)") || l.contains("Index Cond: ((name)") {
                let scan = lines[..i].iter().rev().find(|p| p.contains("Index")).map(|p| p.trim());
                let scan = scan.unwrap_or(l).trim_start_matches("-> ").trim();
                key_by_index.push(scan.split("  (cost").next().unwrap_or(scan).to_owned());
            }
            if l.starts_with("Seq Scan on ") {
                full_scans.push(l.split("  (cost").next().unwrap_or(l).to_owned());
            }
        }
    }
    (lines, key_by_index, full_scans)
}

fn micros(d: u64) -> String {
    format!("{:.0} µs", d as f64 / 1000.0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let [url, seconds, mailboxes, aliases] = args.as_slice() else {
        eprintln!("usage: mail_lookups URL SECONDS MAILBOXES_PER_DOMAIN ALIASES_PER_DOMAIN");
        std::process::exit(2);
    };
    let seconds: u64 = seconds.parse().expect("SECONDS");
    let db = mailadmin::db::connect_with(url, Duration::from_secs(10), Some(1)).await.expect("connect");
    let backend = db.get_database_backend();
    let label = if backend == DatabaseBackend::Sqlite { "sqlite" } else { "postgres" };
    let domains: Vec<String> = db
        .query_all_raw(Statement::from_string(backend, "SELECT name FROM domain ORDER BY id"))
        .await
        .expect("domains")
        .iter()
        .map(|r| r.try_get::<String>("", "name").expect("name"))
        .collect();
    assert!(!domains.is_empty(), "no domains: seed first");
    let data = Data {
        domains,
        mailboxes: mailboxes.parse().expect("MAILBOXES"),
        aliases: aliases.parse().expect("ALIASES"),
    };
    let queries = Queries {
        password: password_query(&[WEBMAIL_HOST.to_owned()]),
        user: user_query("/var/vmail", 5000),
    };
    let mut rng = StdRng::seed_from_u64(13);

    // The plans, one query of each template.
    println!(
        "   plans ({label}; EXPLAIN{}):",
        if backend == DatabaseBackend::Sqlite { " QUERY PLAN" } else { "" }
    );
    let mut keys_indexed = true;
    let mut scanned: Vec<String> = Vec::new();
    for (name, kind, arms) in [
        ("DOMAIN_QUERY", Kind::DomainHit, 1),
        ("MAILBOX_QUERY", Kind::MailboxHit, 1),
        ("ALIAS_QUERY", Kind::AliasHit, 2), // aliases, then mailboxes (UNION ALL)
        ("password_query", Kind::PassdbImap, 1),
        ("user_query", Kind::UserdbLmtp, 1),
    ] {
        let sql = query(&queries, &data, kind, &mut rng);
        let (lines, keys, scans) = explain(&db, &sql).await;
        println!("   {name}: {sql}");
        for line in &lines {
            println!("      {line}");
        }
        if keys.len() >= arms {
            println!("      → the key by index: {}", keys.join("; "));
        } else {
            keys_indexed = false;
            println!("      → the key NOT by index ({} of {arms} by index)", keys.len());
        }
        if !scans.is_empty() {
            println!("      → whole tables read: {}", scans.join("; "));
            scanned.extend(scans);
        }
    }
    let count = |table: &'static str| {
        let db = &db;
        async move {
            let sql = format!("SELECT COUNT(*) AS n FROM {table}");
            let row = db.query_one_raw(Statement::from_string(backend, sql)).await.expect("count");
            row.expect("a count").try_get::<i64>("", "n").expect("n")
        }
    };
    println!(
        "   index use: every key (domain name, address) found by its unique index: {}; {}",
        if keys_indexed { "yes" } else { "NO, see above" },
        if scanned.is_empty() {
            "no whole table read".to_owned()
        } else {
            let mut tables: Vec<&str> = scanned
                .iter()
                .map(|s| s.trim_start_matches("Seq Scan on ").trim_start_matches("SCAN "))
                .map(|s| s.split_whitespace().next().unwrap_or(s))
                .collect();
            tables.sort_unstable();
            tables.dedup();
            format!(
                "whole tables read: {} (the database holds {} domains, {} companies)",
                tables.join(", "),
                count("domain").await,
                count("company").await
            )
        }
    );

    // The pool's one connection, held for the whole run.
    let mut conn = if backend == DatabaseBackend::Sqlite {
        Conn::Sqlite(db.get_sqlite_connection_pool().acquire().await.expect("acquire"))
    } else {
        Conn::Postgres(db.get_postgres_connection_pool().acquire().await.expect("acquire"))
    };

    // Warm-up, not counted.
    let warm_until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < warm_until {
        let kind = KINDS[rng.random_range(0..KINDS.len())];
        conn.lookup(query(&queries, &data, kind, &mut rng)).await;
    }

    let mut latencies: Vec<Vec<u64>> = vec![Vec::with_capacity(1 << 18); KINDS.len()];
    let mut found = vec![0u64; KINDS.len()];
    let mut all: Vec<u64> = Vec::with_capacity(1 << 21);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    while Instant::now() < deadline {
        let k = rng.random_range(0..KINDS.len());
        let sql = query(&queries, &data, KINDS[k], &mut rng);
        let t = Instant::now();
        let rows = conn.lookup(sql).await;
        let ns = t.elapsed().as_nanos() as u64;
        latencies[k].push(ns);
        all.push(ns);
        if rows > 0 {
            found[k] += 1;
        }
    }
    let wall = started.elapsed().as_secs_f64();

    let pct = |v: &[u64], p: f64| v[((v.len() as f64 * p) as usize).min(v.len() - 1)];
    println!();
    println!(
        "| backend  | lookup (one connection)       | lookups | found  | lookups/s | p50    | p99    | max      |"
    );
    println!(
        "|----------|-------------------------------|---------|--------|-----------|--------|--------|----------|"
    );
    for (k, kind) in KINDS.iter().enumerate() {
        let v = &mut latencies[k];
        v.sort_unstable();
        let total: u64 = v.iter().sum();
        println!(
            "| {label:<8} | {:<29} | {:>7} | {:>5.1} % | {:>9.0} | {:>6} | {:>6} | {:>8} |",
            kind.label(),
            v.len(),
            100.0 * found[k] as f64 / v.len() as f64,
            v.len() as f64 / (total as f64 / 1e9),
            micros(pct(&v[..], 0.50)),
            micros(pct(&v[..], 0.99)),
            micros(*v.last().unwrap()),
        );
    }
    all.sort_unstable();
    println!(
        "| {label:<8} | {:<29} | {:>7} | {:>5.1} % | {:>9.0} | {:>6} | {:>6} | {:>8} |",
        "all (the mix, wall clock)",
        all.len(),
        100.0 * found.iter().sum::<u64>() as f64 / all.len() as f64,
        all.len() as f64 / wall,
        micros(pct(&all, 0.50)),
        micros(pct(&all, 0.99)),
        micros(*all.last().unwrap()),
    );
    let over = all.iter().filter(|&&ns| ns >= 1_000_000).count();
    println!();
    println!(
        "   {} lookups in {:.1} s; p99 of the mix {}; {} lookups ({:.3} %) took 1 ms or more",
        all.len(),
        wall,
        micros(pct(&all, 0.99)),
        over,
        100.0 * over as f64 / all.len() as f64
    );
}
