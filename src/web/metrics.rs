//! The metrics listener: `GET /metrics` in Prometheus's text format, on its own address
//! (`MAILADMIN_METRICS_BIND`), never on the dashboard's. Why a listener and not a token: the
//! dashboard sits behind the public TLS proxy, Prometheus scrapes from inside the network; a
//! separate loopback or private address keeps the figures off the public path with no secret
//! to hand out, rotate or leak into a scrape config.
use actix_web::{App, HttpResponse, HttpServer, web};
use sea_orm::DatabaseConnection;
use std::net::TcpListener;

pub fn server(listener: TcpListener, db: DatabaseConnection) -> std::io::Result<actix_web::dev::Server> {
    let db = web::Data::new(db);
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(db.clone())
            .route("/metrics", web::get().to(scrape))
            .default_service(web::to(|| async { HttpResponse::NotFound().body("only /metrics here\n") }))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)?
    .run())
}

async fn scrape(db: web::Data<DatabaseConnection>) -> HttpResponse {
    // Read at scrape time: how long the oldest notice has been waiting.
    match crate::services::notices::outbox::oldest_queued_age(&db).await {
        Ok(age) => metrics::gauge!("mailadmin_notices_oldest_queued_age_seconds").set(age.unwrap_or(0.0)),
        Err(e) => tracing::warn!(error = %e, "metrics: the outbox is not readable"),
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(crate::metrics::render(&db))
}
