//! Companies: list, show (with its domains), create, edit, delete.
use super::confirm::ConfirmPage;
use super::{html, invalid, see_other};
use crate::authz::{Action, Place};
use crate::domain::{CompanyName, CompanyStatus, ComplaintAllowance};
use crate::domain::{ContactKind, Role};
use crate::services::hierarchy::companies::{self, CompanyPolicy, CompanyRow};
use crate::services::hierarchy::deletion::{self, Deletable};
use crate::services::limits::rules::{self as limit_rules, LimitsView};
use crate::services::limits::usage as limits_usage;
use crate::services::notices::contacts::{self as abuse_contacts, Contact};
use crate::services::suspension::views::{self as suspension_views, RepeatOffender};
use crate::services::{self, common::FieldErrors, common::ServiceError, hierarchy::domains};
use crate::web::layout::{Caller, Layout};
use crate::web::sending_chart::{self, SendingChart};
use crate::web::{WebError, urls};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    after: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "companies/list.html")]
pub struct CompaniesPage {
    layout: Layout,
    rows: Vec<CompanyRow>,
    total: u64,
    search: String,
    next_url: Option<String>,
    first_url: Option<String>,
    can_create: bool,
}

pub async fn list(caller: Caller, query: web::Query<ListQuery>) -> Result<CompaniesPage, WebError> {
    let query = query.into_inner();
    let page = companies::list(caller.db(), &caller.actor, &query.q, query.after.as_deref()).await?;
    let with = |after: Option<&str>| {
        let mut params = vec![("q", query.q.as_str())];
        params.extend(after.map(|a| ("after", a)));
        format!("{}?{}", urls::companies(), serde_urlencoded::to_string(params).unwrap_or_default())
    };
    Ok(CompaniesPage {
        next_url: page.next.as_deref().map(|n| with(Some(n))),
        first_url: query.after.as_ref().map(|_| with(None)),
        layout: caller.layout(),
        rows: page.rows,
        total: page.total,
        search: query.q,
        can_create: caller.actor.may(Action::ManageCompanies, Place::Platform),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "companies/show.html")]
pub struct CompanyPage {
    layout: Layout,
    company: companies::Company,
    domains: Vec<domains::DomainRow>,
    can_edit: bool,
    can_delete: bool,
    can_add_domain: bool,
    can_read_audit: bool,
    contacts: Vec<Contact>,
    has_abuse_contact: bool,
    suspended_total: i64,
    suspended_by_domain: HashMap<i32, i64>,
    repeat_offenders: Vec<RepeatOffender>,
    limits: LimitsView,
    sending_chart: SendingChart,
    show_sending: bool,
}

impl CompanyPage {
    fn effective_limits(&self) -> crate::enforcement::limits::Limits {
        self.limits.own.or(self.limits.inherited)
    }

    pub fn suspended_in(&self, domain_id: &i32) -> i64 {
        self.suspended_by_domain.get(domain_id).copied().unwrap_or(0)
    }
}

pub async fn show(caller: Caller, path: web::Path<i32>) -> Result<CompanyPage, WebError> {
    let id = path.into_inner();
    let company = companies::get(caller.db(), &caller.actor, id).await?;
    let domains = domains::list(caller.db(), &caller.actor, Some(id)).await?;
    let actor = &caller.actor;
    let place = Place::Company(id);
    let contacts = abuse_contacts::list(caller.db(), actor, id).await?;
    // A domain admin's view of the company is narrowed to their domains.
    let suspended_by_domain: HashMap<i32, i64> = suspension_views::counts_in_company(caller.db(), id)
        .await?
        .into_iter()
        .filter(|(domain_id, _)| actor.sees(Place::Domain { company_id: id, domain_id: *domain_id }))
        .collect();
    let suspended_total = suspended_by_domain.values().sum();
    let limits = limit_rules::company_view(caller.db(), actor, id).await?;
    let effective = limits.own.or(limits.inherited);
    // A domain admin sees only their domains' mailboxes: no company-wide sending figures.
    let hours = if actor.role == Role::Domain {
        Vec::new()
    } else {
        limits_usage::company_hourly(caller.db(), id, 24).await?
    };
    let sending_chart = sending_chart::sending_chart(&hours, effective.external_hourly, 640, 150);
    Ok(CompanyPage {
        limits,
        sending_chart,
        show_sending: actor.role != Role::Domain,
        layout: caller.layout(),
        can_edit: actor.may(Action::EditCompany, place),
        can_delete: actor.may(Action::ManageCompanies, place),
        can_add_domain: actor.may(Action::ManageDomains, place),
        can_read_audit: actor.role != Role::Domain,
        has_abuse_contact: contacts.iter().any(|c| c.kind == ContactKind::Abuse),
        contacts,
        suspended_total,
        suspended_by_domain,
        repeat_offenders: suspension_views::repeat_offenders(caller.db(), id, None).await?,
        company,
        domains,
    })
}

/// The form's fields as typed, so a refused form comes back with the input kept.
#[derive(Deserialize, Clone)]
pub struct CompanyForm {
    #[serde(default)]
    name: String,
    #[serde(default = "default_status")]
    status: String,
    #[serde(default = "default_allowance")]
    complaint_allowance: String,
}

fn default_status() -> String {
    "active".into()
}

fn default_allowance() -> String {
    ComplaintAllowance::DEFAULT.get().to_string()
}

impl Default for CompanyForm {
    fn default() -> Self {
        Self { name: String::new(), status: default_status(), complaint_allowance: default_allowance() }
    }
}

impl CompanyForm {
    fn parse(&self) -> Result<(CompanyName, CompanyPolicy), FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = errors.check("name", CompanyName::parse(&self.name));
        let status = errors.check("status", CompanyStatus::parse(&self.status));
        let allowance =
            errors.check("complaint_allowance", ComplaintAllowance::parse(&self.complaint_allowance));
        match (name, status, allowance) {
            (Some(name), Some(status), Some(complaint_allowance)) if errors.is_empty() => {
                Ok((name, CompanyPolicy { status, complaint_allowance }))
            }
            _ => Err(errors),
        }
    }
}

