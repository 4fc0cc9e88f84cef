//! The *Sending limits* pages of a company, a domain and a mailbox: the limits set there (an
//! empty field inherits), what is inherited, and on the company's page what a breach does and
//! whether a lift puts a mailbox on probation.
use super::{html, invalid, see_other};
use crate::enforcement::limits::{self, BreachAction, Limits};
use crate::services::limits::rules::{self, CompanySending, LimitsView};
use crate::services::{common::FieldErrors, common::ServiceError};
use crate::web::layout::{Caller, Layout};
use crate::web::{WebError, urls};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Deserialize, Clone, Default)]
pub struct LimitsForm {
    #[serde(default)]
    limit_daily: String,
    #[serde(default)]
    limit_external_hourly: String,
    #[serde(default)]
    limit_internal_hourly: String,
    /// Company only.
    #[serde(default)]
    breach: String,
    #[serde(default)]
    probation: Option<String>,
}

impl LimitsForm {
    fn of(view: &LimitsView) -> Self {
        let show = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
        Self {
            limit_daily: show(view.own.daily),
            limit_external_hourly: show(view.own.external_hourly),
            limit_internal_hourly: show(view.own.internal_hourly),
            breach: view.breach.as_str().into(),
            probation: view.probation.then(|| "on".into()),
        }
    }

    fn limits(&self) -> Result<Limits, FieldErrors> {
        let mut errors = FieldErrors::default();
        let daily = errors.check("limit_daily", limits::parse_limit(&self.limit_daily));
        let external =
            errors.check("limit_external_hourly", limits::parse_limit(&self.limit_external_hourly));
        let internal =
            errors.check("limit_internal_hourly", limits::parse_limit(&self.limit_internal_hourly));
        match (daily, external, internal) {
            (Some(daily), Some(external_hourly), Some(internal_hourly)) if errors.is_empty() => {
                Ok(Limits { daily, external_hourly, internal_hourly })
            }
            _ => Err(errors),
        }
    }

    fn company(&self) -> Result<CompanySending, FieldErrors> {
        let limits = self.limits();
        let breach = BreachAction::ALL.into_iter().find(|b| b.as_str() == self.breach);
        match (limits, breach) {
            (Ok(limits), Some(breach)) => {
                Ok(CompanySending { limits, breach, probation: self.probation.is_some() })
            }
            (limits, breach) => {
                let mut errors = limits.err().unwrap_or_default();
                if breach.is_none() {
                    errors.add("breach", "Choose what a breach does.");
                }
                Err(errors)
            }
        }
    }
}

/// Which object the page is about.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Company,
    Domain,
    Mailbox,
}

#[derive(Template)]
#[template(path = "limits/form.html")]
pub struct LimitsPage {
    layout: Layout,
    level: Level,
    view: LimitsView,
    back_url: String,
    back_label: &'static str,
    action_url: String,
    form: LimitsForm,
    errors: FieldErrors,
    breaches: Vec<(&'static str, &'static str)>,
    probation_days: i64,
}

/// One row of the limits table.
pub struct LimitRow {
    field: &'static str,
    label: &'static str,
    value: String,
    inherited: String,
}

impl LimitsPage {
    fn rows(&self) -> Vec<LimitRow> {
        let inherited = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_else(|| "no limit".into());
        let (f, i) = (&self.form, &self.view.inherited);
        vec![
            LimitRow {
                field: "limit_daily",
                label: "Recipients per 24 hours (all)",
                value: f.limit_daily.clone(),
                inherited: inherited(i.daily),
            },
            LimitRow {
                field: "limit_external_hourly",
                label: "External recipients per hour",
                value: f.limit_external_hourly.clone(),
                inherited: inherited(i.external_hourly),
            },
            LimitRow {
                field: "limit_internal_hourly",
                label: "Internal recipients per hour (domains hosted here)",
                value: f.limit_internal_hourly.clone(),
                inherited: inherited(i.internal_hourly),
            },
        ]
    }
}

