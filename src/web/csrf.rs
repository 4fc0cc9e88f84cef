//! One middleware checks the CSRF token of every form POST, so no handler can forget it.
//! The token lives in the (encrypted, HttpOnly) session and in a hidden field of each form.
use super::WebError;
use super::session;
use actix_session::SessionExt;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web::Bytes;

pub const FIELD: &str = "csrf_token";

/// A refusal is answered here as a response (not an error), so the outer layers see it like any
/// other answer: logged with the request's id and given the security headers.
pub async fn verify(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    // The JSON API authenticates with bearer tokens, not cookies, so it needs no CSRF token.
    if req.method() == Method::POST && !req.path().starts_with("/api/") {
        let expected = session::expected_csrf(&req.get_session());
        let body = match req.extract::<Bytes>().await {
            Ok(body) => body,
            // Too large, or not readable: 413 / 400 as the payload config says.
            Err(e) => return Ok(req.error_response(e).map_into_right_body()),
        };
        let submitted = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .ok()
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == FIELD).map(|(_, v)| v));
        let valid = matches!((&expected, &submitted), (Some(e), Some(s)) if constant_time_eq(e.as_bytes(), s.as_bytes()));
        if !valid {
            tracing::warn!(path = req.path(), "POST refused: CSRF token missing or wrong");
            return Ok(req.error_response(WebError::CsrfMismatch).map_into_right_body());
        }
        req.set_payload(Payload::from(body));
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
