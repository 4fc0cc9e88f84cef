//! `/healthz`: 200 when the database answers, 503 when it does not. For load balancers.
use crate::web::AppState;
use actix_web::{HttpResponse, web};

pub async fn check(state: web::Data<AppState>) -> HttpResponse {
    match state.db.ping().await {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("ok\n"),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            HttpResponse::ServiceUnavailable().content_type("text/plain").body("database unreachable\n")
        }
    }
}
