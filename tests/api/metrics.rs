//! `/metrics`: scraped before and after a known sequence of requests, parsed as Prometheus
//! parses it (the `prometheus-parse` crate), and every counter moved by exactly that much. Not
//! served on the dashboard's own address.
use crate::db_tests;
use crate::helpers::*;
use mailadmin::services::access::{admins, api_tokens};
use sea_orm::{ConnectionTrait, Statement};

async fn scrape(app: &TestApp) -> prometheus_parse::Scrape {
    let response = reqwest::get(format!("{}/metrics", app.metrics_address)).await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let text = response.text().await.unwrap();
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("Prometheus text format")
}

/// The value of the sample `name` whose labels include `labels` (0 when absent).
fn value(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => *v,
            prometheus_parse::Value::Histogram(buckets) => buckets.last().map(|b| b.count).unwrap_or(0.0),
            prometheus_parse::Value::Summary(_) => 0.0,
        })
        .sum()
}

async fn suspensions(app: &TestApp) -> i64 {
    let sql = "SELECT COUNT(*) AS n FROM suspension";
    let row = app
        .db
        .query_one_raw(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

db_tests! {
    async fn metrics_count_exactly_what_happened(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let token = api_tokens::create(&app.db, &admins::system_actor("test"), "metrics").await.unwrap().1;
        let before = scrape(&app).await;
        let suspensions_before = suspensions(&app).await;

        for _ in 0..3 {
            assert!(reqwest::get(format!("{}/healthz", app.address)).await.unwrap().status().is_success());
        }
        let mut client = app.client();
        assert_eq!(client.sign_in("plat", "not-the-password").await.status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        client.sign_in("plat", FIXTURE_PASSWORD).await;
        let post = |body: String, token: String| {
            let url = format!("{}/api/v1/complaints", app.address);
            async move {
                reqwest::Client::new().post(url).bearer_auth(token).header("content-type", "message/rfc822").body(body).send().await.unwrap().status().as_u16()
            }
        };
        let report = arf_report("someone@elsewhere.example", "victim@isp.example", "m1@x.example", "r1@isp.example", "abuse");
        assert_eq!(post(report.clone(), token.clone()).await, 201);
        assert_eq!(post(report, token.clone()).await, 200);
        assert_eq!(post("Subject: hello\r\n\r\nnot a report".into(), token.clone()).await, 422);
        assert_eq!(post("x".into(), "mad_unknown".into()).await, 401);
        suspend_send_mail(&app.db, f.mailbox_a).await;
        let opened = (suspensions(&app).await - suspensions_before) as f64;

        let after = scrape(&app).await;
        let delta = |name: &str, labels: &[(&str, &str)]| value(&after, name, labels) - value(&before, name, labels);
        let health = [("route", "/healthz"), ("method", "GET"), ("status", "200")];
        assert_eq!(delta("mailadmin_http_requests_total", &health), 3.0);
        assert_eq!(delta("mailadmin_http_request_duration_seconds_count", &[("route", "/healthz")]), 3.0);
        assert_eq!(delta("mailadmin_sign_ins_total", &[("outcome", "failed")]), 1.0);
        assert_eq!(delta("mailadmin_sign_ins_total", &[("outcome", "ok")]), 1.0);
        assert_eq!(delta("mailadmin_complaints_total", &[("outcome", "stored")]), 1.0);
        assert_eq!(delta("mailadmin_complaints_total", &[("outcome", "duplicate")]), 1.0);
        assert_eq!(delta("mailadmin_complaints_total", &[("outcome", "quarantined")]), 1.0);
        assert_eq!(delta("mailadmin_complaints_total", &[("outcome", "refused"), ("reason", "unauthorized")]), 1.0);
        assert_eq!(delta("mailadmin_complaint_batch_size_count", &[]), 2.0, "the stored and the duplicate report went through the writer");
        assert!(opened >= 1.0);
        assert_eq!(delta("mailadmin_suspensions_opened_total", &[]), opened);
        assert!(value(&after, "mailadmin_process_resident_memory_bytes", &[]) > 1e6);
        assert!(value(&after, "mailadmin_process_uptime_seconds", &[]) > 0.0);
        assert!(value(&after, "mailadmin_database_connections", &[("state", "idle")]) + value(&after, "mailadmin_database_connections", &[("state", "in_use")]) >= 1.0);

        // Not on the dashboard's address.
        let public = reqwest::get(format!("{}/metrics", app.address)).await.unwrap();
        assert_eq!(public.status(), 404);
        assert!(!public.text().await.unwrap().contains("mailadmin_http_requests_total"));
    }
}
