//! Thin handlers: read the request, call a service, pick a page or a redirect.
//! Each page is a struct deriving `Template`, declared next to its handler.
pub mod account;
pub mod admins;
pub mod aliases;
pub mod api;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod companies;
pub mod complaints;
pub mod confirm;
pub mod contacts;
pub mod domains;
pub mod health;
pub mod home;
pub mod limits;
pub mod lookup;
pub mod mailboxes;
pub mod notices;
pub mod retention;
pub mod status;
pub mod tokens;

use super::WebError;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use askama::Template;

/// The answer to every successful change: see the result at `location`.
pub fn see_other(location: String) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((LOCATION, location)).finish()
}

pub fn html<T: Template>(status: StatusCode, page: &T) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(page.render()?))
}

/// A form shown again with its messages: 422, the input kept.
pub fn invalid<T: Template>(page: &T) -> Result<HttpResponse, WebError> {
    html(StatusCode::UNPROCESSABLE_ENTITY, page)
}

pub async fn not_found() -> Result<HttpResponse, WebError> {
    Err(WebError::NotFound)
}
