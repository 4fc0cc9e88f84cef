//! Changing one's own password.
use super::{html, invalid, see_other};
use crate::services::{access::admins, common::FieldErrors, common::ServiceError, common::passwords::Secret};
use crate::web::layout::{Caller, Layout};
use crate::web::{WebError, urls};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "account/password.html")]
pub struct PasswordPage {
    layout: Layout,
    errors: FieldErrors,
}

pub async fn password_form(caller: Caller) -> Result<HttpResponse, WebError> {
    html(StatusCode::OK, &PasswordPage { layout: caller.layout(), errors: FieldErrors::default() })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn set_password(caller: Caller, form: web::Form<PasswordForm>) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    if form.password != form.confirm {
        let errors = FieldErrors::single("confirm", "The two passwords differ.");
        return invalid(&PasswordPage { layout: caller.layout(), errors });
    }
    let (current, new) = (Secret::new(form.current), Secret::new(form.password));
    match admins::change_own_password(caller.db(), &caller.actor, current, new).await {
        Ok(token) => {
            // Every other session of this admin has ended; this browser goes on in a new one.
            crate::web::session::replace_token(&caller.session, token);
            caller.flash_success(
                "Your password has been changed. Every other session of yours has been signed out.",
            );
            Ok(see_other(urls::home()))
        }
        Err(ServiceError::Invalid(errors)) => invalid(&PasswordPage { layout: caller.layout(), errors }),
        Err(other) => Err(other.into()),
    }
}
