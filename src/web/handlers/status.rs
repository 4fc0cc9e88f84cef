//! The Status page of a mailbox: one checkbox per service (ticked = suspended), the open
//! suspensions with their reason and evidence, the three choices for a soft-suspended user,
//! and the history. Also the list of suspended mailboxes.
use super::confirm::ConfirmPage;
use super::{html, see_other};
use crate::authz::Action;
use crate::domain::{LiftKind, Service, ServiceState, SuspensionReason};
use crate::enforcement::limits::LimitKind;
use crate::services::common::passwords::Secret;
use crate::services::hierarchy::mailboxes::{self, Mailbox};
use crate::services::limits::usage::{self as limits_usage, SendingStatus};
use crate::services::suspension::actions::{self as suspensions, StatusChange};
use crate::services::suspension::record::SuspensionRecord;
use crate::services::suspension::views::{self as suspension_views, SuspendedMailbox};
use crate::services::{common::FieldErrors, common::ServiceError};
use crate::web::layout::{Caller, Layout};
use crate::web::sending_chart::{self, SendingChart};
use crate::web::{WebError, urls};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

pub struct StatusLine {
    pub key: &'static str,
    pub label: &'static str,
    pub suspended: bool,
    pub disabled_by_admin: bool,
    /// Send via Webmail follows Send Mail.
    pub linked: bool,
}

#[derive(Template)]
#[template(path = "mailboxes/status.html")]
pub struct StatusPage {
    layout: Layout,
    mailbox: Mailbox,
    lines: Vec<StatusLine>,
    open: Vec<SuspensionRecord>,
    history: Vec<SuspensionRecord>,
    repeat_offender: bool,
    soft_suspended: bool,
    can_manage: bool,
    errors: FieldErrors,
    problem: Option<String>,
    reason: String,
    evidence: String,
    note: String,
    reasons: Vec<(&'static str, &'static str)>,
    sending: SendingStatus,
    sending_chart: SendingChart,
}

/// One line of the Sending table.
pub struct SendingLine {
    pub id: &'static str,
    pub label: &'static str,
    pub counted: u32,
    pub limit: Option<u32>,
    pub percent: u32,
}

impl StatusPage {
    fn sending_lines(&self) -> Vec<SendingLine> {
        let s = &self.sending;
        [
            (
                "external-hour",
                "External recipients, last hour",
                LimitKind::ExternalHourly,
                s.limits.external_hourly,
            ),
            (
                "internal-hour",
                "Internal recipients, last hour",
                LimitKind::InternalHourly,
                s.limits.internal_hourly,
            ),
            ("day", "All recipients, last 24 hours", LimitKind::Daily, s.limits.daily),
        ]
        .into_iter()
        .map(|(id, label, kind, limit)| SendingLine {
            id,
            label,
            counted: s.usage.counted(kind),
            limit,
            percent: s.percent(kind),
        })
        .collect()
    }
}

#[derive(Default)]
struct FormState {
    errors: FieldErrors,
    problem: Option<String>,
    reason: String,
    evidence: String,
    note: String,
}

async fn status_page(caller: &Caller, id: i32, form: FormState) -> Result<StatusPage, WebError> {
    let mailbox = mailboxes::get(caller.db(), &caller.actor, id).await?;
    let open = suspension_views::open_for(caller.db(), &mailbox).await?;
    let history = suspension_views::history_for(caller.db(), &mailbox).await?;
    let repeat_offender = suspension_views::is_repeat_offender(caller.db(), id).await?;
    let sending = limits_usage::status_by_id(caller.db(), id).await?;
    let hours = limits_usage::mailbox_hourly(caller.db(), id, 24).await?;
    let sending_chart = sending_chart::sending_chart(&hours, sending.limits.external_hourly, 640, 150);
    let lines = mailbox
        .services
        .iter()
        .map(|(service, state)| StatusLine {
            key: service.key(),
            label: service.label(),
            suspended: state == ServiceState::Suspended,
            disabled_by_admin: state == ServiceState::Disabled,
            linked: service == Service::WebmailSend,
        })
        .collect();
    Ok(StatusPage {
        layout: caller.layout(),
        soft_suspended: mailbox.services.send_mail == ServiceState::Suspended,
        can_manage: caller.actor.may(Action::ManageMailboxes, mailbox.place()),
        mailbox,
        lines,
        open,
        history,
        repeat_offender,
        errors: form.errors,
        problem: form.problem,
        reason: form.reason,
        evidence: form.evidence,
        note: form.note,
        reasons: SuspensionReason::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        sending,
        sending_chart,
    })
}

pub async fn show(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    html(StatusCode::OK, &status_page(&caller, path.into_inner(), FormState::default()).await?)
}

/// Answers a refused action on the Status page: the page again, with the reason.
async fn refused(
    caller: &Caller,
    id: i32,
    error: ServiceError,
    form: FormState,
) -> Result<HttpResponse, WebError> {
    let (status, form) = match error {
        ServiceError::Invalid(errors) => (StatusCode::UNPROCESSABLE_ENTITY, FormState { errors, ..form }),
        ServiceError::Conflict(message) => {
            (StatusCode::CONFLICT, FormState { problem: Some(message), ..form })
        }
        other => return Err(other.into()),
    };
    html(status, &status_page(caller, id, form).await?)
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
}

