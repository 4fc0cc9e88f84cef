//! Complaint pages: a mailbox's and a company's complaints (with a chart per day), one
//! complaint with its sample, the unattributed complaints, the quarantine, and the form where
//! a platform admin pastes a report that came in some other way.
use super::{html, invalid, see_other};
use crate::authz::{Action, Place};
use crate::entity::{complaint, quarantine};
use crate::intake::arf;
use crate::services::complaints::intake::{self as complaints};
use crate::services::complaints::outcome::{Outcome, Source};
use crate::services::complaints::rule as complaint_rule;
use crate::services::{
    self, common::ServiceError, complaints::views as complaint_views, hierarchy::companies,
    hierarchy::mailboxes,
};
use crate::web::chart::{self, ChartSvg};
use crate::web::layout::{Caller, Layout};
use crate::web::{AppState, WebError, urls};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// Days the chart covers.
const CHART_DAYS: i64 = 30;
const CHART_WIDTH: u32 = 720;
const CHART_HEIGHT: u32 = 160;

#[derive(Deserialize)]
pub struct PageQuery {
    before: Option<i32>,
}

/// The links either side of a page of a newest-first list.
struct Pager {
    newest_url: Option<String>,
    next_url: Option<String>,
}

fn pager(base: &str, before: Option<i32>, last_id: Option<i32>, len: usize) -> Pager {
    let full = len as u64 >= complaint_views::PAGE_SIZE;
    Pager {
        newest_url: before.map(|_| base.to_owned()),
        next_url: last_id.filter(|_| full).map(|id| format!("{base}?before={id}")),
    }
}

async fn chart_for(
    caller: &Caller,
    mailbox_id: Option<i32>,
    company_id: Option<i32>,
) -> Result<ChartSvg, WebError> {
    let days = complaint_views::per_day(caller.db(), mailbox_id, company_id, CHART_DAYS).await?;
    Ok(chart::bar_chart(&days, CHART_WIDTH, CHART_HEIGHT))
}

#[derive(Template)]
#[template(path = "complaints/mailbox.html")]
pub struct MailboxComplaintsPage {
    layout: Layout,
    mailbox: mailboxes::Mailbox,
    window_count: u64,
    window_start: DateTime<Utc>,
    chart: ChartSvg,
    rows: Vec<complaint::Model>,
    show_sender: bool,
    before: Option<i32>,
    newest_url: Option<String>,
    next_url: Option<String>,
}

