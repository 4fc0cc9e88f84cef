//! The front page: what the signed-in person runs, with counts and shortcuts.
use crate::authz::{Action, Place};
use crate::domain::Role;
use crate::services::limits::usage::{self as limits_usage, NearLimit};
use crate::services::{
    hierarchy::domains, hierarchy::overview, notices::contacts as abuse_contacts,
    suspension::views as suspension_views,
};
use crate::web::layout::{Caller, Layout};
use crate::web::{WebError, urls};
use askama::Template;
use askama_web::WebTemplate;

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    layout: Layout,
    role_label: &'static str,
    overview: overview::Overview,
    domains: Vec<domains::DomainRow>,
    show_domains: bool,
    companies_url: Option<String>,
    company_url: Option<String>,
    suspended: i64,
    /// For the platform: companies whose AUP notices have nowhere to go.
    without_abuse_contact: Vec<(i32, String)>,
    /// Mailboxes at or near a sending limit.
    near_limits: Vec<NearLimit>,
    near_percent: u32,
}

pub async fn index(caller: Caller) -> Result<HomePage, WebError> {
    let actor = &caller.actor;
    let overview = overview::counts(caller.db(), actor).await?;
    let show_domains = matches!(actor.role, Role::Company | Role::Domain);
    let domains = if show_domains { domains::list(caller.db(), actor, None).await? } else { Vec::new() };
    let suspended = suspension_views::counts_by_company(caller.db(), actor).await?.values().sum();
    let without_abuse_contact = if actor.role == Role::Domain {
        Vec::new()
    } else {
        abuse_contacts::companies_without(caller.db(), actor).await?
    };
    let near_limits = limits_usage::near_limits(caller.db(), actor, 20).await?;
    Ok(HomePage {
        near_limits,
        near_percent: limits_usage::NEAR_PERCENT,
        suspended,
        without_abuse_contact,
        layout: caller.layout(),
        role_label: actor.role.label(),
        overview,
        domains,
        show_domains,
        companies_url: actor.may(Action::View, Place::Platform).then(urls::companies),
        company_url: actor.company_id.filter(|_| actor.role == Role::Company).map(urls::company),
    })
}
