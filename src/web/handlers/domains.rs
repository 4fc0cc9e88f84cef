//! Domains: the domain page (its mailboxes, keyset-paginated), create, Edit Domain, delete.
use super::confirm::ConfirmPage;
use super::{html, invalid, see_other};
use crate::authz::{Action, Place};
use crate::domain::DomainName;
use crate::services::hierarchy::deletion::{self, Deletable};
use crate::services::hierarchy::mailbox_list::{self, ListQuery, MailboxRow, SortKey};
use crate::services::suspension::views::{self as suspension_views, RepeatOffender};
use crate::services::{common::FieldErrors, common::ServiceError, hierarchy::companies, hierarchy::domains};
use crate::web::layout::{Caller, Layout};
use crate::web::{WebError, urls};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct MailboxListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
    after: Option<i32>,
    before: Option<i32>,
    #[serde(default)]
    suspended: String,
}

pub struct SortLink {
    pub label: &'static str,
    pub href: String,
    /// "▲", "▼" or "" for the column the list is sorted by.
    pub marker: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "domains/show.html")]
pub struct DomainPage {
    layout: Layout,
    domain: domains::Domain,
    rows: Vec<MailboxRow>,
    total: u64,
    search: String,
    sort_links: Vec<SortLink>,
    prev_url: Option<String>,
    next_url: Option<String>,
    first_url: Option<String>,
    can_manage_mailboxes: bool,
    can_manage_domain: bool,
    can_see_company: bool,
    suspended_only: bool,
    suspended_count: i64,
    repeat_offenders: Vec<RepeatOffender>,
}

pub async fn show(
    caller: Caller,
    path: web::Path<i32>,
    params: web::Query<MailboxListParams>,
) -> Result<DomainPage, WebError> {
    let id = path.into_inner();
    let params = params.into_inner();
    let domain = domains::get(caller.db(), &caller.actor, id).await?;
    let sort = SortKey::parse(&params.sort);
    let descending = params.dir == "desc";
    let query = ListQuery {
        search: params.q.clone(),
        sort,
        descending,
        after: params.after,
        before: params.before,
        suspended_only: params.suspended == "1",
    };
    let page = mailbox_list::list(caller.db(), &caller.actor, &domain, &query).await?;
    let link = |sort: SortKey, desc: bool, cursor: Option<(&str, &str)>| {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if !params.q.is_empty() {
            pairs.push(("q", &params.q));
        }
        if params.suspended == "1" {
            pairs.push(("suspended", "1"));
        }
        pairs.push(("sort", sort.as_str()));
        pairs.push(("dir", if desc { "desc" } else { "asc" }));
        pairs.extend(cursor);
        format!("{}?{}", urls::domain(id), serde_urlencoded::to_string(pairs).unwrap_or_default())
    };
    let sort_links = [
        ("Address", SortKey::Address),
        ("Display name", SortKey::DisplayName),
        ("Created", SortKey::Created),
    ]
    .into_iter()
    .map(|(label, key)| {
        let current = key == sort;
        SortLink {
            label,
            href: link(key, current && !descending, None),
            marker: match (current, descending) {
                (false, _) => "",
                (true, false) => "▲",
                (true, true) => "▼",
            },
        }
    })
    .collect();
    let actor = &caller.actor;
    let paged = params.after.is_some() || params.before.is_some();
    let suspended_count = suspension_views::count_in_domain(caller.db(), domain.company_id, id).await?;
    let repeat_offenders =
        suspension_views::repeat_offenders(caller.db(), domain.company_id, Some(id)).await?;
    Ok(DomainPage {
        prev_url: page.prev.as_deref().map(|c| link(sort, descending, Some(("before", c)))),
        next_url: page.next.as_deref().map(|c| link(sort, descending, Some(("after", c)))),
        first_url: paged.then(|| link(sort, descending, None)),
        layout: caller.layout(),
        can_manage_mailboxes: actor.may(Action::ManageMailboxes, domain.place()),
        can_manage_domain: actor.may(Action::ManageDomains, domain.place()),
        can_see_company: actor.may(Action::View, Place::Company(domain.company_id)),
        domain,
        rows: page.rows,
        total: page.total,
        search: params.q,
        sort_links,
        suspended_only: params.suspended == "1",
        suspended_count,
        repeat_offenders,
    })
}

