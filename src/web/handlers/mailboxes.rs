//! Mailboxes: create, Edit Mailbox (with its Status line), set password, delete.
use super::confirm::ConfirmPage;
use super::{html, invalid, see_other};
use crate::authz::{Action, Place};
use crate::domain::{DisplayName, LocalPart, Quota, QuotaUsage, Service, ServiceState};
use crate::services::common::passwords::{self, Secret};
use crate::services::hierarchy::deletion::{self, Deletable};
use crate::services::hierarchy::mailboxes::{self, Mailbox, MailboxEdit, NewMailbox};
use crate::services::{common::FieldErrors, common::ServiceError, hierarchy::domains};
use crate::web::layout::{Caller, Layout};
use crate::web::{WebError, urls};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Deserialize, Default, Clone)]
pub struct NewMailboxForm {
    #[serde(default)]
    local_part: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

impl NewMailboxForm {
    fn parse(&self) -> Result<NewMailbox, FieldErrors> {
        let mut errors = FieldErrors::default();
        let local_part = errors.check("local_part", LocalPart::parse(&self.local_part));
        let display_name = errors.check("display_name", DisplayName::parse(&self.display_name));
        check_password_pair(&mut errors, &self.password, &self.confirm);
        match (local_part, display_name) {
            (Some(local_part), Some(display_name)) if errors.is_empty() => {
                Ok(NewMailbox { local_part, display_name, password: Secret::new(self.password.clone()) })
            }
            _ => Err(errors),
        }
    }

