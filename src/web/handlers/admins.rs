//! Admin users, managed by those above them.
use super::confirm::ConfirmPage;
use super::{html, invalid, see_other};
use crate::authz::Action;
use crate::domain::{AdminLogin, Role};
use crate::services::access::admins::{self, AdminUser, NewAdmin};
use crate::services::common::passwords::Secret;
use crate::services::{common::FieldErrors, common::ServiceError, hierarchy::companies, hierarchy::domains};
use crate::web::layout::{Caller, Layout};
use crate::web::{WebError, urls};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

#[derive(Template)]
#[template(path = "admins/list.html")]
pub struct AdminsPage {
    layout: Layout,
    rows: Vec<AdminUser>,
    can_create: bool,
}

/// Roles the actor may create, for the role menu.
fn creatable_roles(caller: &Caller) -> Vec<Role> {
    let place = caller.actor.home();
    Role::ALL.into_iter().filter(|role| caller.actor.may(Action::ManageAdmins(*role), place)).collect()
}

pub async fn list(caller: Caller) -> Result<HttpResponse, WebError> {
    let rows = admins::list(caller.db(), &caller.actor).await?;
    let can_create = !creatable_roles(&caller).is_empty();
    html(StatusCode::OK, &AdminsPage { layout: caller.layout(), rows, can_create })
}

/// The admin form's fields as typed; `domain_ids` may repeat.
#[derive(Default, Clone)]
pub struct AdminForm {
    login: String,
    role: String,
    company_id: String,
    domain_ids: Vec<i32>,
    password: String,
    confirm: String,
}

impl AdminForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = AdminForm::default();
        for (key, value) in pairs {
            match key.as_str() {
                "login" => form.login = value,
                "role" => form.role = value,
                "company_id" => form.company_id = value,
                "domain_ids" => form.domain_ids.extend(value.parse::<i32>().ok()),
                "password" => form.password = value,
                "confirm" => form.confirm = value,
                _ => {}
            }
        }
        form
    }

    fn parse(&self) -> Result<NewAdmin, FieldErrors> {
        let mut errors = FieldErrors::default();
        let login = errors.check("login", AdminLogin::parse(&self.login));
        let role = errors.check("role", Role::parse(&self.role));
        if self.password != self.confirm {
            errors.add("confirm", "The two passwords differ.");
        }
        match (login, role) {
            (Some(login), Some(role)) if errors.is_empty() => Ok(NewAdmin {
                login,
                role,
                company_id: self.company_id.parse().ok(),
                domain_ids: self.domain_ids.clone(),
                password: Secret::new(self.password.clone()),
            }),
            _ => Err(errors),
        }
    }

    pub fn has_domain(&self, id: &i32) -> bool {
        self.domain_ids.contains(id)
    }

    pub fn is_company(&self, id: &i32) -> bool {
        self.company_id == id.to_string()
    }
}

#[derive(Template)]
#[template(path = "admins/new.html")]
pub struct NewAdminPage {
    layout: Layout,
    form: AdminForm,
    errors: FieldErrors,
    roles: Vec<Role>,
    companies: Vec<(i32, String)>,
    domains: Vec<domains::DomainRow>,
}

async fn new_admin_page(
    caller: &Caller,
    form: AdminForm,
    errors: FieldErrors,
) -> Result<NewAdminPage, WebError> {
    let roles = creatable_roles(caller);
    if roles.is_empty() {
        return Err(WebError::Forbidden);
    }
    Ok(NewAdminPage {
        layout: caller.layout(),
        form: AdminForm { password: String::new(), confirm: String::new(), ..form },
        errors,
        roles,
        companies: companies::names_in_scope(caller.db(), &caller.actor).await?,
        domains: domains::list(caller.db(), &caller.actor, None).await?,
    })
}

pub async fn new_form(caller: Caller) -> Result<HttpResponse, WebError> {
    let form = AdminForm { role: "domain".into(), ..AdminForm::default() };
    html(StatusCode::OK, &new_admin_page(&caller, form, FieldErrors::default()).await?)
}

