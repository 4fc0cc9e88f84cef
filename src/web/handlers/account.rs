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
    let id = caller.actor.admin_id;
    match admins::set_password(caller.db(), &caller.actor, id, Secret::new(form.password)).await {
        Ok(()) => {
            caller.flash_success("Your password has been changed.");
            Ok(see_other(urls::home()))
        }
        Err(ServiceError::Invalid(errors)) => invalid(&PasswordPage { layout: caller.layout(), errors }),
        Err(other) => Err(other.into()),
    }
}
