//! Platform settings: how long complaint samples, quarantined reports, sent notices, sign-in
//! records and the audit log are kept, what the last pruning removed, and pruning now.
use super::{html, invalid, see_other};
use crate::authz::{Action, Place};
use crate::domain::RetentionPolicy;
use crate::domain::retention::parse_days;
use crate::services::common::{self as services, FieldErrors, ServiceError};
use crate::services::retention;
use crate::web::layout::{Caller, Layout};
use crate::web::{WebError, urls};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Deserialize, Default, Clone)]
pub struct RetentionForm {
    #[serde(default)]
    complaint_samples: String,
    #[serde(default)]
    quarantine: String,
    #[serde(default)]
    sent_notices: String,
    #[serde(default)]
    sign_ins: String,
    #[serde(default)]
    audit: String,
}

impl RetentionForm {
    fn of(p: &RetentionPolicy) -> Self {
        let days = |d: Option<u32>| d.map(|d| d.to_string()).unwrap_or_default();
        Self {
            complaint_samples: days(p.complaint_samples),
            quarantine: days(p.quarantine),
            sent_notices: days(p.sent_notices),
            sign_ins: days(p.sign_ins),
            audit: days(p.audit),
        }
    }

    fn parse(&self) -> Result<RetentionPolicy, FieldErrors> {
        let mut errors = FieldErrors::default();
        let policy = RetentionPolicy {
            complaint_samples: errors
                .check("complaint_samples", parse_days(&self.complaint_samples))
                .flatten(),
            quarantine: errors.check("quarantine", parse_days(&self.quarantine)).flatten(),
            sent_notices: errors.check("sent_notices", parse_days(&self.sent_notices)).flatten(),
            sign_ins: errors.check("sign_ins", parse_days(&self.sign_ins)).flatten(),
            audit: errors.check("audit", parse_days(&self.audit)).flatten(),
        };
        if errors.is_empty() { Ok(policy) } else { Err(errors) }
    }
}

#[derive(Template)]
#[template(path = "retention.html")]
pub struct RetentionPage {
    layout: Layout,
    form: RetentionForm,
    errors: FieldErrors,
    last_run: Option<String>,
}

async fn page(caller: &Caller, form: RetentionForm, errors: FieldErrors) -> Result<RetentionPage, WebError> {
    Ok(RetentionPage {
        layout: caller.layout(),
        form,
        errors,
        last_run: retention::last_run(caller.db()).await?,
    })
}

pub async fn show(caller: Caller) -> Result<HttpResponse, WebError> {
    services::require(&caller.actor, Action::ManagePlatform, Place::Platform)?;
    let policy = retention::policy(caller.db()).await?;
    html(StatusCode::OK, &page(&caller, RetentionForm::of(&policy), FieldErrors::default()).await?)
}

pub async fn save(caller: Caller, form: web::Form<RetentionForm>) -> Result<HttpResponse, WebError> {
    services::require(&caller.actor, Action::ManagePlatform, Place::Platform)?;
    let form = form.into_inner();
    let result = match form.parse() {
        Ok(policy) => retention::save(caller.db(), &caller.actor, policy).await,
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(()) => {
            caller.flash_success("Retention saved. The next daily run prunes by it.");
            Ok(see_other(urls::retention()))
        }
        Err(ServiceError::Invalid(errors)) => invalid(&page(&caller, form, errors).await?),
        Err(other) => Err(other.into()),
    }
}

/// Prunes now, by the saved policy (the daily run does the same).
pub async fn prune_now(caller: Caller) -> Result<HttpResponse, WebError> {
    services::require(&caller.actor, Action::ManagePlatform, Place::Platform)?;
    let policy = retention::policy(caller.db()).await?;
    let pruned = retention::prune(caller.db(), &policy, chrono::Utc::now()).await?;
    caller.flash_success(format!("Pruned {pruned}."));
    Ok(see_other(urls::retention()))
}