pub async fn create(
    caller: Caller,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let form = AdminForm::from_pairs(form.into_inner());
    if creatable_roles(&caller).is_empty() {
        return Err(WebError::Forbidden);
    }
    let result = match form.parse() {
        Ok(new) => admins::create(caller.db(), &caller.actor, new).await,
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(id) => {
            caller.flash_success(format!("Admin user {} created.", form.login.trim().to_lowercase()));
            Ok(see_other(urls::admin(id)))
        }
        Err(ServiceError::Invalid(errors)) => invalid(&new_admin_page(&caller, form, errors).await?),
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "admins/show.html")]
pub struct AdminPage {
    layout: Layout,
    admin: AdminUser,
    errors: FieldErrors,
    can_manage: bool,
    can_set_password: bool,
    domain_choices: Vec<domains::DomainRow>,
}

impl AdminPage {
    pub fn has_domain(&self, id: &i32) -> bool {
        self.admin.domains.iter().any(|(d, _)| d == id)
    }
}

async fn admin_page(caller: &Caller, id: i32, errors: FieldErrors) -> Result<AdminPage, WebError> {
    let admin = admins::get(caller.db(), &caller.actor, id).await?;
    let can_manage =
        caller.actor.authorize_on_admin(admins::manage(admin.role), admin.place(), admin.id).is_ok();
    let domain_choices = match (admin.role, admin.company_id, can_manage) {
        (Role::Domain, Some(company_id), true) => {
            domains::list(caller.db(), &caller.actor, Some(company_id)).await?
        }
        _ => Vec::new(),
    };
    Ok(AdminPage {
        layout: caller.layout(),
        can_set_password: can_manage || admin.id == caller.actor.admin_id,
        admin,
        errors,
        can_manage,
        domain_choices,
    })
}

pub async fn show(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    html(StatusCode::OK, &admin_page(&caller, path.into_inner(), FieldErrors::default()).await?)
}

pub async fn set_domains(
    caller: Caller,
    path: web::Path<i32>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let ids: Vec<i32> = form
        .into_inner()
        .into_iter()
        .filter(|(k, _)| k == "domain_ids")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    match admins::set_domains(caller.db(), &caller.actor, id, &ids).await {
        Ok(()) => {
            caller.flash_success("Domains saved.");
            Ok(see_other(urls::admin(id)))
        }
        Err(ServiceError::Invalid(errors)) => invalid(&admin_page(&caller, id, errors).await?),
        Err(other) => Err(other.into()),
    }
}

pub async fn set_password(
    caller: Caller,
    path: web::Path<i32>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let form = AdminForm::from_pairs(form.into_inner());
    let result = if form.password != form.confirm {
        // Authorization before validation: someone who may not set it gets 404/403, not 422.
        admins::get_for_password(caller.db(), &caller.actor, id).await?;
        Err(ServiceError::Invalid(FieldErrors::single("confirm", "The two passwords differ.")))
    } else {
        admins::reset_password(caller.db(), &caller.actor, id, Secret::new(form.password)).await
    };
    match result {
        Ok(()) => {
            caller.flash_success("Password set.");
            Ok(see_other(urls::admin(id)))
        }
        Err(ServiceError::Invalid(errors)) => invalid(&admin_page(&caller, id, errors).await?),
        Err(other) => Err(other.into()),
    }
}

pub async fn confirm_delete(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let admin = admins::get(caller.db(), &caller.actor, id).await?;
    let admin = admins::get_for(caller.db(), &caller.actor, id, admins::manage(admin.role)).await?;
    html(
        StatusCode::OK,
        &ConfirmPage {
            layout: caller.layout(),
            title: format!("Delete admin user {}", admin.login),
            question: format!("Delete the admin user {}?", admin.login),
            consequences: vec![format!("{} can no longer sign in.", admin.login)],
            action_url: urls::delete_admin(admin.id),
            cancel_url: urls::admin(admin.id),
            button: "Delete admin user".into(),
        },
    )
}

pub async fn delete(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let admin = admins::delete(caller.db(), &caller.actor, path.into_inner()).await?;
    caller.flash_success(format!("Admin user {} deleted.", admin.login));
    Ok(see_other(urls::admins()))
}
