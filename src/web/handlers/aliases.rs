//! Aliases and catch-alls of a domain (list, new, edit, delete) and a mailbox's forward.
use super::confirm::ConfirmPage;
use super::{html, invalid, see_other};
use crate::authz::{Action, Place};
use crate::domain::{AliasName, Targets};
use crate::services::common::{FieldErrors, ServiceError};
use crate::services::hierarchy::alias_list::{self, AliasRow, ListQuery};
use crate::services::hierarchy::forwarding::{self, Alias};
use crate::services::hierarchy::{domains, mailboxes};
use crate::web::layout::{Caller, Layout};
use crate::web::{WebError, urls};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct ListParams {
    #[serde(default)]
    q: String,
    after: Option<i32>,
    before: Option<i32>,
}

#[derive(Template, WebTemplate)]
#[template(path = "aliases/list.html")]
pub struct AliasListPage {
    layout: Layout,
    domain: domains::Domain,
    rows: Vec<AliasRow>,
    total: u64,
    search: String,
    prev_url: Option<String>,
    next_url: Option<String>,
    first_url: Option<String>,
    can_manage: bool,
    can_see_company: bool,
}

pub async fn list(
    caller: Caller,
    path: web::Path<i32>,
    params: web::Query<ListParams>,
) -> Result<AliasListPage, WebError> {
    let id = path.into_inner();
    let params = params.into_inner();
    let domain = domains::get(caller.db(), &caller.actor, id).await?;
    let query = ListQuery { search: params.q.clone(), after: params.after, before: params.before };
    let page = alias_list::list(caller.db(), &caller.actor, &domain, &query).await?;
    let link = |cursor: Option<(&str, &str)>| {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if !params.q.is_empty() {
            pairs.push(("q", &params.q));
        }
        pairs.extend(cursor);
        let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
        if query.is_empty() { urls::aliases(id) } else { format!("{}?{query}", urls::aliases(id)) }
    };
    let paged = params.after.is_some() || params.before.is_some();
    Ok(AliasListPage {
        prev_url: page.prev.as_deref().map(|c| link(Some(("before", c)))),
        next_url: page.next.as_deref().map(|c| link(Some(("after", c)))),
        first_url: paged.then(|| link(None)),
        layout: caller.layout(),
        can_manage: caller.actor.may(Action::ManageMailboxes, domain.place()),
        can_see_company: caller.actor.may(Action::View, Place::Company(domain.company_id)),
        domain,
        rows: page.rows,
        total: page.total,
        search: params.q,
    })
}

#[derive(Deserialize, Default, Clone)]
pub struct AliasForm {
    #[serde(default)]
    local_part: String,
    #[serde(default)]
    targets: String,
}

#[derive(Template)]
#[template(path = "aliases/form.html")]
pub struct AliasFormPage {
    layout: Layout,
    domain: domains::Domain,
    /// `None` when creating.
    alias: Option<Alias>,
    form: AliasForm,
    errors: FieldErrors,
}

pub async fn new_form(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let domain =
        domains::get_for(caller.db(), &caller.actor, path.into_inner(), Action::ManageMailboxes).await?;
    let page = AliasFormPage {
        layout: caller.layout(),
        domain,
        alias: None,
        form: AliasForm::default(),
        errors: FieldErrors::default(),
    };
    html(StatusCode::OK, &page)
}

