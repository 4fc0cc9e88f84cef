//! `GET /healthz` of a policy service (`--status-bind`), for monitoring and load balancers: is
//! the table loaded, how many mailboxes, is it current or answering from an older state because
//! the database fails. 200 while it can decide from a table (`"current"` or `"stale"`), 503
//! before the first load (it answers the fallback action then). `sending_counts` says whether
//! the last day's counts are loaded, how many instances share them, and for how many senders
//! this one holds counts.
use super::counters::SendingCounters;
use super::table::PolicyState;
use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::json;
use std::sync::Arc;

async fn healthz(
    state: web::Data<Arc<PolicyState>>,
    counters: web::Data<Arc<SendingCounters>>,
) -> HttpResponse {
    let freshness = state.freshness();
    let mailboxes = state.read(|t| t.mailbox_count());
    let status = match (&mailboxes, &freshness.database_error) {
        (None, _) => "loading",
        (Some(_), Some(_)) => "stale",
        (Some(_), None) => "current",
    };
    let current_at = freshness
        .current_at
        .map(|t| chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let body = json!({
        "status": status,
        "mailboxes": mailboxes,
        "current_at": current_at,
        "database_error": freshness.database_error,
        "sending_counts": {
            "loaded": counters.is_loaded(),
            "instances": counters.instances(),
            "senders": counters.mailboxes(),
        },
    });
    let mut response =
        if mailboxes.is_some() { HttpResponse::Ok() } else { HttpResponse::ServiceUnavailable() };
    response.content_type("application/json").body(body.to_string())
}

/// `GET /metrics`: the policy service's decisions by kind and their latency, with the process's
/// and the pool's gauges, in Prometheus's text format.
async fn metrics(db: web::Data<sea_orm::DatabaseConnection>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(crate::metrics::render(&db))
}

/// Serves the status page on `listener` until the returned server is stopped or dropped.
pub fn server(
    listener: std::net::TcpListener,
    state: Arc<PolicyState>,
    counters: Arc<SendingCounters>,
    db: sea_orm::DatabaseConnection,
) -> std::io::Result<actix_web::dev::Server> {
    let data = web::Data::new(state);
    let counters = web::Data::new(counters);
    let db = web::Data::new(db);
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(counters.clone())
            .app_data(db.clone())
            .route("/healthz", web::get().to(healthz))
            .route("/metrics", web::get().to(metrics))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run())
}
