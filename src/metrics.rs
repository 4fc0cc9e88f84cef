//! Metrics in Prometheus's text exposition format, through the `metrics` facade and
//! `metrics-exporter-prometheus` (no hand-formatted output). Code anywhere records with
//! `metrics::counter!` and friends — a no-op until [`install`] — and the metrics listener
//! (`MAILADMIN_METRICS_BIND`, see `web::metrics`) renders them.
//!
//! Names: `mailadmin_` + what is counted; `_total` for counters, `_seconds` and `_bytes` units.
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
static STARTED: OnceLock<Instant> = OnceLock::new();

/// Latency buckets from 1 ms to 10 s: a page takes a few ms, a policy answer well under one.
const SECONDS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
const BATCH_SIZES: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];

/// Installs the process-wide recorder (once; later calls return the same handle).
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        STARTED.get_or_init(Instant::now);
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Suffix("_batch_size".into()), BATCH_SIZES))
            .expect("valid buckets")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was installed already");
        }
        describe();
        handle
    })
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "mailadmin_http_requests_total",
        "HTTP requests answered, by route pattern, method and status"
    );
    describe_histogram!(
        "mailadmin_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer a request, by route pattern and method"
    );
    describe_counter!(
        "mailadmin_complaints_total",
        "Complaint reports taken in, by outcome (stored, duplicate, quarantined, refused) and reason"
    );
    describe_histogram!(
        "mailadmin_complaint_batch_size",
        "Reports stored in one transaction by the intake writer"
    );
    describe_counter!("mailadmin_suspensions_opened_total", "Services soft-suspended, by reason");
    describe_counter!("mailadmin_suspensions_lifted_total", "Suspended services lifted, by kind of lift");
    describe_counter!(
        "mailadmin_notices_total",
        "AUP and limit notices, by event (queued, sent, failed, retried)"
    );
    describe_gauge!(
        "mailadmin_notices_oldest_queued_age_seconds",
        Unit::Seconds,
        "Age of the oldest notice waiting to be sent (0: none)"
    );
    describe_counter!("mailadmin_sign_ins_total", "Sign-in attempts, by outcome (ok, failed, throttled)");
    describe_counter!("mailadmin_database_errors_total", "Database operations that failed");
    describe_gauge!("mailadmin_database_connections", "Database pool connections, by state (in_use, idle)");
    describe_gauge!(
        "mailadmin_process_resident_memory_bytes",
        Unit::Bytes,
        "Resident memory of this process"
    );
    describe_gauge!("mailadmin_process_uptime_seconds", Unit::Seconds, "Time since this process started");
    describe_counter!("mailadmin_policy_decisions_total", "Policy service answers, by kind");
    describe_histogram!(
        "mailadmin_policy_decision_duration_seconds",
        Unit::Seconds,
        "Time to answer a policy request"
    );
}

/// The text a scrape gets, after setting the gauges read at scrape time.
pub fn render(pool: &sea_orm::DatabaseConnection) -> String {
    let handle = install();
    if let Some((in_use, idle)) = pool_state(pool) {
        metrics::gauge!("mailadmin_database_connections", "state" => "in_use").set(in_use as f64);
        metrics::gauge!("mailadmin_database_connections", "state" => "idle").set(idle as f64);
    }
    if let Some(rss) = resident_bytes() {
        metrics::gauge!("mailadmin_process_resident_memory_bytes").set(rss as f64);
    }
    let started = STARTED.get_or_init(Instant::now);
    metrics::gauge!("mailadmin_process_uptime_seconds").set(started.elapsed().as_secs_f64());
    handle.render()
}

fn pool_state(db: &sea_orm::DatabaseConnection) -> Option<(u32, u32)> {
    let (size, idle) = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle() as u32)
        }
        sea_orm::DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle() as u32)
        }
        _ => return None,
    };
    Some((size.saturating_sub(idle), idle))
}

/// From /proc/self/statm: resident pages × page size (Linux).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * page.max(4096) as u64)
}
