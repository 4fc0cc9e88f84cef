//! The audit log pages: platform-wide and per company, filtered, paginated, CSV export.
//! Who may read which log is the service's rule; a company's log first asks whether the company
//! is visible at all, so foreign and unknown ids answer alike.
use super::html;
use crate::services::audit::log::{self as audit, Entry, Filter};
use crate::services::{common::FieldErrors, hierarchy::companies};
use crate::web::layout::{Caller, Layout};
use crate::web::{WebError, urls};
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{Datelike, NaiveDate, Utc};
use serde::Deserialize;

/// The most rows one CSV export carries (newest first).
pub const EXPORT_LIMIT: usize = 100_000;

/// The object kinds the filter offers: (value, label). The empty value is "any".
const OBJECT_KINDS: &[(&str, &str)] = &[
    ("", "any"),
    ("company", "company"),
    ("domain", "domain"),
    ("mailbox", "mailbox"),
    ("admin_user", "admin user"),
    ("abuse_contact", "abuse contact"),
    ("session", "session (sign-in)"),
];

/// The longest actor filter accepted (logins are shorter).
const MAX_ACTOR_FILTER: usize = 100;

/// The filters as typed, so a refused filter comes back with the input kept.
#[derive(Deserialize, Default, Clone)]
pub struct AuditQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// Entries older than this id (the "Next (older)" link).
    #[serde(default)]
    before: String,
}

fn parse_date(errors: &mut FieldErrors, field: &'static str, value: &str) -> Option<NaiveDate> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        // Both databases store every year of the date input's range (1 to 9999).
        Ok(date) if (1..=9999).contains(&date.year()) => Some(date),
        _ => {
            errors.add(field, "Enter a date as YYYY-MM-DD, e.g. 2026-01-31.");
            None
        }
    }
}

