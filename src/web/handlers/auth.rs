//! Sign-in and sign-out.
use super::{html, see_other};
use crate::services::{access::sessions, access::sign_in, common::ServiceError, common::passwords::Secret};
use crate::web::layout::{Layout, client_addr};
use crate::web::{AppState, WebError, session, urls};
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    layout: Layout,
    login: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
}

pub async fn login_form(session: Session, query: web::Query<LoginQuery>) -> Result<HttpResponse, WebError> {
    if session::admin_id(&session).is_some() {
        return Ok(see_other(urls::home()));
    }
    let page = LoginPage {
        layout: Layout::anonymous(&session),
        login: String::new(),
        next: query.into_inner().next,
        error: None,
    };
    html(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    let addr = client_addr(&req);
    let password = Secret::new(form.password);
    match sign_in::sign_in(&state.db, &state.throttle, &form.login, password, &addr).await {
        Ok(admin_id) => {
            let token = sessions::start(&state.db, admin_id).await?;
            session::sign_in(&session, admin_id, token);
            let next = if urls::is_local_path(&form.next) { form.next } else { urls::home() };
            Ok(see_other(next))
        }
        Err(error) => {
            let (status, message) = match error {
                ServiceError::Invalid(fields) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    fields.get("password").unwrap_or("Sign-in failed.").to_owned(),
                ),
                ServiceError::Throttled { retry_after_secs } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    format!(
                        "Too many failed sign-ins. Try again in {} minutes.",
                        retry_after_secs.div_ceil(60)
                    ),
                ),
                other => return Err(other.into()),
            };
            let page = LoginPage {
                layout: Layout::anonymous(&session),
                login: form.login,
                next: form.next,
                error: Some(message),
            };
            html(status, &page)
        }
    }
}

/// Ends this browser's session on the server too: a copy of the cookie no longer works.
pub async fn logout(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, WebError> {
    if let Some(token) = session::token(&session) {
        sessions::end(&state.db, &token).await?;
    }
    session::sign_out(&session);
    session::flash_success(&session, "You are signed out.");
    Ok(see_other(urls::login()))
}
