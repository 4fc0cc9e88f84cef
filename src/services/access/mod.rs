//! Who may come in: admin users and their roles, sign-in with its throttle, API tokens.
pub mod admins;
pub mod api_tokens;
pub mod sessions;
pub mod sign_in;
