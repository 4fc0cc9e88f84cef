//! Outbound limits at the policy service: counting at RCPT, what each breach action does, the
//! counts surviving a restart and shared by two instances, probation after a lift.
use crate::db_tests;
use crate::helpers::{seed_fixture, set_company_limits};
use crate::policy::{Conn, DUNNO, SEND_REFUSED, rcpt, spawn_policy};
use mailadmin::enforcement::limits::BreachAction;
use mailadmin::entity::{mailbox, notice};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use std::time::{Duration, Instant};

pub const DEFERRED: &str = "action=452 4.7.1 Too many recipients, try again later\n\n";

fn external(n: usize) -> String {
    rcpt("otto@alpha2.example", "otto@alpha2.example", &format!("r{n}@elsewhere.test"), "127.0.0.1")
}

fn internal() -> String {
    rcpt("otto@alpha2.example", "otto@alpha2.example", "anna@alpha.example", "127.0.0.1")
}

/// Recipients stored in `sending_count` for a mailbox: (external, internal).
async fn stored(db: &DatabaseConnection, mailbox_id: i32) -> (i64, i64) {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT CAST(COALESCE(SUM(external), 0) AS BIGINT) AS e, CAST(COALESCE(SUM(internal), 0) AS BIGINT) AS i \
                 FROM sending_count WHERE mailbox_id = {mailbox_id}"
            ),
        ))
        .await
        .unwrap()
        .unwrap();
    (row.try_get("", "e").unwrap(), row.try_get("", "i").unwrap())
}

async fn notices_of(db: &DatabaseConnection, mailbox_id: i32, kind: &str) -> Vec<notice::Model> {
    notice::Entity::find()
        .filter(notice::Column::MailboxId.eq(mailbox_id))
        .filter(notice::Column::Kind.eq(kind))
        .all(db)
        .await
        .unwrap()
}

