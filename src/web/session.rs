//! What the session cookie carries: the signed-in admin, the CSRF token, one flash message.
use actix_session::Session;
use serde::{Deserialize, Serialize};

const ADMIN_ID: &str = "admin_id";
/// The token of the server-side session record (see `services::access::sessions`).
const TOKEN: &str = "session_token";
const CSRF: &str = "csrf";
const FLASH: &str = "flash";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    /// `success` or `error`; also the CSS class.
    pub kind: String,
    pub message: String,
}

pub fn admin_id(session: &Session) -> Option<i32> {
    session.get::<i32>(ADMIN_ID).ok().flatten()
}

/// The server-side session's token, if the cookie has one.
pub fn token(session: &Session) -> Option<String> {
    session.get::<String>(TOKEN).ok().flatten()
}

/// Signs in: a new session (no fixation), a new CSRF token, the server-side session's token.
pub fn sign_in(session: &Session, admin_id: i32, token: String) {
    session.renew();
    session.clear();
    let _ = session.insert(ADMIN_ID, admin_id);
    let _ = session.insert(TOKEN, token);
    let _ = session.insert(CSRF, new_token());
}

/// A new server-side session for the same admin in this browser (after a password change
/// ended all of them), keeping the flash and the CSRF token.
pub fn replace_token(session: &Session, token: String) {
    session.renew();
    let _ = session.insert(TOKEN, token);
}

pub fn sign_out(session: &Session) {
    session.purge();
}

pub fn csrf_token(session: &Session) -> String {
    if let Some(token) = session.get::<String>(CSRF).ok().flatten() {
        return token;
    }
    let token = new_token();
    let _ = session.insert(CSRF, token.clone());
    token
}

pub fn expected_csrf(session: &Session) -> Option<String> {
    session.get::<String>(CSRF).ok().flatten()
}

fn new_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

pub fn flash_success(session: &Session, message: impl Into<String>) {
    let _ = session.insert(FLASH, Flash { kind: "success".into(), message: message.into() });
}

pub fn flash_error(session: &Session, message: impl Into<String>) {
    let _ = session.insert(FLASH, Flash { kind: "error".into(), message: message.into() });
}

pub fn take_flash(session: &Session) -> Option<Flash> {
    session.remove_as::<Flash>(FLASH).and_then(Result::ok)
}
