//! Every error a page can end in, mapped to a status and a page in the one place below.
use crate::services::common::ServiceError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpResponse, ResponseError};
use askama::Template;

#[derive(Debug, Clone, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("sign-in required")]
    SignInRequired { next: String },
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("the form expired")]
    CsrfMismatch,
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<ServiceError> for WebError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::NotFound => WebError::NotFound,
            ServiceError::Forbidden => WebError::Forbidden,
            ServiceError::Conflict(message) => WebError::Conflict(message),
            // Handlers that own a form catch Invalid and re-render; reaching here means the
            // request was not made from our form.
            ServiceError::Invalid(fields) => {
                WebError::BadRequest(fields.iter().map(|(_, m)| m).collect::<Vec<_>>().join(" "))
            }
            ServiceError::Throttled { retry_after_secs } => WebError::BadRequest(format!(
                "Too many attempts. Try again in {} minutes.",
                retry_after_secs.div_ceil(60)
            )),
            ServiceError::Internal(message) => WebError::Internal(message),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(error: askama::Error) -> Self {
        WebError::Internal(format!("template: {error}"))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: super::layout::Layout,
    title: &'a str,
    message: String,
    reference: Option<String>,
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Forbidden | WebError::CsrfMismatch => StatusCode::FORBIDDEN,
            WebError::SignInRequired { .. } => StatusCode::SEE_OTHER,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let WebError::SignInRequired { next } = self {
            let location = super::urls::login_with_next(next);
            return HttpResponse::SeeOther().insert_header((LOCATION, location)).finish();
        }
        let reference = if let WebError::Internal(cause) = self {
            // The cause goes to the log once, under a reference the page shows: the request's
            // id, which every log line of the request carries.
            let reference =
                super::request_log::current_id().unwrap_or_else(|| format!("{:016x}", rand::random::<u64>()));
            tracing::error!(reference, cause, "internal error");
            Some(reference)
        } else {
            None
        };
        self.page(super::layout::Layout::bare(), reference)
    }
}

impl WebError {
    /// The error page in `layout`: bare here, where no request is at hand; the signed-in frame
    /// from [`framed`] when someone is signed in.
    pub fn page(&self, layout: super::layout::Layout, reference: Option<String>) -> HttpResponse {
        let (title, message) = match self {
            WebError::NotFound => ("Not found", "There is nothing here, or it is not yours to see.".into()),
            WebError::Forbidden => ("Not allowed", "Your role does not allow this.".into()),
            WebError::CsrfMismatch => (
                "Form expired",
                "The form was too old or came from elsewhere. Go back, reload the page and try again.".into(),
            ),
            WebError::BadRequest(m) => ("Bad request", m.clone()),
            WebError::Conflict(m) => ("Not possible", m.clone()),
            WebError::Internal(_) => ("Something went wrong", "The error has been logged.".into()),
            WebError::SignInRequired { .. } => ("Sign in", "Sign in to see this page.".into()),
        };
        let page = ErrorPage { layout, title, message, reference };
        let body = page.render().unwrap_or_else(|_| title.to_owned());
        HttpResponse::build(self.status_code()).content_type("text/html; charset=utf-8").body(body)
    }
}

/// Draws error pages again in the signed-in frame (navigation, sign-out) when someone is signed
/// in: `ResponseError` has no request, so [`WebError`]'s own page is bare. Server errors keep
/// their bare page (and the reference already logged): no extra work for a failing server.
pub async fn framed(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    let error = match res.response().error().and_then(|e| e.as_error::<WebError>()) {
        Some(error) if !matches!(error, WebError::Internal(_) | WebError::SignInRequired { .. }) => {
            error.clone()
        }
        _ => return Ok(res.map_into_left_body()),
    };
    let Ok(caller) = super::layout::Caller::extract(res.request()).await else {
        return Ok(res.map_into_left_body());
    };
    let (req, original) = res.into_parts();
    let mut framed = error.page(caller.error_layout(), None);
    for (name, value) in original.headers() {
        if name != actix_web::http::header::CONTENT_TYPE && name != actix_web::http::header::CONTENT_LENGTH {
            framed.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(req, framed).map_into_right_body())
}
