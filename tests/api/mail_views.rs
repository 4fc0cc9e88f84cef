//! The mail servers' SQL interface (`mail_domain`, `mail_user`): what the views say, and that
//! every lookup Postfix and Dovecot make is served by an index, on both databases.
use crate::db_tests;
use crate::helpers::{Backend, seed_fixture, switch_off};
use mailadmin::domain::Service;
use mailadmin::entity::company;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Statement};

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql.to_owned())).await.unwrap()
}

async fn user(db: &DatabaseConnection, address: &str) -> Option<(String, i32, i32, i32, i32, i32, String)> {
    let sql = format!(
        "SELECT maildir, CAST(imap AS INTEGER) AS imap, CAST(pop3 AS INTEGER) AS pop3, \
         CAST(receive AS INTEGER) AS receive, CAST(send AS INTEGER) AS send, quota_mb, password_hash \
         FROM mail_user WHERE address = '{address}'"
    );
    rows(db, &sql).await.first().map(|r| {
        (
            r.try_get("", "maildir").unwrap(),
            r.try_get("", "imap").unwrap(),
            r.try_get("", "pop3").unwrap(),
            r.try_get("", "receive").unwrap(),
            r.try_get("", "send").unwrap(),
            r.try_get("", "quota_mb").unwrap(),
            r.try_get("", "password_hash").unwrap(),
        )
    })
}

async fn alias_targets(db: &DatabaseConnection, address: &str) -> Option<String> {
    rows(db, &format!("SELECT targets FROM mail_alias WHERE address = '{address}'"))
        .await
        .first()
        .map(|r| r.try_get::<String>("", "targets").unwrap())
}

/// The plan of `query` as text, one line per step.
async fn plan(db: &DatabaseConnection, backend: Backend, query: &str) -> String {
    match backend {
        Backend::Sqlite => rows(db, &format!("EXPLAIN QUERY PLAN {query}"))
            .await
            .iter()
            .map(|r| r.try_get::<String>("", "detail").unwrap())
            .collect::<Vec<_>>()
            .join("\n"),
        Backend::Postgres => {
            // Small test tables are cheaper to scan: forbid scans (in one transaction, on one
            // connection) to see whether an index serves the lookup.
            use sea_orm::TransactionTrait;
            let txn = db.begin().await.unwrap();
            txn.execute_unprepared("SET LOCAL enable_seqscan = off").await.unwrap();
            let found = txn
                .query_all_raw(Statement::from_string(txn.get_database_backend(), format!("EXPLAIN {query}")))
                .await
                .unwrap();
            txn.rollback().await.unwrap();
            found
                .iter()
                .map(|r| r.try_get::<String>("", "QUERY PLAN").unwrap())
                .collect::<Vec<_>>()
                .join("\n")
        }
    }
}

