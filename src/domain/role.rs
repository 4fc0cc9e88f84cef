//! The four kinds of people who sign in.
use super::ParseError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Runs the whole platform.
    Platform,
    /// Runs one company and everything below it.
    Company,
    /// Runs one or more domains.
    Domain,
    /// The support desk: looks anything up, changes nothing.
    Support,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Platform, Role::Company, Role::Domain, Role::Support];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Platform => "platform",
            Role::Company => "company",
            Role::Domain => "domain",
            Role::Support => "support",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Platform => "Platform admin",
            Role::Company => "Company admin",
            Role::Domain => "Domain admin",
            Role::Support => "Support desk",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == input.trim())
            .ok_or_else(|| ParseError::new("Choose one of: platform, company, domain, support."))
    }
}
