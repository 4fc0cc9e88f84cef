//! API tokens for the complaint intake: the list, a new token (shown once), revoking one.
//! Platform admins only; the service authorizes every call.
use super::{html, invalid, see_other};
use crate::services::access::api_tokens::{self, ApiToken};
use crate::services::common::ServiceError;
use crate::web::layout::{Caller, Layout};
use crate::web::{WebError, urls};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "tokens/list.html")]
pub struct TokensPage {
    layout: Layout,
    tokens: Vec<ApiToken>,
    /// The name typed into the form (a field called `name` would be shadowed in the macro).
    token_name: String,
    error: Option<String>,
    problem: Option<String>,
}

async fn tokens_page(
    caller: &Caller,
    name: String,
    error: Option<String>,
    problem: Option<String>,
) -> Result<TokensPage, WebError> {
    let tokens = api_tokens::list(caller.db(), &caller.actor).await?;
    Ok(TokensPage { layout: caller.layout(), tokens, token_name: name, error, problem })
}

/// `GET /tokens`.
pub async fn list(caller: Caller) -> Result<HttpResponse, WebError> {
    html(StatusCode::OK, &tokens_page(&caller, String::new(), None, None).await?)
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

#[derive(Template)]
#[template(path = "tokens/created.html")]
pub struct TokenCreatedPage {
    layout: Layout,
    id: i32,
    name: String,
    token: String,
}

/// `POST /tokens/new`: the token is shown on the answer itself, once; it is stored only as a
/// hash, so a redirect could not show it again.
pub async fn create(caller: Caller, form: web::Form<TokenForm>) -> Result<HttpResponse, WebError> {
    let name = form.into_inner().name;
    match api_tokens::create(caller.db(), &caller.actor, &name).await {
        Ok((id, token)) => html(
            StatusCode::OK,
            &TokenCreatedPage { layout: caller.layout(), id, name: name.trim().to_owned(), token },
        ),
        Err(ServiceError::Invalid(errors)) => {
            let error = errors.get("name").map(str::to_owned);
            invalid(&tokens_page(&caller, name, error, None).await?)
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /tokens/{id}/revoke`.
pub async fn revoke(caller: Caller, path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    match api_tokens::revoke(caller.db(), &caller.actor, path.into_inner()).await {
        Ok(token) => {
            caller.state().tokens.forget_all();
            caller.flash_success(format!(
                "Token \"{}\" revoked: whatever uses it can no longer post complaints.",
                token.name
            ));
            Ok(see_other(urls::tokens()))
        }
        Err(ServiceError::Conflict(message)) => {
            html(StatusCode::CONFLICT, &tokens_page(&caller, String::new(), None, Some(message)).await?)
        }
        Err(other) => Err(other.into()),
    }
}