async fn view_of(caller: &Caller, level: Level, id: i32) -> Result<LimitsView, ServiceError> {
    match level {
        Level::Company => rules::company_view(caller.db(), &caller.actor, id).await,
        Level::Domain => rules::domain_view(caller.db(), &caller.actor, id).await,
        Level::Mailbox => rules::mailbox_view(caller.db(), &caller.actor, id).await,
    }
}

fn page(
    caller: &Caller,
    level: Level,
    id: i32,
    view: LimitsView,
    form: LimitsForm,
    errors: FieldErrors,
) -> LimitsPage {
    let (back_url, back_label, action_url) = match level {
        Level::Company => (urls::company(id), "Company", urls::company_limits(id)),
        Level::Domain => (urls::domain(id), "Domain", urls::domain_limits(id)),
        Level::Mailbox => (urls::mailbox_status(id), "Status", urls::mailbox_limits(id)),
    };
    LimitsPage {
        layout: caller.layout(),
        level,
        view,
        back_url,
        back_label,
        action_url,
        form,
        errors,
        breaches: BreachAction::ALL.iter().map(|b| (b.as_str(), b.label())).collect(),
        probation_days: limits::PROBATION_DAYS,
    }
}

async fn show(caller: Caller, level: Level, id: i32) -> Result<HttpResponse, WebError> {
    let view = view_of(&caller, level, id).await?;
    let form = LimitsForm::of(&view);
    html(StatusCode::OK, &page(&caller, level, id, view, form, FieldErrors::default()))
}

async fn save(caller: Caller, level: Level, id: i32, form: LimitsForm) -> Result<HttpResponse, WebError> {
    let db = caller.db();
    let actor = &caller.actor;
    // The service authorizes before it validates; a form refused before reaching it is
    // authorized when the page is loaded again below (404/403 before 422).
    let result = match level {
        Level::Company => match form.company() {
            Ok(wanted) => rules::update_company(db, actor, id, wanted).await,
            Err(errors) => Err(ServiceError::Invalid(errors)),
        },
        Level::Domain => match form.limits() {
            Ok(wanted) => rules::update_domain(db, actor, id, wanted).await,
            Err(errors) => Err(ServiceError::Invalid(errors)),
        },
        Level::Mailbox => match form.limits() {
            Ok(wanted) => rules::update_mailbox(db, actor, id, wanted).await,
            Err(errors) => Err(ServiceError::Invalid(errors)),
        },
    };
    match result {
        Ok(()) => {
            caller.flash_success("Sending limits saved; the mail servers apply them within a second.");
            let back = match level {
                Level::Company => urls::company(id),
                Level::Domain => urls::domain(id),
                Level::Mailbox => urls::mailbox_status(id),
            };
            Ok(see_other(back))
        }
        Err(ServiceError::Invalid(errors)) => {
            let view = view_of(&caller, level, id).await?;
            if !view.can_edit {
                return Err(ServiceError::Forbidden.into());
            }
            invalid(&page(&caller, level, id, view, form, errors))
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn company_form(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    show(caller, Level::Company, path.into_inner()).await
}

pub async fn company_save(
    caller: Caller,
    path: web::Path<i32>,
    form: web::Form<LimitsForm>,
) -> Result<HttpResponse, WebError> {
    save(caller, Level::Company, path.into_inner(), form.into_inner()).await
}

pub async fn domain_form(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    show(caller, Level::Domain, path.into_inner()).await
}

pub async fn domain_save(
    caller: Caller,
    path: web::Path<i32>,
    form: web::Form<LimitsForm>,
) -> Result<HttpResponse, WebError> {
    save(caller, Level::Domain, path.into_inner(), form.into_inner()).await
}

pub async fn mailbox_form(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    show(caller, Level::Mailbox, path.into_inner()).await
}

pub async fn mailbox_save(
    caller: Caller,
    path: web::Path<i32>,
    form: web::Form<LimitsForm>,
) -> Result<HttpResponse, WebError> {
    save(caller, Level::Mailbox, path.into_inner(), form.into_inner()).await
}
