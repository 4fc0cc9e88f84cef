//! The JSON API: `POST /api/v1/complaints` takes a raw ARF report or a JSON complaint.
//! Authenticated by bearer tokens (no cookies, so no CSRF token); every refusal is a 4xx with a
//! JSON reason, and a report that cannot be read is kept in quarantine, never dropped.
use crate::domain::MailboxAddress;
use crate::enforcement::{self, MailboxPolicy};
use crate::intake::arf::{self, JsonComplaint};
use crate::services::complaints::intake::{self as complaints};
use crate::services::complaints::outcome::{Outcome, Source};
use crate::services::enforcement::snapshot;
use crate::services::limits::usage as limits_usage;
use crate::services::{access::api_tokens, common::ServiceError};
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde_json::{Value, json};

fn answer(status: StatusCode, body: Value) -> HttpResponse {
    HttpResponse::build(status).content_type("application/json").body(body.to_string())
}

fn refuse(status: StatusCode, reason: &str) -> HttpResponse {
    answer(status, json!({ "error": reason }))
}

fn internal(error: ServiceError) -> HttpResponse {
    let reference =
        crate::web::request_log::current_id().unwrap_or_else(|| format!("{:016x}", rand::random::<u64>()));
    tracing::error!(reference, cause = %error, "API request failed");
    refuse(
        StatusCode::SERVICE_UNAVAILABLE,
        &format!("temporary failure, retry later (reference {reference})"),
    )
}

/// Reads the body up to `limit` bytes; `None` when it is larger.
async fn read_limited(mut payload: web::Payload, limit: usize) -> Result<Option<Vec<u8>>, actix_web::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// Checks the bearer token; the refusal to answer with when it is missing, unknown or revoked.
async fn authenticate(req: &HttpRequest, state: &AppState) -> Result<(), HttpResponse> {
    let token = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(token) = token else {
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            "an API token is required: Authorization: Bearer <token>",
        ));
    };
    match api_tokens::authenticate(&state.db, &state.tokens, token).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(refuse(StatusCode::UNAUTHORIZED, "this API token is unknown or revoked")),
        Err(e) => Err(internal(e)),
    }
}

/// `GET /api/v1/mailboxes/{address}/send-permission`: may this mailbox send through webmail now?
/// The webmail asks before it submits, and shows `message` (the same generic words the mail
/// server uses) when not; `reason_code` is for its logs, never for the user.
pub async fn send_permission(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    if let Err(refusal) = authenticate(&req, &state).await {
        return refusal;
    }
    let address = path.into_inner().trim().to_ascii_lowercase();
    if MailboxAddress::parse(&address).is_err() {
        return refuse(StatusCode::BAD_REQUEST, "not a mailbox address");
    }
    let entry = match snapshot::mailbox_by_address(&state.db, &address).await {
        Ok(Some(entry)) => entry,
        Ok(None) => return refuse(StatusCode::NOT_FOUND, "no such mailbox"),
        Err(e) => return internal(e),
    };
    let mailbox = MailboxPolicy {
        mailbox_id: entry.mailbox_id,
        domain_id: entry.domain_id,
        company_id: entry.company_id,
        services: entry.services,
    };
    let body = match enforcement::send_permission(&mailbox, true) {
        // Allowed by its services; paused at a limit (when its company pauses senders)?
        Ok(()) => match limits_usage::pause_of(&state.db, mailbox.mailbox_id).await {
            Ok(Some(pause)) => json!({
                "allowed": false,
                "reason_code": format!("limit_{}", pause.kind.as_str()),
                "message": state.enforcement.limit_deferred_message,
                "retry_after": pause.until.map(|at| (at - chrono::Utc::now()).num_seconds().max(1)),
            }),
            Ok(None) => json!({ "allowed": true, "reason_code": null, "message": null, "retry_after": null }),
            Err(e) => return internal(e),
        },
        Err(refusal) => json!({
            "allowed": false,
            "reason_code": refusal.code(),
            "message": state.enforcement.send_refused_message,
            "retry_after": null,
        }),
    };
    answer(StatusCode::OK, body)
}

/// Counts one report taken in: stored, duplicate, quarantined, refused (with why) or failed.
fn count(outcome: &'static str, reason: &'static str) {
    metrics::counter!("mailadmin_complaints_total", "outcome" => outcome, "reason" => reason).increment(1);
}

pub async fn post_complaint(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    if let Err(refusal) = authenticate(&req, &state).await {
        count("refused", "unauthorized");
        return refusal;
    }
    let limit = state.intake.max_report_bytes;
    let body = match read_limited(payload, limit).await {
        Ok(Some(body)) => body,
        Ok(None) => {
            count("refused", "too_large");
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("the report is larger than {limit} bytes"),
            );
        }
        Err(_) => {
            count("refused", "unreadable");
            return refuse(StatusCode::BAD_REQUEST, "the request body could not be read");
        }
    };
    let is_json = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/json"));
    let report = if is_json {
        let parsed: Result<JsonComplaint, _> = serde_json::from_slice(&body);
        match parsed.map_err(|e| e.to_string()).and_then(JsonComplaint::into_report) {
            Ok(report) => report,
            Err(reason) => {
                count("refused", "bad_json");
                return refuse(StatusCode::BAD_REQUEST, &format!("bad JSON complaint: {reason}"));
            }
        }
    } else {
        match arf::parse(&body, limit) {
            Ok(report) => report,
            Err(error) => {
                let reason = error.to_string();
                return match complaints::quarantine(&state.db, &body, Source::Api, &reason).await {
                    Ok(id) => {
                        count("quarantined", "not_a_report");
                        answer(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            json!({ "error": format!("not a feedback report: {reason}"), "quarantine_id": id }),
                        )
                    }
                    Err(e) => internal(e),
                };
            }
        }
    };
    let counts = report.feedback_type.counts();
    match state.intake.writer.store(report, Source::Api).await {
        Ok(Outcome::Stored { complaint_id, mailbox_id, suspended }) => {
            count("stored", "");
            answer(
                StatusCode::CREATED,
                json!({
                    "status": "stored",
                    "complaint_id": complaint_id,
                    "attributed": mailbox_id.is_some(),
                    "counts": counts,
                    "suspended": suspended,
                }),
            )
        }
        Ok(Outcome::Duplicate { complaint_id }) => {
            count("duplicate", "");
            answer(StatusCode::OK, json!({ "status": "duplicate", "complaint_id": complaint_id }))
        }
        Err(e) => {
            count("failed", "database");
            internal(e)
        }
    }
}
