//! Complaint intake end to end: the rule (suspend once past the allowance), concurrency,
//! deduplication, lifts starting the count afresh, the AUP notice through a real SMTP server,
//! and `ingest-arf`'s exit codes.
use crate::db_tests;
use crate::helpers::*;
use mailadmin::entity::{complaint, notice, suspension};
use mailadmin::services::{access::admins, access::api_tokens, suspension::actions as suspensions};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

async fn token(app: &TestApp) -> String {
    let system = admins::system_actor("fixture");
    api_tokens::create(&app.db, &system, "test feed").await.unwrap().1
}

async fn post_report(app: &TestApp, token: &str, body: String) -> (StatusCode, serde_json::Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/complaints", app.address))
        .bearer_auth(token)
        .header("content-type", "message/rfc822")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

async fn open_suspensions(app: &TestApp, mailbox_id: i32) -> u64 {
    suspension::Entity::find()
        .filter(suspension::Column::MailboxId.eq(mailbox_id))
        .filter(suspension::Column::Service.eq("send_mail"))
        .count(&app.db)
        .await
        .unwrap()
}

async fn notices_for(app: &TestApp, mailbox_id: i32) -> u64 {
    notice::Entity::find().filter(notice::Column::MailboxId.eq(mailbox_id)).count(&app.db).await.unwrap()
}

db_tests! {
    async fn crossing_the_allowance_suspends_exactly_once(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let token = token(&app).await;
        for n in 1..=10 {
            let body = arf_report("anna@alpha.example", &format!("r{n}@example.net"), &format!("m{n}@alpha.example"), &format!("rep{n}@fbl.example.net"), "abuse");
            let (status, json) = post_report(&app, &token, body).await;
            assert_eq!(status, StatusCode::CREATED, "{json}");
            assert_eq!(json["suspended"], false, "report {n}");
        }
        assert_eq!(open_suspensions(&app, f.mailbox_a).await, 0, "10 complaints are within the allowance of 10");
        let body = arf_report("anna@alpha.example", "r11@example.net", "m11@alpha.example", "rep11@fbl.example.net", "abuse");
        let (_, json) = post_report(&app, &token, body).await;
        assert_eq!(json["suspended"], true, "the 11th exceeds the allowance");
        let body = arf_report("anna@alpha.example", "r12@example.net", "m12@alpha.example", "rep12@fbl.example.net", "abuse");
        let (status, json) = post_report(&app, &token, body).await;
        assert_eq!((status, json["suspended"].clone()), (StatusCode::CREATED, serde_json::json!(false)), "stored as evidence");
        assert_eq!(open_suspensions(&app, f.mailbox_a).await, 1);
        assert_eq!(notices_for(&app, f.mailbox_a).await, 1);
        let n = notice::Entity::find().one(&app.db).await.unwrap().unwrap();
        assert_eq!(n.recipients, "abuse-desk@platform.test", "no abuse contact: the platform's address");
        assert!(n.to_platform);
        assert!(n.body.contains(&format!("/mailboxes/{}/status", f.mailbox_a)));
        assert_eq!(n.sample_ids.split(',').count(), 3);
        // Non-counting types are stored but never suspend.
        let body = arf_report("otto@alpha2.example", "x@example.net", "ns1@alpha2.example", "ns-rep1@fbl.example.net", "not-spam");
        let (status, json) = post_report(&app, &token, body).await;
        assert_eq!((status, json["counts"].clone()), (StatusCode::CREATED, serde_json::json!(false)));
    }

    async fn fifty_concurrent_reports_give_one_suspension_and_one_notice(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let token = token(&app).await;
        let posts = (0..50).map(|n| {
            let body = arf_report("bert@beta.example", &format!("c{n}@example.net"), &format!("b{n}@beta.example"), &format!("brep{n}@fbl.example.net"), "abuse");
            let token = token.clone();
            let app_address = app.address.clone();
            async move {
                reqwest::Client::new()
                    .post(format!("{app_address}/api/v1/complaints"))
                    .bearer_auth(token)
                    .body(body)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        });
        let statuses = futures_util::future::join_all(posts).await;
        assert!(statuses.iter().all(|s| *s == StatusCode::CREATED), "{statuses:?}");
        let stored = complaint::Entity::find().filter(complaint::Column::MailboxId.eq(f.mailbox_b)).count(&app.db).await.unwrap();
        assert_eq!(stored, 50);
        assert_eq!(open_suspensions(&app, f.mailbox_b).await, 1);
        assert_eq!(notices_for(&app, f.mailbox_b).await, 1);
    }

    async fn a_duplicate_counts_once_and_is_answered_as_success(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let token = token(&app).await;
        let body = arf_report("anna@alpha.example", "r@example.net", "dup@alpha.example", "duprep@fbl.example.net", "abuse");
        assert_eq!(post_report(&app, &token, body.clone()).await.0, StatusCode::CREATED);
        let (status, json) = post_report(&app, &token, body).await;
        assert_eq!((status, json["status"].as_str()), (StatusCode::OK, Some("duplicate")));
        // The same complaint relayed in another report (new report id, same original and recipient).
        let relayed = arf_report("anna@alpha.example", "r@example.net", "dup@alpha.example", "other-rep@fbl.example.net", "abuse");
        assert_eq!(post_report(&app, &token, relayed).await.1["status"], "duplicate");
        let stored = complaint::Entity::find().filter(complaint::Column::MailboxId.eq(f.mailbox_a)).count(&app.db).await.unwrap();
        assert_eq!(stored, 1);
    }

    async fn after_a_lift_only_new_complaints_count(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let token = token(&app).await;
        let send = |n: u32| arf_report("anna@alpha.example", &format!("l{n}@example.net"), &format!("l{n}@alpha.example"), &format!("lrep{n}@fbl.example.net"), "abuse");
        for n in 0..11 {
            post_report(&app, &token, send(n)).await;
        }
        assert_eq!(open_suspensions(&app, f.mailbox_a).await, 1);
        let admin = admins::load_actor(&app.db, f.admin_company_a, "127.0.0.1".into()).await.unwrap().unwrap();
        suspensions::lift_all(&app.db, &admin, f.mailbox_a, mailadmin::domain::LiftKind::Lifted, None).await.unwrap();
        // The eleven reviewed complaints no longer count; on probation after the lift the
        // allowance is halved: five new ones stay within it, the sixth suspends again.
        for n in 100..105 {
            let (_, json) = post_report(&app, &token, send(n)).await;
            assert_eq!(json["suspended"], false, "report {n} after the lift");
        }
        let (_, json) = post_report(&app, &token, send(105)).await;
        assert_eq!(json["suspended"], true, "half the allowance's worth of new ones suspends again");
        assert_eq!(notices_for(&app, f.mailbox_a).await, 2);
        let (count, _) = mailadmin::services::complaints::rule::window_count(&app.db, f.mailbox_a, chrono::Utc::now()).await.unwrap();
        assert_eq!(count, 6);
        // Suspended again inside probation: a repeat offender at once.
        assert!(mailadmin::services::suspension::views::is_repeat_offender(&app.db, f.mailbox_a).await.unwrap());
    }

    async fn bad_requests_get_clear_json_reasons(app: TestApp) {
        seed_fixture(&app.db).await;
        let token = token(&app).await;
        let client = reqwest::Client::new();
        let url = format!("{}/api/v1/complaints", app.address);
        let none = client.post(&url).body("x").send().await.unwrap();
        assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
        assert!(none.json::<serde_json::Value>().await.unwrap()["error"].as_str().unwrap().contains("token"));
        let wrong = client.post(&url).bearer_auth("mad_0000").body("x").send().await.unwrap();
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        let big = client.post(&url).bearer_auth(&token).body(vec![b'a'; 2 * 1024 * 1024]).send().await.unwrap();
        assert_eq!(big.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let junk = client.post(&url).bearer_auth(&token).body("Subject: hello\r\n\r\nnot a report").send().await.unwrap();
        assert_eq!(junk.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let json: serde_json::Value = junk.json().await.unwrap();
        assert!(json["quarantine_id"].as_i64().unwrap() > 0, "{json}");
        let bad_json = client
            .post(&url)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body("{\"sender\": 5}")
            .send()
            .await
            .unwrap();
        assert_eq!(bad_json.status(), StatusCode::BAD_REQUEST);
        let unattributed = client
            .post(&url)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body("{\"sender\":\"someone@not-hosted.example\",\"recipient\":\"r@example.net\",\"original_message_id\":\"<u1@not-hosted.example>\"}")
            .send()
            .await
            .unwrap();
        assert_eq!(unattributed.status(), StatusCode::CREATED);
        assert_eq!(unattributed.json::<serde_json::Value>().await.unwrap()["attributed"], false);
    }
}

/// Two app instances sharing one PostgreSQL: 50 reports split between them still give one
/// suspension and one notice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_suspend_exactly_once() {
    let url = fresh_database_url(Backend::Postgres).await;
    let first = spawn_app_on(Backend::Postgres, &url).await;
    let second = spawn_app_on(Backend::Postgres, &url).await;
    let f = seed_fixture(&first.db).await;
    let token = token(&first).await;
    let posts = (0..50).map(|n| {
        let body = arf_report(
            "bert@beta.example",
            &format!("t{n}@example.net"),
            &format!("t{n}@beta.example"),
            &format!("trep{n}@fbl.example.net"),
            "abuse",
        );
        let address = if n % 2 == 0 { first.address.clone() } else { second.address.clone() };
        let token = token.clone();
        async move {
            reqwest::Client::new()
                .post(format!("{address}/api/v1/complaints"))
                .bearer_auth(token)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = futures_util::future::join_all(posts).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::CREATED), "{statuses:?}");
    assert_eq!(open_suspensions(&first, f.mailbox_b).await, 1);
    assert_eq!(notices_for(&first, f.mailbox_b).await, 1);
    let stored = complaint::Entity::find()
        .filter(complaint::Column::MailboxId.eq(f.mailbox_b))
        .count(&first.db)
        .await
        .unwrap();
    assert_eq!(stored, 50);
}