pub async fn create(
    caller: Caller,
    path: web::Path<i32>,
    form: web::Form<AliasForm>,
) -> Result<HttpResponse, WebError> {
    let domain_id = path.into_inner();
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    let name = errors.check("local_part", AliasName::parse(&form.local_part));
    let targets = errors.check("targets", Targets::parse(&form.targets));
    let result = match (name, targets) {
        (Some(name), Some(targets)) if errors.is_empty() => {
            forwarding::create(caller.db(), &caller.actor, domain_id, name, targets).await
        }
        _ => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(alias) => {
            caller.flash_success(format!("Alias {} created.", alias.address));
            Ok(see_other(urls::aliases(domain_id)))
        }
        Err(ServiceError::Invalid(errors)) => {
            // Authorization before validation: 404/403 for a caller who may not add aliases here.
            let domain =
                domains::get_for(caller.db(), &caller.actor, domain_id, Action::ManageMailboxes).await?;
            invalid(&AliasFormPage { layout: caller.layout(), domain, alias: None, form, errors })
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn edit_form(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let alias =
        forwarding::get_for(caller.db(), &caller.actor, path.into_inner(), Action::ManageMailboxes).await?;
    let form = AliasForm { local_part: alias.local_part.clone(), targets: alias.targets.join("\n") };
    let page = AliasFormPage {
        layout: caller.layout(),
        domain: alias.domain.clone(),
        alias: Some(alias),
        form,
        errors: FieldErrors::default(),
    };
    html(StatusCode::OK, &page)
}

pub async fn update(
    caller: Caller,
    path: web::Path<i32>,
    form: web::Form<AliasForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let result = match Targets::parse(&form.targets) {
        Ok(targets) => forwarding::update(caller.db(), &caller.actor, id, targets).await,
        Err(e) => Err(ServiceError::Invalid(FieldErrors::single("targets", e.0))),
    };
    match result {
        Ok(alias) => {
            caller.flash_success(format!("Alias {} saved.", alias.address));
            Ok(see_other(urls::aliases(alias.domain.id)))
        }
        Err(ServiceError::Invalid(errors)) => {
            let alias = forwarding::get_for(caller.db(), &caller.actor, id, Action::ManageMailboxes).await?;
            let domain = alias.domain.clone();
            invalid(&AliasFormPage { layout: caller.layout(), domain, alias: Some(alias), form, errors })
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn confirm_delete(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let alias =
        forwarding::get_for(caller.db(), &caller.actor, path.into_inner(), Action::ManageMailboxes).await?;
    let what = if alias.is_catch_all() {
        format!("the catch-all of {}", alias.domain.name)
    } else {
        format!("the alias {}", alias.address)
    };
    html(
        StatusCode::OK,
        &ConfirmPage {
            layout: caller.layout(),
            title: format!("Delete {what}"),
            question: format!("Delete {what}?"),
            consequences: vec![
                format!("Mail to {} will no longer reach {}.", alias.address, alias.targets.join(", ")),
                "Mail to that address will be refused, unless the domain has a catch-all.".into(),
            ],
            action_url: urls::delete_alias(alias.id),
            cancel_url: urls::alias(alias.id),
            button: "Delete alias".into(),
        },
    )
}

pub async fn delete(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let alias = forwarding::delete(caller.db(), &caller.actor, path.into_inner()).await?;
    caller.flash_success(format!("Alias {} deleted.", alias.address));
    Ok(see_other(urls::aliases(alias.domain.id)))
}

#[derive(Deserialize, Default, Clone)]
pub struct ForwardForm {
    #[serde(default)]
    targets: String,
    /// A checkbox: present when ticked.
    keep_copy: Option<String>,
}

#[derive(Template)]
#[template(path = "mailboxes/forward.html")]
pub struct ForwardPage {
    layout: Layout,
    mailbox: mailboxes::Mailbox,
    targets: String,
    keep_copy: bool,
    errors: FieldErrors,
}

pub async fn forward_form(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let mailbox =
        mailboxes::get_for(caller.db(), &caller.actor, path.into_inner(), Action::ManageMailboxes).await?;
    let (targets, keep_copy) = (mailbox.forward_to.join("\n"), mailbox.forward_keep_copy);
    html(
        StatusCode::OK,
        &ForwardPage { layout: caller.layout(), mailbox, targets, keep_copy, errors: FieldErrors::default() },
    )
}

/// Saves a mailbox's forward; an empty target list removes it.
pub async fn forward_save(
    caller: Caller,
    path: web::Path<i32>,
    form: web::Form<ForwardForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let keep_copy = form.keep_copy.is_some();
    let result = if form.targets.trim().is_empty() {
        forwarding::set_forward(caller.db(), &caller.actor, id, None, true).await
    } else {
        match Targets::parse(&form.targets) {
            Ok(targets) => {
                forwarding::set_forward(caller.db(), &caller.actor, id, Some(targets), keep_copy).await
            }
            Err(e) => Err(ServiceError::Invalid(FieldErrors::single("targets", e.0))),
        }
    };
    match result {
        Ok(()) => {
            let message = if form.targets.trim().is_empty() { "Forward removed." } else { "Forward saved." };
            caller.flash_success(message);
            Ok(see_other(urls::mailbox(id)))
        }
        Err(ServiceError::Invalid(errors)) => {
            let mailbox = mailboxes::get_for(caller.db(), &caller.actor, id, Action::ManageMailboxes).await?;
            let page =
                ForwardPage { layout: caller.layout(), mailbox, targets: form.targets, keep_copy, errors };
            invalid(&page)
        }
        Err(other) => Err(other.into()),
    }
}
