//! Every error a page can end in, mapped to a status and a page in the one place below.
use crate::services::ServiceError;
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

#[derive(Debug, thiserror::Error)]
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
        let (title, message, reference) = match self {
            WebError::NotFound => {
                ("Not found", "There is nothing here, or it is not yours to see.".into(), None)
            }
            WebError::Forbidden => ("Not allowed", "Your role does not allow this.".into(), None),
            WebError::CsrfMismatch => (
                "Form expired",
                "The form was too old or came from elsewhere. Go back, reload the page and try again.".into(),
                None,
            ),
            WebError::BadRequest(m) => ("Bad request", m.clone(), None),
            WebError::Conflict(m) => ("Not possible", m.clone(), None),
            WebError::Internal(cause) => {
                // The cause goes to the log once, under a reference the page shows.
                let reference = format!("{:08x}", rand::random::<u32>());
                tracing::error!(reference, cause, "internal error");
                ("Something went wrong", "The error has been logged.".into(), Some(reference))
            }
            WebError::SignInRequired { .. } => unreachable!("handled above"),
        };
        let page = ErrorPage { layout: super::layout::Layout::bare(), title, message, reference };
        let body = page.render().unwrap_or_else(|_| title.to_owned());
        HttpResponse::build(self.status_code()).content_type("text/html; charset=utf-8").body(body)
    }
}