/// `GET /mailboxes/{id}/complaints`: whoever may see the mailbox.
pub async fn for_mailbox(
    caller: Caller,
    path: web::Path<i32>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, WebError> {
    let mailbox = mailboxes::get(caller.db(), &caller.actor, path.into_inner()).await?;
    let before = query.into_inner().before;
    let rows = complaint_views::for_mailbox(caller.db(), mailbox.id, before).await?;
    let (window_count, window_start) =
        complaint_rule::window_count(caller.db(), mailbox.id, Utc::now()).await?;
    let chart = chart_for(&caller, Some(mailbox.id), None).await?;
    let pager = pager(&urls::mailbox_complaints(mailbox.id), before, rows.last().map(|c| c.id), rows.len());
    html(
        StatusCode::OK,
        &MailboxComplaintsPage {
            layout: caller.layout(),
            mailbox,
            window_count,
            window_start,
            chart,
            rows,
            show_sender: false,
            before,
            newest_url: pager.newest_url,
            next_url: pager.next_url,
        },
    )
}

#[derive(Template)]
#[template(path = "complaints/company.html")]
pub struct CompanyComplaintsPage {
    layout: Layout,
    company: companies::Company,
    chart: ChartSvg,
    rows: Vec<complaint::Model>,
    show_sender: bool,
    before: Option<i32>,
    newest_url: Option<String>,
    next_url: Option<String>,
}

/// `GET /companies/{id}/complaints`: the company's admins, platform and support.
pub async fn for_company(
    caller: Caller,
    path: web::Path<i32>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let before = query.into_inner().before;
    // The list authorizes (company admins of it, platform, support); the rest follows it.
    let rows = complaint_views::for_company(caller.db(), &caller.actor, id, before).await?;
    let company = companies::get(caller.db(), &caller.actor, id).await?;
    let chart = chart_for(&caller, None, Some(id)).await?;
    let pager = pager(&urls::company_complaints(id), before, rows.last().map(|c| c.id), rows.len());
    html(
        StatusCode::OK,
        &CompanyComplaintsPage {
            layout: caller.layout(),
            company,
            chart,
            rows,
            show_sender: true,
            before,
            newest_url: pager.newest_url,
            next_url: pager.next_url,
        },
    )
}

#[derive(Template)]
#[template(path = "complaints/unattributed.html")]
pub struct UnattributedPage {
    layout: Layout,
    tab: &'static str,
    can_paste: bool,
    rows: Vec<complaint::Model>,
    show_sender: bool,
    before: Option<i32>,
    newest_url: Option<String>,
    next_url: Option<String>,
}

/// `GET /complaints/unattributed`: platform and support.
pub async fn unattributed(caller: Caller, query: web::Query<PageQuery>) -> Result<HttpResponse, WebError> {
    let before = query.into_inner().before;
    let rows = complaint_views::unattributed(caller.db(), &caller.actor, before).await?;
    let pager = pager(&urls::unattributed_complaints(), before, rows.last().map(|c| c.id), rows.len());
    html(
        StatusCode::OK,
        &UnattributedPage {
            layout: caller.layout(),
            tab: "unattributed",
            can_paste: caller.actor.may(Action::ManagePlatform, Place::Platform),
            rows,
            show_sender: true,
            before,
            newest_url: pager.newest_url,
            next_url: pager.next_url,
        },
    )
}

#[derive(Template)]
#[template(path = "complaints/show.html")]
pub struct ComplaintPage {
    layout: Layout,
    c: complaint::Model,
    can_see_company: bool,
    company_name: Option<String>,
}

/// `GET /complaints/{id}`: whoever may see its mailbox; unattributed ones platform and support.
pub async fn show(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let c = complaint_views::get(caller.db(), &caller.actor, path.into_inner()).await?;
    let can_see_company = c.company_id.is_some_and(|id| caller.actor.may(Action::View, Place::Company(id)));
    let company_name = match c.company_id {
        Some(id) if can_see_company => match companies::get(caller.db(), &caller.actor, id).await {
            Ok(company) => Some(company.name),
            // The company may be gone since; the complaint stays.
            Err(ServiceError::NotFound) => None,
            Err(other) => return Err(other.into()),
        },
        _ => None,
    };
    html(StatusCode::OK, &ComplaintPage { layout: caller.layout(), c, can_see_company, company_name })
}

#[derive(Template)]
#[template(path = "complaints/quarantine.html")]
pub struct QuarantinePage {
    layout: Layout,
    tab: &'static str,
    can_paste: bool,
    rows: Vec<quarantine::Model>,
    before: Option<i32>,
    newest_url: Option<String>,
    next_url: Option<String>,
}

/// `GET /complaints/quarantine`: platform and support.
pub async fn quarantine_list(caller: Caller, query: web::Query<PageQuery>) -> Result<HttpResponse, WebError> {
    let before = query.into_inner().before;
    let rows = complaint_views::quarantine_list(caller.db(), &caller.actor, before).await?;
    let pager = pager(&urls::quarantine(), before, rows.last().map(|q| q.id), rows.len());
    html(
        StatusCode::OK,
        &QuarantinePage {
            layout: caller.layout(),
            tab: "quarantine",
            can_paste: caller.actor.may(Action::ManagePlatform, Place::Platform),
            rows,
            before,
            newest_url: pager.newest_url,
            next_url: pager.next_url,
        },
    )
}

#[derive(Template)]
#[template(path = "complaints/quarantined.html")]
pub struct QuarantinedPage {
    layout: Layout,
    q: quarantine::Model,
}

/// `GET /complaints/quarantine/{id}`: platform and support.
pub async fn quarantined(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let q = complaint_views::quarantined(caller.db(), &caller.actor, path.into_inner()).await?;
    html(StatusCode::OK, &QuarantinedPage { layout: caller.layout(), q })
}

#[derive(Template)]
#[template(path = "complaints/new.html")]
pub struct PastePage {
    layout: Layout,
    tab: &'static str,
    can_paste: bool,
    report: String,
    problem: Option<String>,
    quarantine_id: Option<i32>,
}

impl PastePage {
    fn new(caller: &Caller) -> Self {
        Self {
            layout: caller.layout(),
            tab: "new",
            can_paste: true,
            report: String::new(),
            problem: None,
            quarantine_id: None,
        }
    }
}

fn require_platform(caller: &Caller) -> Result<(), WebError> {
    Ok(services::require(&caller.actor, Action::ManagePlatform, Place::Platform)?)
}

/// `GET /complaints/new`: platform admins only.
pub async fn new_form(caller: Caller) -> Result<HttpResponse, WebError> {
    require_platform(&caller)?;
    html(StatusCode::OK, &PastePage::new(&caller))
}

/// The pasted text. Read from the raw body rather than `web::Form`, whose limit (64 KiB) is
/// below the size of many reports; the body is bounded by the CSRF check's payload limit.
fn pasted_report(body: &[u8]) -> Result<String, WebError> {
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|e| WebError::BadRequest(format!("The form could not be read: {e}")))?;
    Ok(fields.into_iter().find(|(k, _)| k == "report").map(|(_, v)| v).unwrap_or_default())
}

