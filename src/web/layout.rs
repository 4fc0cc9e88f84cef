//! What every page's frame needs (navigation, flash, CSRF token), and the extractor that
//! turns a request into a signed-in [`Caller`].
use super::session::{self, Flash};
use super::{AppState, WebError, urls};
use crate::authz::{Action, Actor};
use crate::domain::Role;
use crate::services::access::admins;
use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use sea_orm::DatabaseConnection;
use std::future::Future;
use std::pin::Pin;

pub struct NavLink {
    pub label: &'static str,
    pub href: String,
}

pub struct NavUser {
    pub login: String,
    pub role_label: &'static str,
}

/// The frame of every page (`templates/base.html`).
pub struct Layout {
    pub csrf: String,
    pub flash: Option<Flash>,
    pub user: Option<NavUser>,
    pub nav: Vec<NavLink>,
}

impl Layout {
    /// For error pages and the sign-in page: no navigation.
    pub fn bare() -> Self {
        Self { csrf: String::new(), flash: None, user: None, nav: Vec::new() }
    }

    pub fn anonymous(session: &Session) -> Self {
        Self { csrf: session::csrf_token(session), flash: session::take_flash(session), ..Self::bare() }
    }
}

/// A signed-in request: who is asking, their session, the database.
pub struct Caller {
    pub actor: Actor,
    pub session: Session,
    state: web::Data<AppState>,
}

impl Caller {
    pub fn db(&self) -> &DatabaseConnection {
        &self.state.db
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The frame for a page rendered now; takes the pending flash message.
    pub fn layout(&self) -> Layout {
        let mut layout = self.frame();
        layout.flash = session::take_flash(&self.session);
        layout
    }

    /// The frame for an error page: the pending flash message stays for the next real page.
    pub fn error_layout(&self) -> Layout {
        self.frame()
    }

    fn frame(&self) -> Layout {
        let actor = &self.actor;
        let mut nav = vec![NavLink { label: "Home", href: urls::home() }];
        if actor.may(Action::View, crate::authz::Place::Platform) {
            nav.push(NavLink { label: "Companies", href: urls::companies() });
        } else if let (Role::Company, Some(company_id)) = (actor.role, actor.company_id) {
            nav.push(NavLink { label: "Company", href: urls::company(company_id) });
        }
        nav.push(NavLink { label: "Look-up", href: urls::lookup() });
        nav.push(NavLink { label: "Suspended", href: urls::suspended() });
        if actor.may(Action::View, crate::authz::Place::Platform) {
            nav.push(NavLink { label: "Complaints", href: urls::unattributed_complaints() });
            nav.push(NavLink { label: "Notices", href: urls::notices() });
        } else if let (Role::Company, Some(company_id)) = (actor.role, actor.company_id) {
            nav.push(NavLink { label: "Complaints", href: urls::company_complaints(company_id) });
        }
        if actor.may(Action::ManagePlatform, crate::authz::Place::Platform) {
            nav.push(NavLink { label: "API tokens", href: urls::tokens() });
        }
        if actor.may(Action::View, crate::authz::Place::Platform) {
            nav.push(NavLink { label: "Audit log", href: urls::audit() });
        } else if let (Role::Company, Some(company_id)) = (actor.role, actor.company_id) {
            nav.push(NavLink { label: "Audit log", href: urls::company_audit(company_id) });
        }
        if actor.role != Role::Domain {
            nav.push(NavLink { label: "Admin users", href: urls::admins() });
        }
        nav.push(NavLink { label: "My password", href: urls::account_password() });
        Layout {
            csrf: session::csrf_token(&self.session),
            flash: None,
            user: Some(NavUser { login: actor.login.clone(), role_label: actor.role.label() }),
            nav,
        }
    }

    pub fn flash_success(&self, message: impl Into<String>) {
        session::flash_success(&self.session, message);
    }
}

/// The client's address as the TCP peer; a proxy's forwarded header is not trusted.
pub fn client_addr(req: &HttpRequest) -> String {
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".into())
}

impl FromRequest for Caller {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| WebError::Internal("application state missing".into()))?;
            let session = req.get_session();
            let next = match req.query_string() {
                "" => req.path().to_owned(),
                query => format!("{}?{query}", req.path()),
            };
            let Some(admin_id) = session::admin_id(&session) else {
                return Err(WebError::SignInRequired { next });
            };
            let Some(token) = session::token(&session) else {
                // A cookie from before sessions were kept on the server.
                session::sign_out(&session);
                return Err(WebError::SignInRequired { next });
            };
            // Signed out elsewhere, password changed, or the admin deleted: the session is over.
            if !crate::services::access::sessions::is_live(&state.db, admin_id, &token).await? {
                session::sign_out(&session);
                return Err(WebError::SignInRequired { next });
            }
            let actor = admins::load_actor(&state.db, admin_id, client_addr(&req)).await?;
            match actor {
                Some(actor) => Ok(Caller { actor, session, state }),
                None => {
                    // The account was deleted while signed in.
                    session::sign_out(&session);
                    Err(WebError::SignInRequired { next })
                }
            }
        })
    }
}
