//! `GET /healthz` of a policy service (`--status-bind`), for monitoring and load balancers: is
//! the table loaded, how many mailboxes, is it current or answering from an older state because
//! the database fails. 200 while it can decide from a table (`"current"` or `"stale"`), 503
//! before the first load (it answers the fallback action then).
use super::table::PolicyState;
use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::json;
use std::sync::Arc;

async fn healthz(state: web::Data<Arc<PolicyState>>) -> HttpResponse {
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
    });
    let mut response =
        if mailboxes.is_some() { HttpResponse::Ok() } else { HttpResponse::ServiceUnavailable() };
    response.content_type("application/json").body(body.to_string())
}

/// Serves the status page on `listener` until the returned server is stopped or dropped.
pub fn server(
    listener: std::net::TcpListener,
    state: Arc<PolicyState>,
) -> std::io::Result<actix_web::dev::Server> {
    let data = web::Data::new(state);
    Ok(HttpServer::new(move || App::new().app_data(data.clone()).route("/healthz", web::get().to(healthz)))
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run())
}