/// `POST /complaints/new`: parse, then store like the API does, or keep it in quarantine.
pub async fn paste(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    require_platform(&caller)?;
    let report = pasted_report(&body)?;
    if report.trim().is_empty() {
        let mut page = PastePage::new(&caller);
        page.problem = Some("Paste the whole report, headers included.".into());
        return invalid(&page);
    }
    let limit = state.intake.max_report_bytes;
    let parsed = match arf::parse(report.as_bytes(), limit) {
        Ok(parsed) => parsed,
        Err(error) => {
            let reason = match error {
                arf::ArfError::TooLarge => format!("larger than {limit} bytes"),
                other => other.to_string(),
            };
            let id = complaints::quarantine(caller.db(), report.as_bytes(), Source::Manual, &reason).await?;
            let mut page = PastePage::new(&caller);
            page.problem = Some(format!(
                "This is not a feedback report we can read: {reason}. It was kept in quarantine."
            ));
            page.quarantine_id = Some(id);
            page.report = report;
            return invalid(&page);
        }
    };
    let counts = parsed.feedback_type.counts();
    let outcome = complaints::store(caller.db(), &state.intake.settings, &parsed, Source::Manual).await?;
    let (id, message) = match outcome {
        Outcome::Duplicate { complaint_id } => (
            complaint_id,
            format!(
                "This report came in before, as complaint #{complaint_id}: it is counted once, nothing changed."
            ),
        ),
        Outcome::Stored { complaint_id, mailbox_id: None, .. } => (
            complaint_id,
            format!(
                "Stored as complaint #{complaint_id}. None of our mailboxes sent the original, so it is listed \
                 with the unattributed complaints."
            ),
        ),
        Outcome::Stored { complaint_id, mailbox_id: Some(_), suspended } => {
            let sender = complaint_views::get(caller.db(), &caller.actor, complaint_id).await?.sender;
            let counted = if counts {
                "It counts toward the allowance."
            } else {
                "Its feedback type does not count toward the allowance."
            };
            let suspension = if suspended {
                format!(" Send Mail of {sender} is now soft-suspended and the AUP notice is queued.")
            } else {
                String::new()
            };
            (
                complaint_id,
                format!("Stored as complaint #{complaint_id} about {sender}. {counted}{suspension}"),
            )
        }
    };
    caller.flash_success(message);
    Ok(see_other(urls::complaint(id)))
}
