//! Graceful shutdown: SIGTERM in the middle of a stream of complaint reports. Every report the
//! sender saw answered 201 or 200 is in the database; a sender sees an answer or a refused (or
//! closed) connection, never a success for a lost report; `serve` exits 0 within
//! MAILADMIN_SHUTDOWN_SECONDS.
use crate::helpers::*;
use mailadmin::services::access::{admins, api_tokens};
use sea_orm::{ConnectionTrait, Statement};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const SENDERS: usize = 6;

async fn reports_answered_before_sigterm_are_kept(backend: Backend) {
    let url = fresh_database_url(backend).await;
    let db = mailadmin::db::connect(&url).await.unwrap();
    mailadmin::db::migrate(&db).await.unwrap();
    seed_fixture(&db).await;
    let token = api_tokens::create(&db, &admins::system_actor("test"), "shutdown test").await.unwrap().1;

    let env = [("MAILADMIN_SHUTDOWN_SECONDS", "10"), ("RUST_LOG", "warn")];
    let (mut child, base) = spawn_serve(&url, &env, Stdio::null());
    let successes = Arc::new(AtomicUsize::new(0));
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            let (base, token, successes) = (base.clone(), token.clone(), successes.clone());
            tokio::spawn(async move {
                // A fresh connection per report, as feedback loops post: after the stop, new
                // connections are refused.
                let mut answered = Vec::new();
                let mut failures = 0;
                for n in 0.. {
                    let id = format!("r{s}-{n}@isp.example");
                    let sender = if s % 2 == 0 { "anna@alpha.example" } else { "someone@elsewhere.example" };
                    let report = arf_report(
                        sender,
                        "victim@isp.example",
                        &format!("m{s}-{n}@x.example"),
                        &id,
                        "abuse",
                    );
                    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
                    let sent = client
                        .post(format!("{base}/api/v1/complaints"))
                        .bearer_auth(&token)
                        .header("content-type", "message/rfc822")
                        .body(report)
                        .timeout(Duration::from_secs(20))
                        .send()
                        .await;
                    match sent {
                        Ok(response) => {
                            let status = response.status().as_u16();
                            let body = response.text().await.unwrap_or_default();
                            // 503 asks the sender to retry (a busy database): not an answer
                            // that the report is kept, so not counted.
                            assert!(matches!(status, 200 | 201 | 503), "report {id}: {status} {body}");
                            if status != 503 {
                                answered.push(id);
                                successes.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        Err(_) => {
                            failures += 1;
                            if failures >= 3 {
                                return answered;
                            }
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
                answered
            })
        })
        .collect();
    while successes.load(Ordering::SeqCst) < 60 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let signalled = Instant::now();
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap()).await.unwrap();
    let took = signalled.elapsed();
    assert!(status.success(), "serve exits 0 after SIGTERM: {status:?}");
    assert!(took < Duration::from_secs(12), "stopped within the budget: {took:?}");

    let mut answered = Vec::new();
    for sender in senders {
        answered.extend(sender.await.unwrap());
    }
    let stored: Vec<String> = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT report_message_id FROM complaint",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<Option<String>>("", "report_message_id").unwrap().unwrap_or_default())
        .collect();
    let lost: Vec<&String> =
        answered.iter().filter(|id| !stored.iter().any(|s| s.contains(id.as_str()))).collect();
    assert!(
        lost.is_empty(),
        "{} of {} answered reports are not stored: {lost:?}",
        lost.len(),
        answered.len()
    );
    assert!(answered.len() >= 60, "{} answered", answered.len());
    // Whole reports only: each stored complaint has its sample.
    let partial = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM complaint WHERE original IS NULL",
        ))
        .await
        .unwrap();
    assert!(partial.is_empty(), "complaints without their sample: {}", partial.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_keeps_every_answered_report_sqlite() {
    reports_answered_before_sigterm_are_kept(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_keeps_every_answered_report_postgres() {
    reports_answered_before_sigterm_are_kept(Backend::Postgres).await;
}