    /// Passwords are never sent back to the browser.
    fn without_passwords(self) -> Self {
        Self { password: String::new(), confirm: String::new(), ..self }
    }
}

fn check_password_pair(errors: &mut FieldErrors, password: &str, confirm: &str) {
    if let Err(message) = passwords::check_strength(&Secret::new(password.to_owned())) {
        errors.add("password", message);
    } else if password != confirm {
        errors.add("confirm", "The two passwords differ.");
    }
}

#[derive(Template)]
#[template(path = "mailboxes/new.html")]
pub struct NewMailboxPage {
    layout: Layout,
    domain: domains::Domain,
    form: NewMailboxForm,
    errors: FieldErrors,
}

pub async fn new_form(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let domain =
        domains::get_for(caller.db(), &caller.actor, path.into_inner(), Action::ManageMailboxes).await?;
    let page = NewMailboxPage {
        layout: caller.layout(),
        domain,
        form: NewMailboxForm::default(),
        errors: FieldErrors::default(),
    };
    html(StatusCode::OK, &page)
}

pub async fn create(
    caller: Caller,
    path: web::Path<i32>,
    form: web::Form<NewMailboxForm>,
) -> Result<HttpResponse, WebError> {
    let domain_id = path.into_inner();
    let form = form.into_inner();
    // The service authorizes before it looks at the input, so another company's admin gets
    // 404 here rather than a list of field errors.
    let result = match form.parse() {
        Ok(new) => mailboxes::create(caller.db(), &caller.actor, domain_id, new).await,
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(mailbox) => {
            caller.flash_success(format!("Mailbox {} created.", mailbox.address));
            Ok(see_other(urls::mailbox(mailbox.id)))
        }
        Err(ServiceError::Invalid(errors)) => {
            let domain =
                domains::get_for(caller.db(), &caller.actor, domain_id, Action::ManageMailboxes).await?;
            invalid(&NewMailboxPage {
                layout: caller.layout(),
                domain,
                form: form.without_passwords(),
                errors,
            })
        }
        Err(other) => Err(other.into()),
    }
}

pub struct ServiceLine {
    pub key: &'static str,
    pub label: &'static str,
    pub state: ServiceState,
}

#[derive(Template)]
#[template(path = "mailboxes/edit.html")]
pub struct EditMailboxPage {
    layout: Layout,
    mailbox: Mailbox,
    display_name: String,
    quota: String,
    /// "12.5 MB of 1024 MB (1 %) in 42 messages", or why there is none.
    usage: String,
    services: Vec<ServiceLine>,
    errors: FieldErrors,
    can_manage: bool,
    can_see_company: bool,
}

impl EditMailboxPage {
    fn new(
        caller: &Caller,
        (mailbox, usage): (Mailbox, Option<QuotaUsage>),
        (display_name, quota): (String, String),
        errors: FieldErrors,
    ) -> Self {
        let usage = match usage {
            Some(u) => format!(
                "{} in {} {}",
                u.describe(Quota::from_megabytes(mailbox.quota_mb)),
                u.messages,
                if u.messages == 1 { "message" } else { "messages" }
            ),
            None => "not reported yet (Dovecot reports it after the first delivery)".into(),
        };
        let services = mailbox
            .services
            .iter()
            .map(|(service, state)| ServiceLine { key: service.key(), label: service.label(), state })
            .collect();
        Self {
            layout: caller.layout(),
            can_manage: caller.actor.may(Action::ManageMailboxes, mailbox.place()),
            can_see_company: caller.actor.may(Action::View, Place::Company(mailbox.domain.company_id)),
            mailbox,
            display_name,
            quota,
            usage,
            services,
            errors,
        }
    }
}

pub async fn edit_form(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let mailbox = mailboxes::get(caller.db(), &caller.actor, path.into_inner()).await?;
    let inputs = (mailbox.display_name.clone(), mailbox.quota_mb.to_string());
    let usage = mailboxes::usage(caller.db(), &mailbox).await?;
    html(StatusCode::OK, &EditMailboxPage::new(&caller, (mailbox, usage), inputs, FieldErrors::default()))
}

/// Edit Mailbox posts the display name, the quota and one `svc_<key>` checkbox per enabled service.
pub async fn update(
    caller: Caller,
    path: web::Path<i32>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let fields = form.into_inner();
    let input =
        |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let (display_name_input, quota_input) = (input("display_name"), input("quota_mb"));
    let wanted: Vec<(Service, bool)> = Service::ALL
        .into_iter()
        .map(|service| {
            let key = format!("svc_{}", service.key());
            (service, fields.iter().any(|(k, _)| *k == key))
        })
        .collect();
    let mut errors = FieldErrors::default();
    let display_name = errors.check("display_name", DisplayName::parse(&display_name_input));
    let quota = errors.check("quota_mb", Quota::parse(&quota_input));
    let result = match (display_name, quota, errors.into_result()) {
        (Some(display_name), Some(quota), Ok(())) => {
            let edit = MailboxEdit { display_name, services: &wanted, quota };
            mailboxes::update(caller.db(), &caller.actor, id, edit).await
        }
        (_, _, result) => result,
    };
    match result {
        Ok(()) => {
            caller.flash_success("Mailbox saved.");
            Ok(see_other(urls::mailbox(id)))
        }
        Err(ServiceError::Invalid(errors)) => {
            let mailbox = mailboxes::get_for(caller.db(), &caller.actor, id, Action::ManageMailboxes).await?;
            let usage = mailboxes::usage(caller.db(), &mailbox).await?;
            invalid(&EditMailboxPage::new(
                &caller,
                (mailbox, usage),
                (display_name_input, quota_input),
                errors,
            ))
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "mailboxes/password.html")]
pub struct MailboxPasswordPage {
    layout: Layout,
    mailbox: Mailbox,
    errors: FieldErrors,
}

pub async fn password_form(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let mailbox =
        mailboxes::get_for(caller.db(), &caller.actor, path.into_inner(), Action::ManageMailboxes).await?;
    html(
        StatusCode::OK,
        &MailboxPasswordPage { layout: caller.layout(), mailbox, errors: FieldErrors::default() },
    )
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn set_password(
    caller: Caller,
    path: web::Path<i32>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    check_password_pair(&mut errors, &form.password, &form.confirm);
    let result = match errors.into_result() {
        Ok(()) => mailboxes::set_password(caller.db(), &caller.actor, id, Secret::new(form.password)).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => {
            caller.flash_success("The mailbox's password has been set.");
            Ok(see_other(urls::mailbox(id)))
        }
        Err(ServiceError::Invalid(errors)) => {
            let mailbox = mailboxes::get_for(caller.db(), &caller.actor, id, Action::ManageMailboxes).await?;
            invalid(&MailboxPasswordPage { layout: caller.layout(), mailbox, errors })
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn confirm_delete(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let mailbox =
        mailboxes::get_for(caller.db(), &caller.actor, path.into_inner(), Action::ManageMailboxes).await?;
    deletion::ensure_deletable(caller.db(), Deletable::Mailbox(mailbox.id)).await?;
    html(
        StatusCode::OK,
        &ConfirmPage {
            layout: caller.layout(),
            title: format!("Delete mailbox {}", mailbox.address),
            question: format!("Delete the mailbox {}?", mailbox.address),
            consequences: vec![
                "The mailbox and its settings; the user can no longer sign in.".into(),
                "Mail to this address will be refused.".into(),
            ],
            action_url: urls::delete_mailbox(mailbox.id),
            cancel_url: urls::mailbox(mailbox.id),
            button: "Delete mailbox".into(),
        },
    )
}

pub async fn delete(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let mailbox = mailboxes::delete(caller.db(), &caller.actor, path.into_inner()).await?;
    caller.flash_success(format!("Mailbox {} deleted.", mailbox.address));
    Ok(see_other(urls::domain(mailbox.domain.id)))
}
