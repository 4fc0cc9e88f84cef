//! One middleware checks the CSRF token of every form POST, so no handler can forget it.
//! The token lives in the (encrypted, HttpOnly) session and in a hidden field of each form.
use super::WebError;
use super::session;
use actix_session::SessionExt;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web::Bytes;

pub const FIELD: &str = "csrf_token";

pub async fn verify(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // The JSON API authenticates with bearer tokens, not cookies, so it needs no CSRF token.
    if req.method() == Method::POST && !req.path().starts_with("/api/") {
        let expected = session::expected_csrf(&req.get_session());
        let body = req.extract::<Bytes>().await?;
        let submitted = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .ok()
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == FIELD).map(|(_, v)| v));
        let valid = matches!((&expected, &submitted), (Some(e), Some(s)) if constant_time_eq(e.as_bytes(), s.as_bytes()));
        if !valid {
            tracing::warn!(path = req.path(), "POST refused: CSRF token missing or wrong");
            return Err(WebError::CsrfMismatch.into());
        }
        req.set_payload(Payload::from(body));
    }
    next.call(req).await
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
