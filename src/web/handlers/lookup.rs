//! The support look-up: type part of an address, see each match with its company, domain and status.
use super::{html, invalid};
use crate::domain::{Service, ServiceState};
use crate::enforcement::limits::BreachAction;
use crate::enforcement::{self, MailboxPolicy, SendRefusal};
use crate::services::common::ServiceError;
use crate::services::limits::usage::{self as limits_usage, Pause};
use crate::services::suspension::lookup::{self, LookupResult, LookupRow};
use crate::services::suspension::record::SuspensionRecord;
use crate::services::{complaints::views as complaint_views, suspension::views as suspension_views};
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

/// One match as the support desk needs it on the phone.
pub struct DeskRow {
    pub row: LookupRow,
    /// Open suspensions: which service, since when, why (in plain words).
    pub open: Vec<SuspensionRecord>,
    /// Services an admin switched off (not an abuse measure).
    pub disabled: Vec<&'static str>,
    /// Who can lift it: the company's and the domain's admins.
    pub lifters: Vec<String>,
    /// A sentence the agent can read to the customer. It never says why: the seed asks that
    /// the user not be told they are soft-suspended.
    pub script: String,
    /// Counted complaints about the mailbox in its current window.
    pub complaints: u64,
    /// What the mail servers do with this mailbox's mail now, in plain words (from the same
    /// decision code the policy service runs).
    pub mail_server: Vec<String>,
}

/// "Cannot send: suspended since …" and the like, for the desk (never read to the customer).
fn mail_server_words(
    row: &LookupRow,
    open: &[SuspensionRecord],
    paused: Option<&(Pause, BreachAction)>,
) -> Vec<String> {
    let mailbox = MailboxPolicy {
        mailbox_id: row.mailbox_id,
        domain_id: row.domain_id,
        company_id: row.company_id,
        services: row.services,
    };
    let since = |service: Service| {
        open.iter()
            .find(|s| s.service == service)
            .map(|s| format!(" since {}", s.started_at.format("%Y-%m-%d %H:%M UTC")))
            .unwrap_or_default()
    };
    let mut words = Vec::new();
    match enforcement::send_permission(&mailbox, false) {
        Err(SendRefusal::Suspended) => words.push(format!(
            "Cannot send, by SMTP or webmail: Send Mail suspended{}. Every attempt gets \"Sending failed\".",
            since(Service::SendMail)
        )),
        Err(_) => words.push("Cannot send, by SMTP or webmail: Send Mail is switched off.".to_owned()),
        Ok(()) => {
            if enforcement::send_permission(&mailbox, true).is_err() {
                words.push(format!(
                    "Cannot send from webmail (SMTP works): Send via Webmail is {}{}.",
                    row.services.webmail_send.label().to_lowercase(),
                    since(Service::WebmailSend)
                ));
            }
            match paused {
                Some((pause, BreachAction::Alert)) => words.push(format!(
                    "Over its {} of {}: mail still goes out, the company's abuse contacts were alerted.",
                    pause.kind.describe(),
                    pause.limit
                )),
                Some((pause, _)) => words.push(format!(
                    "Sending paused{} ({} of {} reached): recipients get \"try again later\".",
                    pause.until.map(|at| format!(" until {}", at.format("%H:%M UTC"))).unwrap_or_default(),
                    pause.kind.describe(),
                    pause.limit
                )),
                None => {}
            }
        }
    }
    if !row.company_active || !row.domain_active {
        let whose = if row.company_active { "its domain is inactive" } else { "its company is suspended" };
        words.push(format!("No mail service at all: {whose}. Mail to it is refused and every login fails."));
    }
    if !row.forward_to.is_empty() {
        let targets = row.forward_to.replace(',', ", ");
        let copy = if row.forward_keep_copy { ", and keeps a copy" } else { "; keeps no copy" };
        words.push(format!("Forwards to {targets}{copy}."));
    }
    if row.services.receive_mail != ServiceState::Enabled {
        words.push(format!(
            "Incoming mail is refused (550 5.2.1): Receive Mail is {}{}.",
            row.services.receive_mail.label().to_lowercase(),
            since(Service::ReceiveMail)
        ));
    }
    words
}

#[derive(Template)]
#[template(path = "lookup.html")]
pub struct LookupPage {
    layout: Layout,
    q: String,
    result: Option<LookupResult>,
    desk: Vec<DeskRow>,
    error: Option<String>,
    limit: usize,
}

fn script(row: &LookupRow, open: &[SuspensionRecord], disabled: &[&str]) -> String {
    if !open.is_empty() {
        let sending = open.iter().any(|s| matches!(s.service, Service::SendMail | Service::WebmailSend));
        let what = if sending { "Sending mail from this address" } else { "Part of this mailbox's service" };
        format!(
            "{what} is paused by your email administrator at {}. Please ask them to turn it back on; \
             reading and receiving mail work as usual.",
            row.company_name
        )
    } else if !disabled.is_empty() {
        format!(
            "{} is switched off for this mailbox by {}'s administrator.",
            disabled.join(", "),
            row.company_name
        )
    } else {
        "This mailbox is active: nothing is switched off.".to_owned()
    }
}

async fn desk_rows(caller: &Caller, result: &LookupResult) -> Result<Vec<DeskRow>, WebError> {
    let restricted: Vec<&LookupRow> =
        result.rows.iter().filter(|r| !r.services.status().is_active()).collect();
    let ids: Vec<i32> = restricted.iter().map(|r| r.mailbox_id).collect();
    let places: Vec<(i32, i32)> = restricted.iter().map(|r| (r.company_id, r.domain_id)).collect();
    let mut open = suspension_views::open_by_mailbox(caller.db(), &ids).await?;
    let lifters = suspension_views::lifters(caller.db(), &places).await?;
    let all_ids: Vec<i32> = result.rows.iter().map(|r| r.mailbox_id).collect();
    let complaints = complaint_views::window_counts(caller.db(), &all_ids).await?;
    let paused = limits_usage::paused_among(caller.db(), &all_ids).await?;
    Ok(result
        .rows
        .iter()
        .map(|row| {
            let open = open.remove(&row.mailbox_id).unwrap_or_default();
            let disabled: Vec<&'static str> = row
                .services
                .iter()
                .filter(|(_, state)| *state == ServiceState::Disabled)
                .map(|(service, _)| service.label())
                .collect();
            DeskRow {
                mail_server: mail_server_words(row, &open, paused.get(&row.mailbox_id)),
                script: script(row, &open, &disabled),
                lifters: if open.is_empty() {
                    Vec::new()
                } else {
                    lifters.get(&row.domain_id).cloned().unwrap_or_default()
                },
                complaints: complaints.get(&row.mailbox_id).copied().unwrap_or(0),
                row: row.clone(),
                open,
                disabled,
            }
        })
        .collect())
}

pub async fn search(caller: Caller, query: web::Query<LookupQuery>) -> Result<HttpResponse, WebError> {
    let q = query.into_inner().q;
    let mut page = LookupPage {
        layout: caller.layout(),
        q,
        result: None,
        desk: Vec::new(),
        error: None,
        limit: lookup::LIMIT,
    };
    if page.q.trim().is_empty() {
        return html(StatusCode::OK, &page);
    }
    match lookup::search(caller.db(), &caller.actor, &page.q).await {
        Ok(result) => {
            page.desk = desk_rows(&caller, &result).await?;
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
