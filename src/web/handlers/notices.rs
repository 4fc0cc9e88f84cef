//! AUP notices: the outbox the complaint intake writes and the worker delivers. The list is
//! for the platform (and support); one notice is also open to the admins of its company.
use super::html;
use crate::authz::{Action, Place};
use crate::entity::notice;
use crate::services::{common::ServiceError, hierarchy::companies, notices::outbox as notices};
use crate::web::WebError;
use crate::web::layout::{Caller, Layout};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;

/// Notices the list shows, newest first.
const LIST_LIMIT: u64 = 200;

#[derive(Template)]
#[template(path = "notices/list.html")]
pub struct NoticesPage {
    layout: Layout,
    tab: &'static str,
    can_paste: bool,
    rows: Vec<notice::Model>,
    limit: u64,
}

/// `GET /notices`: platform and support.
pub async fn list(caller: Caller) -> Result<HttpResponse, WebError> {
    let rows = notices::list(caller.db(), &caller.actor, LIST_LIMIT).await?;
    html(
        StatusCode::OK,
        &NoticesPage {
            layout: caller.layout(),
            tab: "notices",
            can_paste: caller.actor.may(Action::ManagePlatform, Place::Platform),
            rows,
            limit: LIST_LIMIT,
        },
    )
}

#[derive(Template)]
#[template(path = "notices/company.html")]
pub struct CompanyNoticesPage {
    layout: Layout,
    company_id: i32,
    company_name: String,
    rows: Vec<notice::Model>,
    limit: u64,
}

/// `GET /companies/{id}/notices`: the AUP notices about one company's mailboxes.
pub async fn company_list(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let company_id = path.into_inner();
    let (company, rows) =
        notices::list_for_company(caller.db(), &caller.actor, company_id, LIST_LIMIT).await?;
    html(
        StatusCode::OK,
        &CompanyNoticesPage {
            layout: caller.layout(),
            company_id,
            company_name: company.name,
            rows,
            limit: LIST_LIMIT,
        },
    )
}

/// A sample as the page lists it: which complaint, and whether only its header came along.
pub struct SampleLink {
    pub complaint_id: i32,
    pub headers_only: bool,
    pub size: usize,
}

#[derive(Template)]
#[template(path = "notices/show.html")]
pub struct NoticePage {
    layout: Layout,
    n: notice::Model,
    company_name: Option<String>,
    samples: Vec<SampleLink>,
    can_list: bool,
}

/// `GET /notices/{id}`: platform, support, and the admins of the notice's company.
pub async fn show(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let n = notices::get(caller.db(), &caller.actor, path.into_inner()).await?;
    let samples = notices::samples(caller.db(), &n)
        .await?
        .into_iter()
        .map(|s| SampleLink {
            complaint_id: s.complaint_id,
            headers_only: s.headers_only,
            size: s.original.len(),
        })
        .collect();
    let company_name = match companies::get(caller.db(), &caller.actor, n.company_id).await {
        Ok(company) => Some(company.name),
        Err(ServiceError::NotFound) => None,
        Err(other) => return Err(other.into()),
    };
    html(
        StatusCode::OK,
        &NoticePage {
            layout: caller.layout(),
            can_list: caller.actor.may(Action::View, Place::Platform),
            n,
            company_name,
            samples,
        },
    )
}