/// Saves the checkboxes: unticked services are lifted at once, newly ticked ones suspended.
pub async fn save(
    caller: Caller,
    path: web::Path<i32>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let fields = form.into_inner();
    let ticked: Vec<Service> = Service::ALL
        .into_iter()
        .filter(|s| fields.iter().any(|(k, _)| *k == format!("suspend_{}", s.key())))
        .collect();
    let reason_input = field(&fields, "reason").to_owned();
    let evidence = field(&fields, "evidence").to_owned();
    let change = StatusChange {
        suspended: &ticked,
        reason: SuspensionReason::parse(&reason_input).ok(),
        evidence: &evidence,
    };
    match suspensions::save_status(caller.db(), &caller.actor, id, change).await {
        Ok((suspended, lifted)) => {
            let message = match (suspended.is_empty(), lifted.is_empty()) {
                (true, true) => "Nothing changed.".to_owned(),
                (true, false) => format!("Lifted: {}. The user can use these again now.", labels(&lifted)),
                (false, true) => format!("Suspended: {}.", labels(&suspended)),
                (false, false) => format!("Suspended: {}. Lifted: {}.", labels(&suspended), labels(&lifted)),
            };
            caller.flash_success(message);
            Ok(see_other(urls::mailbox_status(id)))
        }
        Err(error) => {
            let form = FormState { reason: reason_input, evidence, ..FormState::default() };
            refused(&caller, id, error, form).await
        }
    }
}

fn labels(services: &[Service]) -> String {
    services.iter().map(|s| s.label()).collect::<Vec<_>>().join(", ")
}

/// *Lift now*.
pub async fn lift(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    match suspensions::lift_all(caller.db(), &caller.actor, id, LiftKind::Lifted, None).await {
        Ok(lifted) => {
            caller.flash_success(format!(
                "Suspension lifted ({}). The user can send again now.",
                labels(&lifted)
            ));
            Ok(see_other(urls::mailbox_status(id)))
        }
        Err(error) => refused(&caller, id, error, FormState::default()).await,
    }
}

/// *Educate and lift*: what the user was told, and optionally a new mailbox password.
pub async fn educate_and_lift(
    caller: Caller,
    path: web::Path<i32>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let fields = form.into_inner();
    let note = field(&fields, "note").to_owned();
    let password = field(&fields, "new_password");
    let confirm = field(&fields, "confirm");
    let result = if password != confirm {
        // Authorization before validation: 404/403 for a caller who may not lift, not 422.
        mailboxes::get_for(caller.db(), &caller.actor, id, Action::ManageMailboxes).await?;
        Err(ServiceError::Invalid(FieldErrors::single("confirm", "The two passwords differ.")))
    } else {
        let new_password = (!password.is_empty()).then(|| Secret::new(password.to_owned()));
        suspensions::educate_and_lift(caller.db(), &caller.actor, id, &note, new_password).await
    };
    match result {
        Ok(()) => {
            caller.flash_success("The user was educated and the suspension lifted.");
            Ok(see_other(urls::mailbox_status(id)))
        }
        Err(error) => refused(&caller, id, error, FormState { note, ..FormState::default() }).await,
    }
}

pub async fn confirm_lift_and_delete(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let mailbox =
        mailboxes::get_for(caller.db(), &caller.actor, path.into_inner(), Action::ManageMailboxes).await?;
    html(
        StatusCode::OK,
        &ConfirmPage {
            layout: caller.layout(),
            title: format!("Delete the account {}", mailbox.address),
            question: format!("Lift the suspension of {} and delete the account?", mailbox.address),
            consequences: vec![
                "The suspension is recorded as lifted to delete the account; its history is kept.".into(),
                format!("The mailbox {} and its settings; the user can no longer sign in.", mailbox.address),
            ],
            action_url: urls::lift_and_delete(mailbox.id),
            cancel_url: urls::mailbox_status(mailbox.id),
            button: "Lift and delete the account".into(),
        },
    )
}

pub async fn lift_and_delete(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let mailbox = suspensions::lift_and_delete(caller.db(), &caller.actor, path.into_inner(), None).await?;
    caller.flash_success(format!("Suspension lifted and mailbox {} deleted.", mailbox.address));
    Ok(see_other(urls::domain(mailbox.domain.id)))
}

#[derive(Deserialize)]
pub struct SuspendedQuery {
    company: Option<i32>,
}

#[derive(Template)]
#[template(path = "mailboxes/suspended.html")]
pub struct SuspendedPage {
    layout: Layout,
    rows: Vec<SuspendedMailbox>,
    company_name: Option<String>,
    limit: u64,
}

/// Every mailbox with an open suspension in the caller's scope (or one company's).
pub async fn suspended_list(
    caller: Caller,
    query: web::Query<SuspendedQuery>,
) -> Result<HttpResponse, WebError> {
    let company = query.into_inner().company;
    let company_name = match company {
        Some(id) => {
            Some(crate::services::hierarchy::companies::get(caller.db(), &caller.actor, id).await?.name)
        }
        None => None,
    };
    const LIMIT: u64 = 500;
    let rows = suspension_views::suspended_mailboxes(caller.db(), &caller.actor, company, LIMIT).await?;
    html(StatusCode::OK, &SuspendedPage { layout: caller.layout(), rows, company_name, limit: LIMIT })
}