/// Waits until `check` holds (the flusher acts within about a second).
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(Instant::now() < deadline, "not within 10 s: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

db_tests! {
    async fn an_hourly_external_limit_pauses_external_recipients_while_internal_mail_flows(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        set_company_limits(&app.db, f.company_a, None, Some(5), None, BreachAction::Defer).await;
        let policy = spawn_policy(&app.db, true).await;
        let mut conn = Conn::open(&policy.address).await;
        for n in 0..5 {
            assert_eq!(conn.ask(&external(n)).await, DUNNO, "external recipient {n}");
        }
        assert_eq!(conn.ask(&external(5)).await, DEFERRED);
        assert_eq!(conn.ask(&external(6)).await, DEFERRED);
        // Internal mail (a hosted domain) is not held back by the external limit.
        assert_eq!(conn.ask(&internal()).await, DUNNO);
        // Another company's sender is not affected.
        let bert = rcpt("bert@beta.example", "bert@beta.example", "x@elsewhere.test", "127.0.0.1");
        assert_eq!(conn.ask(&bert).await, DUNNO);
        // Only recipients let through are counted, and they reach the database.
        eventually("counts written", || async { stored(&app.db, f.mailbox_a2).await == (5, 1) }).await;
        // The company's abuse contacts are alerted once, however many recipients were paused.
        eventually("one alert", || async { notices_of(&app.db, f.mailbox_a2, "limit").await.len() == 1 }).await;
        assert_eq!(conn.ask(&external(7)).await, DEFERRED);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let alerts = notices_of(&app.db, f.mailbox_a2, "limit").await;
        assert_eq!(alerts.len(), 1);
        assert!(alerts[0].body.contains("hourly external limit of 5"), "{}", alerts[0].body);
        // Nothing was suspended.
        let otto = mailbox::Entity::find_by_id(f.mailbox_a2).one(&app.db).await.unwrap().unwrap();
        assert_eq!(otto.svc_send_mail, 0, "Send Mail still enabled");
    }

    async fn a_limit_changed_in_the_dashboard_applies_within_a_second_and_webmail_hears_when_to_retry(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let policy = spawn_policy(&app.db, true).await;
        let mut conn = Conn::open(&policy.address).await;
        for n in 0..3 {
            assert_eq!(conn.ask(&external(n)).await, DUNNO);
        }
        // The platform lowers company A's hourly external limit to 3 through the form.
        let plat = app.signed_in("plat").await;
        let saved = plat
            .post(&format!("/companies/{}/limits", f.company_a), &[("limit_external_hourly", "3"), ("breach", "defer")])
            .await;
        assert_eq!(saved.status, reqwest::StatusCode::SEE_OTHER, "{}", saved.body);
        let took = crate::policy::until_answer(&policy.address, &external(99), DEFERRED, Duration::from_secs(1)).await;
        eprintln!("limit change seen by the policy service in {took:?}");
        // The webmail asks before it submits: not now, and when to try again.
        let token = mailadmin::services::access::api_tokens::create(
            &app.db,
            &mailadmin::services::access::admins::system_actor("test"),
            "webmail",
        )
        .await
        .unwrap()
        .1;
        eventually("the counts shared", || async { stored(&app.db, f.mailbox_a2).await.0 >= 3 }).await;
        let body: serde_json::Value = reqwest::Client::new()
            .get(format!("{}/api/v1/mailboxes/otto@alpha2.example/send-permission", app.address))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["allowed"], false, "{body}");
        assert_eq!(body["reason_code"], "limit_external_hourly");
        assert_eq!(body["message"], "Too many recipients, try again later");
        let retry = body["retry_after"].as_i64().expect("retry_after in seconds");
        assert!((1..=3600).contains(&retry), "{body}");
        // The policy service's status says how its counts stand.
        let status: serde_json::Value = reqwest::get(&policy.status).await.unwrap().json().await.unwrap();
        assert_eq!(status["sending_counts"]["loaded"], true, "{status}");
        assert_eq!(status["sending_counts"]["instances"], 1, "{status}");
    }

    async fn the_suspend_action_suspends_once_with_an_aup_notice(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        set_company_limits(&app.db, f.company_a, Some(3), None, None, BreachAction::Suspend).await;
        let policy = spawn_policy(&app.db, true).await;
        let mut conn = Conn::open(&policy.address).await;
        for n in 0..3 {
            assert_eq!(conn.ask(&external(n)).await, DUNNO);
        }
        // The fourth recipient passes the daily limit: refused with the generic words at once.
        assert_eq!(conn.ask(&external(3)).await, SEND_REFUSED);
        eventually("Send Mail soft-suspended", || async {
            let m = mailbox::Entity::find_by_id(f.mailbox_a2).one(&app.db).await.unwrap().unwrap();
            m.svc_send_mail == mailadmin::domain::ServiceState::Suspended.code()
        })
        .await;
        assert_eq!(conn.ask(&internal()).await, SEND_REFUSED, "suspended: nothing is sent");
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let aup = notices_of(&app.db, f.mailbox_a2, "aup").await;
        assert_eq!(aup.len(), 1, "exactly one AUP notice");
        assert!(aup[0].body.contains("recipients per 24 hours of 3"), "{}", aup[0].body);
        let history = mailadmin::entity::suspension::Entity::find()
            .filter(mailadmin::entity::suspension::Column::MailboxId.eq(f.mailbox_a2))
            .filter(mailadmin::entity::suspension::Column::Service.eq("send_mail"))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].reason, "rate_limit");
        // Lifted at once, inside the same 5-minute bucket: counting restarts at the lift, so
        // the burst that suspended it does not suspend it again.
        let system = mailadmin::services::access::admins::system_actor("test");
        mailadmin::services::suspension::actions::lift(
            &app.db,
            &system,
            f.mailbox_a2,
            &[mailadmin::domain::Service::SendMail],
            mailadmin::domain::LiftKind::Lifted,
            None,
        )
        .await
        .expect("lift");
        crate::policy::until_answer(&policy.address, &external(10), DUNNO, Duration::from_secs(1)).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let m = mailbox::Entity::find_by_id(f.mailbox_a2).one(&app.db).await.unwrap().unwrap();
        assert_eq!(m.svc_send_mail, 0, "not suspended again by the counts from before the lift");
    }

    async fn counts_survive_a_restart(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        set_company_limits(&app.db, f.company_a, None, Some(4), None, BreachAction::Defer).await;
        let policy = spawn_policy(&app.db, true).await;
        let mut conn = Conn::open(&policy.address).await;
        for n in 0..3 {
            assert_eq!(conn.ask(&external(n)).await, DUNNO);
        }
        drop(conn);
        // Stopped as by SIGTERM: the last counts are written on the way out.
        policy.shutdown().await;
        assert_eq!(stored(&app.db, f.mailbox_a2).await, (3, 0));
        let policy = spawn_policy(&app.db, true).await;
        let mut conn = Conn::open(&policy.address).await;
        assert_eq!(conn.ask(&external(3)).await, DUNNO, "the fourth of four");
        assert_eq!(conn.ask(&external(4)).await, DEFERRED, "the fifth: the three before the restart count");
    }

    async fn probation_after_a_lift_halves_the_external_limit_and_a_second_suspension_marks_a_repeat_offender(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        set_company_limits(&app.db, f.company_a, None, Some(10), None, BreachAction::Defer).await;
        crate::helpers::suspend_send_mail(&app.db, f.mailbox_a2).await;
        let system = mailadmin::services::access::admins::system_actor("test");
        mailadmin::services::suspension::actions::lift(
            &app.db,
            &system,
            f.mailbox_a2,
            &[mailadmin::domain::Service::SendMail],
            mailadmin::domain::LiftKind::Lifted,
            None,
        )
        .await
        .expect("lift");
        let otto = mailbox::Entity::find_by_id(f.mailbox_a2).one(&app.db).await.unwrap().unwrap();
        assert!(otto.send_lifted_at.is_some(), "the lift is remembered");
        let page = app.signed_in("comp-a").await.get(&format!("/mailboxes/{}/status", f.mailbox_a2)).await;
        assert!(page.text("#probation").starts_with("On probation until 20"), "{}", page.text("#probation"));
        assert_eq!(page.texts("#sending-external-hour td")[2], "5", "the hourly external limit halved: 10 / 2");
        let policy = spawn_policy(&app.db, true).await;
        let mut conn = Conn::open(&policy.address).await;
        for n in 0..5 {
            assert_eq!(conn.ask(&external(n)).await, DUNNO);
        }
        assert_eq!(conn.ask(&external(5)).await, DEFERRED, "on probation: 10 / 2 external recipients an hour");
        // Suspended again inside probation: a repeat offender at once.
        assert!(!mailadmin::services::suspension::views::is_repeat_offender(&app.db, f.mailbox_a2).await.unwrap());
        crate::helpers::suspend_send_mail(&app.db, f.mailbox_a2).await;
        assert!(mailadmin::services::suspension::views::is_repeat_offender(&app.db, f.mailbox_a2).await.unwrap());
    }
}

