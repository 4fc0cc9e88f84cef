//! The policy service and its database: no state yet (the fallback), a change committed late on
//! PostgreSQL, two app instances and two policy services on one PostgreSQL, and decisions going
//! on from the last state while the database is away.
use crate::helpers::{Backend, seed_fixture, switch_off};
use crate::policy::{Conn, DUNNO, FALLBACK, RECEIVE_REFUSED, SEND_REFUSED, rcpt, spawn_policy, until_answer};
use mailadmin::domain::Service;
use mailadmin::services::access::admins;
use std::time::{Duration, Instant};

/// Before its first load (here: a database without our tables), every answer is the fallback,
/// a temporary failure: nothing is accepted unchecked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_state_yet_the_answer_is_the_fallback() {
    let url = crate::helpers::fresh_database_url(Backend::Sqlite).await;
    let db = sea_orm::Database::connect(&url).await.unwrap();
    let policy = spawn_policy(&db, false).await;
    let mut conn = Conn::open(&policy.address).await;
    let request = rcpt("anna@alpha.example", "anna@alpha.example", "x@elsewhere.test", "127.0.0.1");
    assert_eq!(conn.ask(&request).await, FALLBACK);
    let deadline = Instant::now() + Duration::from_secs(5);
    while policy.state.freshness().database_error.is_none() {
        assert!(Instant::now() < deadline, "the failed load is not recorded");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!policy.state.is_loaded());
    assert_eq!(conn.ask(&request).await, FALLBACK, "still the fallback while the database fails");
    let status = reqwest::get(&policy.status).await.unwrap();
    assert_eq!(status.status(), 503);
    let body: serde_json::Value = status.json().await.unwrap();
    assert_eq!(body["status"], "loading");
    assert!(body["database_error"].as_str().unwrap().contains("policy_change"), "{body}");
}

/// PostgreSQL hands out change ids at insert, not at commit. A change whose transaction commits
/// after a later-numbered one — here, still open while the policy service loads everything —
/// must still reach the table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_committed_late_on_postgresql_is_not_missed() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let app = crate::helpers::spawn_app(Backend::Postgres).await;
    let f = seed_fixture(&app.db).await;
    let inbound = |to: &str| rcpt("", "someone@outside.test", to, "192.0.2.1");
    // A transaction switches anna's Receive Mail off and stays open…
    let late = app.db.begin().await.unwrap();
    late.execute_unprepared(&format!("UPDATE mailbox SET svc_receive_mail = 1 WHERE id = {}", f.mailbox_a))
        .await
        .unwrap();
    // …while a later change (a higher id) commits, and a policy service loads everything.
    switch_off(&app.db, f.mailbox_a2, &[Service::ReceiveMail]).await;
    let policy = spawn_policy(&app.db, true).await;
    let mut conn = Conn::open(&policy.address).await;
    assert_eq!(conn.ask(&inbound("otto@alpha2.example")).await, RECEIVE_REFUSED);
    assert_eq!(conn.ask(&inbound("anna@alpha.example")).await, DUNNO, "not committed yet");
    tokio::time::sleep(Duration::from_millis(700)).await;
    late.commit().await.unwrap();
    until_answer(&policy.address, &inbound("anna@alpha.example"), RECEIVE_REFUSED, Duration::from_secs(1))
        .await;
}

/// Two app instances and two policy services on one PostgreSQL: a lift through the second app
/// instance's Status form is seen by both policy services within a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_app_instances_and_two_policy_services_on_one_postgresql() {
    let url = crate::helpers::fresh_database_url(Backend::Postgres).await;
    let first_app = crate::helpers::spawn_app_on(Backend::Postgres, &url).await;
    let second_app = crate::helpers::spawn_app_on(Backend::Postgres, &url).await;
    let f = seed_fixture(&first_app.db).await;
    crate::helpers::suspend_send_mail(&first_app.db, f.mailbox_a).await;
    let (one, two) = (spawn_policy(&first_app.db, true).await, spawn_policy(&second_app.db, true).await);
    let anna = rcpt("anna@alpha.example", "anna@alpha.example", "x@elsewhere.test", "127.0.0.1");
    for policy in [&one, &two] {
        assert_eq!(Conn::open(&policy.address).await.ask(&anna).await, SEND_REFUSED);
    }
    let admin = second_app.signed_in("comp-a").await;
    let page = admin.post(&format!("/mailboxes/{}/status", f.mailbox_a), &[]).await;
    assert_eq!(page.status, reqwest::StatusCode::SEE_OTHER, "{}", page.body);
    let (a, b) = tokio::join!(
        until_answer(&one.address, &anna, DUNNO, Duration::from_secs(1)),
        until_answer(&two.address, &anna, DUNNO, Duration::from_secs(1)),
    );
    eprintln!("the lift through the second app instance was seen after {a:?} and {b:?}");
}

/// With the database gone after the first load, decisions go on from the last state and the
/// status page says `stale`; when it is back the service is current again and follows changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_database_away_decisions_go_on_from_the_last_state() {
    use sea_orm::ConnectionTrait;
    let url = crate::helpers::fresh_database_url(Backend::Postgres).await;
    let app = crate::helpers::spawn_app_on(Backend::Postgres, &url).await;
    let f = seed_fixture(&app.db).await;
    crate::helpers::suspend_send_mail(&app.db, f.mailbox_a).await;
    let policy = spawn_policy(&app.db, true).await;
    let anna = rcpt("anna@alpha.example", "anna@alpha.example", "x@elsewhere.test", "127.0.0.1");
    let mut conn = Conn::open(&policy.address).await;
    assert_eq!(conn.ask(&anna).await, SEND_REFUSED);

    // Nobody may connect to the test database, and every connection to it is cut.
    let name = url.rsplit('/').next().unwrap().to_owned();
    let admin_url = std::env::var("MAILADMIN_TEST_POSTGRES_URL").unwrap();
    let admin = sea_orm::Database::connect(&admin_url).await.unwrap();
    admin.execute_unprepared(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false")).await.unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status: serde_json::Value = reqwest::get(&policy.status).await.unwrap().json().await.unwrap();
        if status["status"] == "stale" {
            assert!(status["database_error"].is_string(), "{status}");
            break;
        }
        assert!(Instant::now() < deadline, "never stale: {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(conn.ask(&anna).await, SEND_REFUSED, "still decided from the last state");
    let otto = rcpt("otto@alpha2.example", "otto@alpha2.example", "x@elsewhere.test", "127.0.0.1");
    assert_eq!(conn.ask(&otto).await, DUNNO);

    // Back: current again, and following changes.
    admin.execute_unprepared(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true")).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let status: serde_json::Value = reqwest::get(&policy.status).await.unwrap().json().await.unwrap();
        if status["status"] == "current" {
            break;
        }
        assert!(Instant::now() < deadline, "never current again: {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let system = admins::system_actor("test");
    mailadmin::services::suspension::actions::lift_all(
        &app.db,
        &system,
        f.mailbox_a,
        mailadmin::domain::LiftKind::Lifted,
        None,
    )
    .await
    .unwrap();
    until_answer(&policy.address, &anna, DUNNO, Duration::from_secs(1)).await;
}
