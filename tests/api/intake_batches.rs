//! The batched write path of the intake (group commit): a batch gives each report the outcome
//! it would have had alone, in arrival order, and the API keeps nothing from the sender when
//! the database is away (503 with a reason, so the feedback loop retries).
use crate::db_tests;
use crate::helpers::*;
use mailadmin::entity::{company, complaint, notice, suspension};
use mailadmin::intake::arf::{self, FeedbackReport};
use mailadmin::services::complaints::batch::{self as complaint_batch, Incoming};
use mailadmin::services::complaints::intake::{self as complaints};
use mailadmin::services::complaints::outcome::{Outcome, Source};
use mailadmin::services::notices::outbox::NoticeSettings;
use mailadmin::services::{access::admins, access::api_tokens};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, Database, EntityTrait, PaginatorTrait, QueryFilter};

fn settings() -> NoticeSettings {
    NoticeSettings {
        platform_address: "abuse-desk@platform.test".into(),
        public_url: "http://localhost/".into(),
    }
}

fn report(sender: &str, n: &str, report_id: &str, feedback_type: &str) -> FeedbackReport {
    let raw = arf_report(
        sender,
        &format!("r{n}@example.net"),
        &format!("m{n}@x.example"),
        report_id,
        feedback_type,
    );
    arf::parse(raw.as_bytes(), 1024 * 1024).expect("a valid report")
}

fn stored(outcome: &Outcome) -> (i32, Option<i32>, bool) {
    match outcome {
        Outcome::Stored { complaint_id, mailbox_id, suspended } => (*complaint_id, *mailbox_id, *suspended),
        other => panic!("expected Stored, got {other:?}"),
    }
}

db_tests! {
    async fn a_batch_gives_each_report_the_outcome_it_would_have_had_alone(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        company::Entity::update_many()
            .col_expr(company::Column::ComplaintAllowance, Expr::value(3))
            .filter(company::Column::Id.eq(f.company_a))
            .exec(&app.db)
            .await
            .unwrap();
        let anna = "anna@alpha.example";
        let first = complaints::store(&app.db, &settings(), &report(anna, "1", "rep1@fbl", "abuse"), Source::Api).await.unwrap();
        let (first_id, _, _) = stored(&first);
        complaints::store(&app.db, &settings(), &report(anna, "2", "rep2@fbl", "abuse"), Source::Api).await.unwrap();

        // Two counted complaints stand; the allowance is 3: the 4th counted one suspends.
        let reports = [
            report(anna, "3", "rep3@fbl", "abuse"),              // 3rd: within the allowance
            report(anna, "1", "rep1@fbl", "abuse"),              // the first again: a duplicate
            report(anna, "5", "rep5@fbl", "not-spam"),           // stored, does not count
            report("nobody@elsewhere.example", "6", "rep6@fbl", "abuse"), // not hosted
            report(anna, "7", "rep7@fbl", "abuse"),              // 4th: crosses the allowance
            report(anna, "7", "rep7-again@fbl", "abuse"),        // same original and recipient
            report(anna, "8", "rep8@fbl", "fraud"),              // 5th: evidence while suspended
        ];
        let batch: Vec<Incoming<'_>> = reports.iter().map(|report| Incoming { report, source: Source::Api }).collect();
        let outcomes = complaint_batch::store_batch(&app.db, &settings(), &batch).await.unwrap();

        assert_eq!(outcomes.len(), 7);
        assert_eq!(stored(&outcomes[0]).1, Some(f.mailbox_a));
        assert!(!stored(&outcomes[0]).2, "the 3rd complaint is within the allowance");
        assert_eq!(outcomes[1], Outcome::Duplicate { complaint_id: first_id });
        assert!(!stored(&outcomes[2]).2, "not-spam never suspends");
        assert_eq!(stored(&outcomes[3]).1, None, "unattributed, kept");
        let (crossing_id, _, crossing_suspended) = stored(&outcomes[4]);
        assert!(crossing_suspended, "the report that took the count past the allowance suspended");
        assert_eq!(outcomes[5], Outcome::Duplicate { complaint_id: crossing_id });
        assert!(!stored(&outcomes[6]).2, "stored as evidence, no second suspension");

        let open = suspension::Entity::find()
            .filter(suspension::Column::MailboxId.eq(f.mailbox_a))
            .filter(suspension::Column::Service.eq("send_mail"))
            .filter(suspension::Column::EndedAt.is_null())
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(open.len(), 1, "one suspension");
        assert!(open[0].evidence.starts_with("5 spam complaints"), "evidence counts the whole window: {}", open[0].evidence);
        let notices = notice::Entity::find().filter(notice::Column::MailboxId.eq(f.mailbox_a)).count(&app.db).await.unwrap();
        assert_eq!(notices, 1, "one AUP notice");
        assert_eq!(complaint::Entity::find().count(&app.db).await.unwrap(), 7, "2 before, 5 distinct in the batch");
    }

    async fn a_report_carrying_nul_characters_is_stored_on_both_databases(app: TestApp) {
        seed_fixture(&app.db).await;
        // PostgreSQL's text refuses NUL; a feedback loop may still send one.
        let raw = arf_report("anna@alpha.example", "r1@example.net", "m1@x.example", "rep1@fbl", "abuse")
            .replace("Subject: Earn money fast", "Subject: Earn\0money")
            .replace("Buy now! Limited offer.", "Buy\0now!");
        let parsed = arf::parse(raw.as_bytes(), 1024 * 1024).expect("a valid report");
        let first = complaints::store(&app.db, &settings(), &parsed, Source::Api).await.expect("stored");
        let (id, _, _) = stored(&first);
        let again = complaints::store(&app.db, &settings(), &parsed, Source::Api).await.expect("answered");
        assert_eq!(again, Outcome::Duplicate { complaint_id: id });
        let row = complaint::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap();
        assert!(row.original.unwrap().contains("Buy\u{FFFD}now!"));
        let quarantined = complaints::quarantine(&app.db, b"not\0a report", Source::Api, "test").await;
        assert!(quarantined.is_ok(), "kept in quarantine: {quarantined:?}");
    }

    async fn a_batch_counts_only_complaints_since_the_last_lift(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        company::Entity::update_many()
            .col_expr(company::Column::ComplaintAllowance, Expr::value(1))
            // Probation would halve the allowance after the lift: this test is about the window.
            .col_expr(company::Column::Probation, Expr::value(false))
            .filter(company::Column::Id.eq(f.company_a))
            .exec(&app.db)
            .await
            .unwrap();
        let anna = "anna@alpha.example";
        for n in 1..=2 {
            complaints::store(&app.db, &settings(), &report(anna, &n.to_string(), &format!("rep{n}@fbl"), "abuse"), Source::Api)
                .await
                .unwrap();
        }
        let platform = actor(&app.db, f.admin_platform).await;
        mailadmin::services::suspension::actions::lift(
            &app.db, &platform, f.mailbox_a, &[mailadmin::domain::Service::SendMail],
            mailadmin::domain::LiftKind::Lifted, None,
        )
        .await
        .unwrap();

        let one = [report(anna, "3", "rep3@fbl", "abuse")];
        let batch: Vec<Incoming<'_>> = one.iter().map(|report| Incoming { report, source: Source::Api }).collect();
        let outcomes = complaint_batch::store_batch(&app.db, &settings(), &batch).await.unwrap();
        assert!(!stored(&outcomes[0]).2, "one new complaint since the lift is within the allowance of 1");
        let two = [report(anna, "4", "rep4@fbl", "abuse")];
        let batch: Vec<Incoming<'_>> = two.iter().map(|report| Incoming { report, source: Source::Api }).collect();
        let outcomes = complaint_batch::store_batch(&app.db, &settings(), &batch).await.unwrap();
        assert!(stored(&outcomes[0]).2, "the second one since the lift suspends again");
    }
}

