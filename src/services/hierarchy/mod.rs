//! The hosting hierarchy: companies, their domains, the domains' mailboxes, and the rule that
//! nothing holding a soft-suspended mailbox may be deleted.
pub mod alias_list;
pub mod companies;
pub mod deletion;
pub mod domains;
pub mod forwarding;
pub mod lookup_ids;
pub mod mailbox_list;
pub mod mailboxes;
pub mod maildirs;
pub mod overview;
pub mod service_columns;