#[derive(Template)]
#[template(path = "companies/form.html")]
pub struct CompanyFormPage {
    layout: Layout,
    title: String,
    action_url: String,
    cancel_url: String,
    form: CompanyForm,
    errors: FieldErrors,
    /// Status and complaint allowance are the platform's to set.
    can_edit_policy: bool,
    /// Editing an existing company: its contacts are listed at the bottom.
    company_id: Option<i32>,
    contacts: Vec<Contact>,
}

impl CompanyFormPage {
    pub fn has_abuse_contact(&self) -> bool {
        self.contacts.iter().any(|c| c.kind == ContactKind::Abuse)
    }
}

pub async fn new_form(caller: Caller) -> Result<HttpResponse, WebError> {
    services::require(&caller.actor, Action::ManageCompanies, Place::Platform)?;
    let page = CompanyFormPage {
        layout: caller.layout(),
        title: "New company".into(),
        action_url: urls::new_company(),
        cancel_url: urls::companies(),
        form: CompanyForm::default(),
        errors: FieldErrors::default(),
        can_edit_policy: true,
        company_id: None,
        contacts: Vec::new(),
    };
    html(StatusCode::OK, &page)
}

pub async fn create(caller: Caller, form: web::Form<CompanyForm>) -> Result<HttpResponse, WebError> {
    services::require(&caller.actor, Action::ManageCompanies, Place::Platform)?;
    let form = form.into_inner();
    let result = match form.parse() {
        Ok((name, policy)) => companies::create(caller.db(), &caller.actor, name, policy).await,
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(id) => {
            caller.flash_success(format!("Company \"{}\" created.", form.name.trim()));
            Ok(see_other(urls::company(id)))
        }
        Err(ServiceError::Invalid(errors)) => invalid(&CompanyFormPage {
            layout: caller.layout(),
            title: "New company".into(),
            action_url: urls::new_company(),
            cancel_url: urls::companies(),
            form,
            errors,
            can_edit_policy: true,
            company_id: None,
            contacts: Vec::new(),
        }),
        Err(other) => Err(other.into()),
    }
}

pub async fn edit_form(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let company = companies::get_for(caller.db(), &caller.actor, id, Action::EditCompany).await?;
    let page = CompanyFormPage {
        layout: caller.layout(),
        title: format!("Edit Company: {}", company.name),
        action_url: urls::edit_company(id),
        cancel_url: urls::company(id),
        form: CompanyForm {
            name: company.name,
            status: company.status,
            complaint_allowance: company.complaint_allowance.to_string(),
        },
        errors: FieldErrors::default(),
        can_edit_policy: caller.actor.may(Action::ManageCompanies, Place::Company(id)),
        company_id: Some(id),
        contacts: abuse_contacts::list(caller.db(), &caller.actor, id).await?,
    };
    html(StatusCode::OK, &page)
}

pub async fn update(
    caller: Caller,
    path: web::Path<i32>,
    form: web::Form<CompanyForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let can_edit_policy = caller.actor.may(Action::ManageCompanies, Place::Company(id));
    let result = match form.parse() {
        Ok((name, policy)) => {
            let policy = can_edit_policy.then_some(policy);
            companies::update(caller.db(), &caller.actor, id, name, policy).await
        }
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(()) => {
            caller.flash_success("Company saved.");
            Ok(see_other(urls::company(id)))
        }
        Err(ServiceError::Invalid(errors)) => {
            // The service authorized before validating; a form refused before reaching it
            // is authorized here, so a caller who may not edit gets 404/403, not 422.
            companies::get_for(caller.db(), &caller.actor, id, Action::EditCompany).await?;
            invalid(&CompanyFormPage {
                layout: caller.layout(),
                title: "Edit Company".into(),
                action_url: urls::edit_company(id),
                cancel_url: urls::company(id),
                form,
                errors,
                can_edit_policy,
                company_id: Some(id),
                contacts: abuse_contacts::list(caller.db(), &caller.actor, id).await?,
            })
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn confirm_delete(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let company = companies::get_for(caller.db(), &caller.actor, id, Action::ManageCompanies).await?;
    deletion::ensure_deletable(caller.db(), Deletable::Company(id)).await?;
    let contents = companies::contents(caller.db(), &caller.actor, id).await?;
    let page = ConfirmPage {
        layout: caller.layout(),
        title: format!("Delete company {}", company.name),
        question: format!("Delete the company \"{}\" and everything in it?", company.name),
        consequences: vec![
            format!(
                "{} domains and their {} mailboxes, with all their mail settings",
                contents.domains, contents.mailboxes
            ),
            format!("{} admin users of this company", contents.admins),
        ],
        action_url: urls::delete_company(id),
        cancel_url: urls::company(id),
        button: "Delete company".into(),
    };
    html(StatusCode::OK, &page)
}

pub async fn delete(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let name = companies::delete(caller.db(), &caller.actor, path.into_inner()).await?;
    caller.flash_success(format!("Company \"{name}\" deleted."));
    Ok(see_other(urls::companies()))
}