/// PostgreSQL refuses connections to the database for a moment: the API answers 503 with a
/// reason (the sender keeps the report and retries), and the same report stores afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_answers_503_while_the_database_is_away_and_stores_the_retry_postgres() {
    let url = fresh_database_url(Backend::Postgres).await;
    let name = url.rsplit('/').next().unwrap().to_owned();
    let app = spawn_app_on(Backend::Postgres, &url).await;
    seed_fixture(&app.db).await;
    let token = api_tokens::create(&app.db, &admins::system_actor("fixture"), "feed").await.unwrap().1;
    let post = |body: String| {
        let request = reqwest::Client::new()
            .post(format!("{}/api/v1/complaints", app.address))
            .bearer_auth(&token)
            .header("content-type", "message/rfc822")
            .body(body);
        async move {
            let response = request.send().await.unwrap();
            (response.status(), response.json::<serde_json::Value>().await.unwrap_or_default())
        }
    };
    let body = |n: u32| {
        arf_report(
            "anna@alpha.example",
            &format!("r{n}@example.net"),
            &format!("m{n}@a"),
            &format!("rep{n}@fbl"),
            "abuse",
        )
    };
    assert_eq!(post(body(1)).await.0, StatusCode::CREATED);

    let admin = Database::connect(std::env::var("MAILADMIN_TEST_POSTGRES_URL").unwrap()).await.unwrap();
    admin.execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).await.unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .await
        .unwrap();
    let (status, answer) = post(body(2)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    assert!(answer["error"].as_str().unwrap_or_default().contains("retry later"), "{answer}");

    admin.execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).await.unwrap();
    let (status, answer) = post(body(2)).await;
    assert_eq!(status, StatusCode::CREATED, "the retry stores: {answer}");
    assert_eq!(complaint::Entity::find().count(&app.db).await.unwrap(), 2);
}