#[derive(Deserialize, Default, Clone)]
pub struct DomainForm {
    #[serde(default)]
    name: String,
    /// Edit Domain's checkbox: present when ticked.
    active: Option<String>,
}

#[derive(Template)]
#[template(path = "domains/form.html")]
pub struct DomainFormPage {
    layout: Layout,
    title: String,
    action_url: String,
    cancel_url: String,
    form: DomainForm,
    errors: FieldErrors,
    renaming: bool,
}

pub async fn new_form(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let company_id = path.into_inner();
    let company = companies::get_for(caller.db(), &caller.actor, company_id, Action::ManageDomains).await?;
    html(
        StatusCode::OK,
        &DomainFormPage {
            layout: caller.layout(),
            title: format!("New domain for {}", company.name),
            action_url: urls::new_domain(company_id),
            cancel_url: urls::company(company_id),
            form: DomainForm::default(),
            errors: FieldErrors::default(),
            renaming: false,
        },
    )
}

pub async fn create(
    caller: Caller,
    path: web::Path<i32>,
    form: web::Form<DomainForm>,
) -> Result<HttpResponse, WebError> {
    let company_id = path.into_inner();
    let form = form.into_inner();
    let result = match DomainName::parse(&form.name) {
        Ok(name) => domains::create(caller.db(), &caller.actor, company_id, name).await,
        Err(e) => Err(ServiceError::Invalid(FieldErrors::single("name", e.0))),
    };
    match result {
        Ok(id) => {
            caller.flash_success("Domain created.");
            Ok(see_other(urls::domain(id)))
        }
        Err(ServiceError::Invalid(errors)) => {
            // Authorization before validation: 404/403 for a caller who may not add domains here.
            companies::get_for(caller.db(), &caller.actor, company_id, Action::ManageDomains).await?;
            invalid(&DomainFormPage {
                layout: caller.layout(),
                title: "New domain".into(),
                action_url: urls::new_domain(company_id),
                cancel_url: urls::company(company_id),
                form,
                errors,
                renaming: false,
            })
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn edit_form(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let domain = domains::get_for(caller.db(), &caller.actor, id, Action::ManageDomains).await?;
    html(
        StatusCode::OK,
        &DomainFormPage {
            layout: caller.layout(),
            title: format!("Edit Domain: {}", domain.name),
            action_url: urls::edit_domain(id),
            cancel_url: urls::domain(id),
            form: DomainForm { name: domain.name, active: domain.active.then(|| "1".to_owned()) },
            errors: FieldErrors::default(),
            renaming: true,
        },
    )
}

pub async fn update(
    caller: Caller,
    path: web::Path<i32>,
    form: web::Form<DomainForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let result = match DomainName::parse(&form.name) {
        Ok(name) => domains::update(caller.db(), &caller.actor, id, name, form.active.is_some()).await,
        Err(e) => Err(ServiceError::Invalid(FieldErrors::single("name", e.0))),
    };
    match result {
        Ok(()) => {
            caller.flash_success("Domain saved.");
            Ok(see_other(urls::domain(id)))
        }
        Err(ServiceError::Invalid(errors)) => {
            domains::get_for(caller.db(), &caller.actor, id, Action::ManageDomains).await?;
            invalid(&DomainFormPage {
                layout: caller.layout(),
                title: "Edit Domain".into(),
                action_url: urls::edit_domain(id),
                cancel_url: urls::domain(id),
                form,
                errors,
                renaming: true,
            })
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn confirm_delete(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let domain = domains::get_for(caller.db(), &caller.actor, id, Action::ManageDomains).await?;
    deletion::ensure_deletable(caller.db(), Deletable::Domain(id)).await?;
    let mailboxes = domain.mailbox_count;
    html(
        StatusCode::OK,
        &ConfirmPage {
            layout: caller.layout(),
            title: format!("Delete domain {}", domain.name),
            question: format!("Delete the domain {} and all its mailboxes?", domain.name),
            consequences: vec![format!("{mailboxes} mailboxes of {}, with their settings", domain.name)],
            action_url: urls::delete_domain(id),
            cancel_url: urls::domain(id),
            button: "Delete domain".into(),
        },
    )
}

pub async fn delete(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let domain = domains::delete(caller.db(), &caller.actor, path.into_inner()).await?;
    caller.flash_success(format!("Domain {} deleted.", domain.name));
    Ok(see_other(urls::company(domain.company_id)))
}