impl AuditQuery {
    fn parse(&self, company_id: Option<i32>) -> Result<Filter, FieldErrors> {
        let mut errors = FieldErrors::default();
        let kind = self.kind.trim();
        if !OBJECT_KINDS.iter().any(|(value, _)| *value == kind) {
            errors.add("kind", "Pick an object kind from the list.");
        }
        let actor = self.actor.trim();
        if actor.chars().count() > MAX_ACTOR_FILTER {
            errors.add("actor", format!("Enter at most {MAX_ACTOR_FILTER} characters."));
        }
        let from = parse_date(&mut errors, "from", &self.from);
        let to = parse_date(&mut errors, "to", &self.to);
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            errors.add("to", "The end date is before the start date.");
        }
        let before_id = match self.before.trim() {
            "" => None,
            before => match before.parse::<i32>() {
                Ok(id) if id > 0 => Some(id),
                _ => {
                    errors.add("before", "The page link is broken: start again from the newest entries.");
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        // Nothing is later than the last day the input allows: no upper bound. (Its day after
        // is year 10000, which SQLite, comparing timestamps as text, sorts before every entry.)
        let to = to.filter(|to| to.succ_opt().is_some_and(|next| next.year() <= 9999));
        Ok(Filter { company_id, object_kind: kind.to_owned(), actor: actor.to_owned(), from, to, before_id })
    }

    fn has_filters(&self) -> bool {
        [&self.kind, &self.actor, &self.from, &self.to].iter().any(|v| !v.trim().is_empty())
    }

    /// The query string of these filters (empty ones left out), optionally with a page cursor.
    fn query_string(&self, before: Option<&str>) -> String {
        let mut params: Vec<(&str, &str)> = [
            ("kind", self.kind.trim()),
            ("actor", self.actor.trim()),
            ("from", self.from.trim()),
            ("to", self.to.trim()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        params.extend(before.map(|b| ("before", b)));
        serde_urlencoded::to_string(params).unwrap_or_default()
    }
}

fn with_query(base: String, query: String) -> String {
    if query.is_empty() { base } else { format!("{base}?{query}") }
}

/// Which log: the platform's, or one company's.
enum Log {
    Platform,
    Company { id: i32, name: String },
}

impl Log {
    fn company_id(&self) -> Option<i32> {
        match self {
            Log::Platform => None,
            Log::Company { id, .. } => Some(*id),
        }
    }

    fn page_url(&self) -> String {
        match self {
            Log::Platform => urls::audit(),
            Log::Company { id, .. } => urls::company_audit(*id),
        }
    }

    fn export_url(&self) -> String {
        match self {
            Log::Platform => urls::audit_export(),
            Log::Company { id, .. } => urls::company_audit_export(*id),
        }
    }

    fn title(&self) -> String {
        match self {
            Log::Platform => "Audit log".into(),
            Log::Company { name, .. } => format!("Audit log: {name}"),
        }
    }

    fn file_name(&self) -> String {
        let stamp = Utc::now().format("%Y%m%d-%H%M%S");
        match self {
            Log::Platform => format!("audit-{stamp}.csv"),
            Log::Company { id, .. } => format!("audit-company-{id}-{stamp}.csv"),
        }
    }
}

pub struct KindOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

/// One entry as the table shows it.
pub struct EntryRow {
    id: i32,
    at: String,
    at_iso: String,
    actor_login: String,
    actor_role: String,
    client_addr: String,
    object_kind: String,
    object_id: Option<i32>,
    object_label: String,
    action: String,
    before: String,
    after: String,
    /// Sign-ins change nothing: no before → after to show.
    has_change: bool,
}

impl From<Entry> for EntryRow {
    fn from(e: Entry) -> Self {
        Self {
            id: e.id,
            at: e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            at_iso: e.at.to_rfc3339(),
            has_change: !(e.before == "null" && e.after == "null"),
            actor_login: e.actor_login,
            actor_role: e.actor_role,
            client_addr: e.client_addr,
            object_kind: e.object_kind,
            object_id: e.object_id,
            object_label: e.object_label,
            action: e.action,
            before: e.before,
            after: e.after,
        }
    }
}

#[derive(Template)]
#[template(path = "audit/list.html")]
pub struct AuditPage {
    layout: Layout,
    title: String,
    /// The company's page, for the company log's way back.
    company_url: Option<String>,
    company_name: String,
    page_url: String,
    export_url: String,
    form: AuditQuery,
    kinds: Vec<KindOption>,
    errors: FieldErrors,
    rows: Vec<EntryRow>,
    filtered: bool,
    next_url: Option<String>,
    newest_url: Option<String>,
    export_limit: usize,
}

impl AuditPage {
    fn new(caller: &Caller, log: &Log, form: AuditQuery, errors: FieldErrors) -> Self {
        let kinds = OBJECT_KINDS
            .iter()
            .map(|&(value, label)| KindOption { value, label, selected: form.kind.trim() == value })
            .collect();
        let (company_url, company_name) = match log {
            Log::Platform => (None, String::new()),
            Log::Company { id, name } => (Some(urls::company(*id)), name.clone()),
        };
        Self {
            layout: caller.layout(),
            title: log.title(),
            company_url,
            company_name,
            page_url: log.page_url(),
            export_url: with_query(log.export_url(), form.query_string(None)),
            filtered: form.has_filters(),
            form,
            kinds,
            errors,
            rows: Vec::new(),
            next_url: None,
            newest_url: None,
            export_limit: EXPORT_LIMIT,
        }
    }
}

/// Asks the service whether the actor may read this log at all, without reading it: a refused
/// filter must not tell someone about a log they may not see.
async fn authorize_read(caller: &Caller, log: &Log) -> Result<(), WebError> {
    let filter = Filter { company_id: log.company_id(), ..Filter::default() };
    audit::list(caller.db(), &caller.actor, &filter, 0).await?;
    Ok(())
}

/// The filter form shown again with its messages: 422.
async fn refused(
    caller: Caller,
    log: Log,
    form: AuditQuery,
    errors: FieldErrors,
) -> Result<HttpResponse, WebError> {
    authorize_read(&caller, &log).await?;
    html(StatusCode::UNPROCESSABLE_ENTITY, &AuditPage::new(&caller, &log, form, errors))
}

async fn show(caller: Caller, log: Log, form: AuditQuery) -> Result<HttpResponse, WebError> {
    let filter = match form.parse(log.company_id()) {
        Ok(filter) => filter,
        Err(errors) => return refused(caller, log, form, errors).await,
    };
    let entries = audit::list(caller.db(), &caller.actor, &filter, audit::PAGE_SIZE).await?;
    let mut page = AuditPage::new(&caller, &log, form, FieldErrors::default());
    page.next_url = entries
        .next
        .as_deref()
        .map(|before| with_query(log.page_url(), page.form.query_string(Some(before))));
    page.newest_url = filter.before_id.map(|_| with_query(log.page_url(), page.form.query_string(None)));
    page.rows = entries.rows.into_iter().map(EntryRow::from).collect();
    html(StatusCode::OK, &page)
}

async fn export(caller: Caller, log: Log, form: AuditQuery) -> Result<HttpResponse, WebError> {
    let filter = match form.parse(log.company_id()) {
        // The export always starts at the newest entry.
        Ok(filter) => Filter { before_id: None, ..filter },
        Err(errors) => return refused(caller, log, form, errors).await,
    };
    let entries = audit::list(caller.db(), &caller.actor, &filter, EXPORT_LIMIT).await?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", log.file_name())))
        .insert_header(("Cache-Control", "no-store"))
        .body(audit::to_csv(&entries.rows)))
}

/// The company, if the actor may see it (404 for unknown and foreign ids).
async fn company_log_of(caller: &Caller, id: i32) -> Result<Log, WebError> {
    let company = companies::get(caller.db(), &caller.actor, id).await?;
    Ok(Log::Company { id, name: company.name })
}

pub async fn platform_log(caller: Caller, query: web::Query<AuditQuery>) -> Result<HttpResponse, WebError> {
    show(caller, Log::Platform, query.into_inner()).await
}

pub async fn platform_export(
    caller: Caller,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, WebError> {
    export(caller, Log::Platform, query.into_inner()).await
}

pub async fn company_log(
    caller: Caller,
    path: web::Path<i32>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, WebError> {
    let log = company_log_of(&caller, path.into_inner()).await?;
    show(caller, log, query.into_inner()).await
}

pub async fn company_export(
    caller: Caller,
    path: web::Path<i32>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, WebError> {
    let log = company_log_of(&caller, path.into_inner()).await?;
    export(caller, log, query.into_inner()).await
}
