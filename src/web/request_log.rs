//! One log line per request, and its id on every line logged while it runs.
//!
//! Each request gets a random id; a tracing span (`request{id method route}`) wraps the whole
//! request, so every line its handler, services and queries log carries the id. When the
//! response is ready, one line says how it ended: method, route pattern (never the raw path:
//! ids and search words stay out of the log), status and duration. The 500 page shows the same
//! id as its reference, so a user's report leads to the lines of that request.
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use std::time::Instant;
use tracing::Instrument;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being served on this task, if any.
pub fn current_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Headers every response carries, the error answers made outside the page layer (a refused
/// CSRF token, an over-large form) included: so they are set here, at the outermost layer.
const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("content-security-policy", super::CONTENT_SECURITY_POLICY),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("cache-control", "no-store"),
];

pub async fn tag(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = format!("{:016x}", rand::random::<u64>());
    let started = Instant::now();
    let method = req.method().clone();
    let route = req.match_pattern().unwrap_or_else(|| "(none)".to_owned());
    let span = tracing::info_span!("request", id = %id, method = %method, route = %route);
    let result = REQUEST_ID.scope(id, next.call(req)).instrument(span.clone()).await;
    let millis = (started.elapsed().as_secs_f64() * 100_000.0).round() / 100.0;
    // The layers inside answer refusals as responses (see `csrf`), so errors are rare here.
    let mut res = match result {
        Ok(res) => res,
        Err(e) => {
            let status = e.as_response_error().status_code().as_u16();
            span.in_scope(|| tracing::warn!(status, duration_ms = millis, error = %e, "request failed"));
            return Err(e);
        }
    };
    for (name, value) in SECURITY_HEADERS {
        let name = HeaderName::from_static(name);
        if !res.headers().contains_key(&name) {
            res.headers_mut().insert(name, HeaderValue::from_static(value));
        }
    }
    let status = res.status().as_u16();
    // Status labels the counter only: the histogram keeps one series per route and method.
    let labels = [("route", route), ("method", method.to_string())];
    metrics::histogram!("mailadmin_http_request_duration_seconds", &labels).record(millis / 1000.0);
    let [route, method] = labels;
    metrics::counter!("mailadmin_http_requests_total", &[route, method, ("status", status.to_string())])
        .increment(1);
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, duration_ms = millis, "request done");
        } else {
            tracing::info!(status, duration_ms = millis, "request done");
        }
    });
    Ok(res)
}
