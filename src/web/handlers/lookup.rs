//! The support look-up: type part of an address, see each match with its company, domain and status.
use super::{html, invalid};
use crate::services::ServiceError;
use crate::services::lookup::{self, LookupResult};
use crate::web::WebError;
use crate::web::layout::{Caller, Layout};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct LookupQuery {
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "lookup.html")]
pub struct LookupPage {
    layout: Layout,
    q: String,
    result: Option<LookupResult>,
    error: Option<String>,
    limit: usize,
}

pub async fn search(caller: Caller, query: web::Query<LookupQuery>) -> Result<HttpResponse, WebError> {
    let q = query.into_inner().q;
    let mut page = LookupPage { layout: caller.layout(), q, result: None, error: None, limit: lookup::LIMIT };
    if page.q.trim().is_empty() {
        return html(StatusCode::OK, &page);
    }
    match lookup::search(caller.db(), &caller.actor, &page.q).await {
        Ok(result) => {
            page.result = Some(result);
            html(StatusCode::OK, &page)
        }
        Err(ServiceError::Invalid(errors)) => {
            page.error = errors.get("q").map(str::to_owned);
            invalid(&page)
        }
        Err(other) => Err(other.into()),
    }
}
