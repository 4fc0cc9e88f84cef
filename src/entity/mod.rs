//! sea-orm models, one per table, no logic. Only `services` uses them.
pub mod abuse_contact;
pub mod admin_domain;
pub mod admin_session;
pub mod admin_user;
pub mod alias;
pub mod api_token;
pub mod app_setting;
pub mod audit_entry;
pub mod company;
pub mod complaint;
pub mod domain;
pub mod mailbox;
pub mod notice;
pub mod quarantine;
pub mod suspension;