db_tests! {
    async fn the_views_say_what_the_dashboard_says(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let domains: Vec<String> =
            rows(&app.db, "SELECT domain FROM mail_domain ORDER BY domain").await.iter().map(|r| r.try_get("", "domain").unwrap()).collect();
        assert_eq!(domains, ["alpha.example", "alpha2.example", "beta.example"]);
        let (maildir, imap, pop3, receive, send, quota, hash) = user(&app.db, "anna@alpha.example").await.expect("anna");
        // The maildir carries the mailbox's id: an address deleted and made again starts empty.
        let expected_maildir = format!("alpha.example/anna.{}/", f.mailbox_a);
        assert_eq!((maildir.as_str(), imap, pop3, receive, send, quota), (expected_maildir.as_str(), 1, 1, 1, 1, 0));
        assert!(hash.starts_with("$argon2id$"), "the dashboard's own argon2id hash: {hash}");
        // IMAP switched off, Send Mail suspended: the views follow at once.
        switch_off(&app.db, f.mailbox_a, &[Service::Imap]).await;
        crate::helpers::suspend_send_mail(&app.db, f.mailbox_a).await;
        let (_, imap, pop3, _, send, _, _) = user(&app.db, "anna@alpha.example").await.unwrap();
        assert_eq!((imap, pop3, send), (0, 1, 0));
        // A suspended company's domains and mailboxes are gone from the mail servers' view.
        company::Entity::update_many()
            .col_expr(company::Column::Status, Expr::value("suspended"))
            .filter(company::Column::Id.eq(f.company_b))
            .exec(&app.db)
            .await
            .unwrap();
        assert!(user(&app.db, "bert@beta.example").await.is_none());
        assert!(rows(&app.db, "SELECT domain FROM mail_domain WHERE domain = 'beta.example'").await.is_empty());
        assert!(user(&app.db, "nobody@alpha.example").await.is_none());
    }

    async fn the_alias_view_maps_aliases_forwards_catch_alls_and_every_mailbox(app: TestApp) {
        use mailadmin::domain::{AliasName, Targets};
        use mailadmin::services::hierarchy::forwarding;
        let f = seed_fixture(&app.db).await;
        let system = mailadmin::services::access::admins::system_actor("test");
        // A mailbox maps to itself, so a catch-all never takes its mail.
        assert_eq!(alias_targets(&app.db, "anna@alpha.example").await.as_deref(), Some("anna@alpha.example"));
        let sales = Targets::parse("anna@alpha.example, someone@elsewhere.example").unwrap();
        forwarding::create(&app.db, &system, f.domain_a, AliasName::parse("sales").unwrap(), sales).await.unwrap();
        let all = Targets::parse("anna@alpha.example").unwrap();
        forwarding::create(&app.db, &system, f.domain_a, AliasName::CatchAll, all).await.unwrap();
        assert_eq!(alias_targets(&app.db, "sales@alpha.example").await.as_deref(), Some("anna@alpha.example,someone@elsewhere.example"));
        assert_eq!(alias_targets(&app.db, "@alpha.example").await.as_deref(), Some("anna@alpha.example"));
        // A forward with a copy, then without.
        let away = Targets::parse("anna@home.example").unwrap();
        forwarding::set_forward(&app.db, &system, f.mailbox_a, Some(away.clone()), true).await.unwrap();
        assert_eq!(alias_targets(&app.db, "anna@alpha.example").await.as_deref(), Some("anna@alpha.example,anna@home.example"));
        forwarding::set_forward(&app.db, &system, f.mailbox_a, Some(away), false).await.unwrap();
        assert_eq!(alias_targets(&app.db, "anna@alpha.example").await.as_deref(), Some("anna@home.example"));
        // An inactive domain is gone from every view.
        let domain = mailadmin::services::hierarchy::domains::get(&app.db, &system, f.domain_a).await.unwrap();
        let name = mailadmin::domain::DomainName::parse(&domain.name).unwrap();
        mailadmin::services::hierarchy::domains::update(&app.db, &system, f.domain_a, name, false).await.unwrap();
        assert_eq!(alias_targets(&app.db, "sales@alpha.example").await, None);
        assert_eq!(alias_targets(&app.db, "anna@alpha.example").await, None);
        assert!(user(&app.db, "anna@alpha.example").await.is_none());
        assert!(rows(&app.db, "SELECT domain FROM mail_domain WHERE domain = 'alpha.example'").await.is_empty());
    }

    async fn every_mail_server_lookup_is_served_by_an_index(app: TestApp) {
        seed_fixture(&app.db).await;
        for query in [
            "SELECT domain FROM mail_domain WHERE domain = 'alpha.example'",
            "SELECT maildir FROM mail_user WHERE address = 'anna@alpha.example'",
            "SELECT address AS user, password_hash AS password FROM mail_user WHERE address = 'anna@alpha.example' AND imap = 1",
            "SELECT targets FROM mail_alias WHERE address = 'anna@alpha.example'",
            "SELECT targets FROM mail_alias WHERE address = '@alpha.example'",
        ] {
            let plan = plan(&app.db, app.backend, query).await;
            match app.backend {
                Backend::Sqlite => {
                    // A UNION ALL view runs as a co-routine whose few rows are then read in full
                    // ("SCAN mail_alias"): that reads its output, not a table.
                    let co_routines: Vec<&str> =
                        plan.lines().filter_map(|l| l.strip_prefix("CO-ROUTINE ")).collect();
                    let table_scan = plan
                        .lines()
                        .filter_map(|l| l.strip_prefix("SCAN "))
                        .any(|what| !co_routines.contains(&what.trim()));
                    assert!(!table_scan, "{query}: a scan in\n{plan}");
                    assert!(plan.contains("USING INDEX") || plan.contains("USING INTEGER PRIMARY KEY"), "{query}:\n{plan}");
                }
                Backend::Postgres => {
                    assert!(!plan.contains("Seq Scan"), "{query}: a scan in\n{plan}");
                    assert!(plan.contains("Index"), "{query}:\n{plan}");
                }
            }
        }
    }
}
