//! Plain types of the mail-hosting world, parsed and validated, with no I/O.
pub mod abuse;
pub mod admin_login;
pub mod company;
pub mod forwarding;
pub mod names;
pub mod quota;
pub mod retention;
pub mod role;
pub mod services;

pub use abuse::{ContactKind, LiftKind, SuspensionReason};
pub use admin_login::AdminLogin;
pub use company::{CompanyName, CompanyStatus, ComplaintAllowance};
pub use forwarding::{AliasName, Targets};
pub use names::{DisplayName, DomainName, LocalPart, MailboxAddress};
pub use quota::{Quota, QuotaUsage};
pub use retention::RetentionPolicy;
pub use role::Role;
pub use services::{Service, ServiceSet, ServiceState};

/// Why a value was refused; shown beside the form field it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl ParseError {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}
