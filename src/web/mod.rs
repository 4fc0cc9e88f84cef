//! The dashboard: actix-web, server-rendered askama pages, cookie sessions, CSRF on every form.
pub mod chart;
pub mod csrf;
pub mod error;
pub mod handlers;
pub mod layout;
pub mod metrics;
pub mod request_log;
pub mod routes;
pub mod sending_chart;
pub mod session;
pub mod urls;

use crate::services::access::sign_in::SignInThrottle;
use actix_session::SessionMiddleware;
use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite, time::Duration as CookieDuration};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use sea_orm::DatabaseConnection;
use std::net::TcpListener;

pub use error::WebError;

/// Shared by every request.
pub struct AppState {
    pub db: DatabaseConnection,
    pub throttle: SignInThrottle,
    /// Live API tokens seen lately (see [`crate::services::access::api_tokens::TokenCache`]).
    pub tokens: crate::services::access::api_tokens::TokenCache,
    pub intake: IntakeConfig,
    pub enforcement: EnforcementConfig,
}

/// What the webmail API says when sending is refused: the policy service's words.
#[derive(Debug, Clone)]
pub struct EnforcementConfig {
    /// The text of the configured refusal without its SMTP codes ("Sending failed").
    pub send_refused_message: String,
    /// The text of the configured pause at a limit ("Too many recipients, try again later").
    pub limit_deferred_message: String,
}

/// What the complaint intake needs from the configuration.
#[derive(Debug, Clone)]
pub struct IntakeConfig {
    pub settings: crate::services::notices::outbox::NoticeSettings,
    pub max_report_bytes: usize,
    /// Stores the API's reports in batches (group commit).
    pub writer: crate::services::complaints::writer::ComplaintWriter,
}

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "mailadmin_session";

/// No inline script or style anywhere, so the policy can forbid both.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn server(
    listener: TcpListener,
    db: DatabaseConnection,
    key: Key,
    web: &crate::config::WebArgs,
    intake: IntakeConfig,
    enforcement: EnforcementConfig,
) -> std::io::Result<actix_web::dev::Server> {
    let state = web::Data::new(AppState {
        db,
        throttle: SignInThrottle::default(),
        tokens: Default::default(),
        intake,
        enforcement,
    });
    let secure_cookies = web.secure_cookies;
    let server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
            .cookie_name(SESSION_COOKIE.to_owned())
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Lax)
            .cookie_secure(secure_cookies)
            .cookie_content_security(CookieContentSecurity::Private)
            .session_lifecycle(PersistentSession::default().session_ttl(CookieDuration::hours(12)))
            .build();
        App::new()
            .app_data(state.clone())
            // The CSRF check reads form bodies whole; the paste page may carry a full report.
            .app_data(web::PayloadConfig::new(state.intake.max_report_bytes + 64 * 1024))
            .app_data(web::FormConfig::default().limit(64 * 1024).error_handler(|err, _| {
                WebError::BadRequest(format!("The form could not be read: {err}")).into()
            }))
            .app_data(web::QueryConfig::default().error_handler(|err, _| {
                WebError::BadRequest(format!("The address has a bad parameter: {err}")).into()
            }))
            .app_data(web::PathConfig::default().error_handler(|_, _| WebError::NotFound.into()))
            .configure(routes::configure)
            .default_service(web::to(handlers::not_found))
            .wrap(from_fn(csrf::verify))
            .wrap(from_fn(error::framed))
            .wrap(sessions)
            // Outermost: the request's id and log line, and the security headers on every answer.
            .wrap(from_fn(request_log::tag))
    })
    .workers(2)
    // SIGTERM/SIGINT: stop accepting, let requests in flight finish (a complaint waits for the
    // writer to store it and answers), for at most this long.
    .shutdown_timeout(web.shutdown_seconds)
    // `serve` handles the signals itself, to stop the notice worker in the same budget.
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(server)
}