/// Two policy instances on one PostgreSQL count one sender's recipients together: the total
/// let through stays within the limit plus the stated overshoot, max(1 % of the limit, 10).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_the_counts_within_the_stated_overshoot() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Postgres).await;
    let f = seed_fixture(&app.db).await;
    let limit = 200u32;
    set_company_limits(&app.db, f.company_a, None, Some(limit), None, BreachAction::Defer).await;
    let first = spawn_policy(&app.db, true).await;
    let second = spawn_policy(&app.db, true).await;
    // Both know of each other before the burst (heartbeats every 5 s).
    tokio::time::sleep(Duration::from_millis(5500)).await;
    let mut tasks = Vec::new();
    for c in 0..8 {
        let address = if c % 2 == 0 { first.address.clone() } else { second.address.clone() };
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(&address).await;
            let mut through = 0u32;
            for n in 0..60 {
                if conn.ask(&external(c * 1000 + n)).await == DUNNO {
                    through += 1;
                }
            }
            through
        }));
    }
    let mut through = 0;
    for t in tasks {
        through += t.await.unwrap();
    }
    let overshoot = (limit / 100).max(10);
    assert!(through >= limit, "{through} let through: fewer than the limit of {limit}");
    assert!(through <= limit + overshoot, "{through} let through: more than {limit} + {overshoot}");
    eventually("both instances' counts written", || async {
        stored(&app.db, f.mailbox_a2).await.0 == through as i64
    })
    .await;
}
