//! Company contacts (abuse, technical, billing), kept at the bottom of *Edit Company*.
use super::confirm::ConfirmPage;
use super::{html, invalid, see_other};
use crate::authz::Action;
use crate::domain::{ContactKind, DisplayName, MailboxAddress};
use crate::services::notices::contacts::{self as abuse_contacts, ContactInput};
use crate::services::{common::FieldErrors, common::ServiceError, hierarchy::companies};
use crate::web::layout::{Caller, Layout};
use crate::web::{WebError, urls};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Deserialize, Clone)]
pub struct ContactForm {
    #[serde(default = "default_kind")]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
}

fn default_kind() -> String {
    ContactKind::Abuse.as_str().into()
}

impl Default for ContactForm {
    fn default() -> Self {
        Self { kind: default_kind(), name: String::new(), email: String::new() }
    }
}

impl ContactForm {
    fn parse(&self) -> Result<ContactInput, FieldErrors> {
        let mut errors = FieldErrors::default();
        let kind = errors.check("kind", ContactKind::parse(&self.kind));
        let name = errors.check("name", DisplayName::parse(&self.name));
        let email = errors.check("email", MailboxAddress::parse(&self.email));
        match (kind, name, email) {
            (Some(kind), Some(name), Some(email)) if errors.is_empty() => {
                Ok(ContactInput { kind, name, email })
            }
            _ => Err(errors),
        }
    }
}

#[derive(Template)]
#[template(path = "contacts/form.html")]
pub struct ContactPage {
    layout: Layout,
    title: String,
    company_name: String,
    action_url: String,
    cancel_url: String,
    form: ContactForm,
    errors: FieldErrors,
    kinds: Vec<(&'static str, &'static str)>,
}

fn kinds() -> Vec<(&'static str, &'static str)> {
    ContactKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect()
}

pub async fn new_form(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let company =
        companies::get_for(caller.db(), &caller.actor, path.into_inner(), Action::EditCompany).await?;
    html(
        StatusCode::OK,
        &ContactPage {
            layout: caller.layout(),
            title: "New Contact".into(),
            action_url: urls::new_contact(company.id),
            cancel_url: urls::edit_company(company.id),
            company_name: company.name,
            form: ContactForm::default(),
            errors: FieldErrors::default(),
            kinds: kinds(),
        },
    )
}

pub async fn create(
    caller: Caller,
    path: web::Path<i32>,
    form: web::Form<ContactForm>,
) -> Result<HttpResponse, WebError> {
    let company_id = path.into_inner();
    let form = form.into_inner();
    // The service authorizes before it validates; a form refused before reaching it is
    // authorized when its page is loaded again below (404/403 before 422).
    let result = match form.parse() {
        Ok(input) => abuse_contacts::create(caller.db(), &caller.actor, company_id, input).await.map(|_| ()),
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(()) => {
            caller.flash_success(format!("Contact {} added.", form.email.trim()));
            Ok(see_other(urls::edit_company(company_id)))
        }
        Err(ServiceError::Invalid(errors)) => {
            let company =
                companies::get_for(caller.db(), &caller.actor, company_id, Action::EditCompany).await?;
            invalid(&ContactPage {
                layout: caller.layout(),
                title: "New Contact".into(),
                action_url: urls::new_contact(company.id),
                cancel_url: urls::edit_company(company.id),
                company_name: company.name,
                form,
                errors,
                kinds: kinds(),
            })
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn edit_form(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let contact =
        abuse_contacts::get_for(caller.db(), &caller.actor, path.into_inner(), Action::EditCompany).await?;
    let company = companies::get(caller.db(), &caller.actor, contact.company_id).await?;
    html(
        StatusCode::OK,
        &ContactPage {
            layout: caller.layout(),
            title: "Edit Contact".into(),
            action_url: urls::edit_contact(contact.id),
            cancel_url: urls::edit_company(company.id),
            company_name: company.name,
            form: ContactForm {
                kind: contact.kind.as_str().into(),
                name: contact.name,
                email: contact.email,
            },
            errors: FieldErrors::default(),
            kinds: kinds(),
        },
    )
}

pub async fn update(
    caller: Caller,
    path: web::Path<i32>,
    form: web::Form<ContactForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let result = match form.parse() {
        Ok(input) => abuse_contacts::update(caller.db(), &caller.actor, id, input).await,
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(contact) => {
            caller.flash_success("Contact saved.");
            Ok(see_other(urls::edit_company(contact.company_id)))
        }
        Err(ServiceError::Invalid(errors)) => {
            let contact =
                abuse_contacts::get_for(caller.db(), &caller.actor, id, Action::EditCompany).await?;
            let company = companies::get(caller.db(), &caller.actor, contact.company_id).await?;
            invalid(&ContactPage {
                layout: caller.layout(),
                title: "Edit Contact".into(),
                action_url: urls::edit_contact(id),
                cancel_url: urls::edit_company(company.id),
                company_name: company.name,
                form,
                errors,
                kinds: kinds(),
            })
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn confirm_delete(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let contact =
        abuse_contacts::get_for(caller.db(), &caller.actor, path.into_inner(), Action::EditCompany).await?;
    let company = companies::get(caller.db(), &caller.actor, contact.company_id).await?;
    let last = abuse_contacts::is_last_abuse_contact(caller.db(), &contact).await?;
    let mut consequences =
        vec![format!("The {} contact {}.", contact.kind.label().to_lowercase(), contact.email)];
    if last {
        consequences.push(format!(
            "This is the last abuse contact of {}: AUP notices will then go to the platform's address, and the \
             company will be flagged as having no abuse contact.",
            company.name
        ));
    }
    html(
        StatusCode::OK,
        &ConfirmPage {
            layout: caller.layout(),
            title: format!("Remove contact {}", contact.email),
            question: format!("Remove {} from the contacts of {}?", contact.email, company.name),
            consequences,
            action_url: if last {
                format!("{}?confirm_last=yes", urls::delete_contact(contact.id))
            } else {
                urls::delete_contact(contact.id)
            },
            cancel_url: urls::edit_company(company.id),
            button: "Remove contact".into(),
        },
    )
}

#[derive(Deserialize)]
pub struct DeleteQuery {
    #[serde(default)]
    confirm_last: String,
}

pub async fn delete(
    caller: Caller,
    path: web::Path<i32>,
    query: web::Query<DeleteQuery>,
) -> Result<HttpResponse, WebError> {
    let confirmed = query.confirm_last == "yes";
    let contact = abuse_contacts::delete(caller.db(), &caller.actor, path.into_inner(), confirmed).await?;
    caller.flash_success(format!("Contact {} removed.", contact.email));
    Ok(see_other(urls::edit_company(contact.company_id)))
}
