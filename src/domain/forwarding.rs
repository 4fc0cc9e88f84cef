//! Aliases, catch-alls and forwards: which address of a hosted domain delivers where. Parsed
//! and checked here without I/O; the checks that need the database (a hosted target exists, a
//! loop through another alias) are in `services::hierarchy::aliases`.
use super::{DomainName, LocalPart, MailboxAddress, ParseError};
use std::fmt;

/// Most targets one alias or forward may have: enough for a team list, few enough that one
/// message cannot fan out into a bulk mailing through us.
pub const MAX_TARGETS: usize = 50;

/// The address an alias answers for: one local part of a domain, or (`*`) every address of
/// the domain that is neither a mailbox nor an alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AliasName {
    Local(LocalPart),
    CatchAll,
}

impl AliasName {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let trimmed = input.trim();
        if trimmed == "*" {
            return Ok(AliasName::CatchAll);
        }
        if trimmed.contains('@') {
            return Err(ParseError::new("Enter only the part before the @ (the domain is set)."));
        }
        LocalPart::parse(trimmed).map(AliasName::Local)
    }

    /// What is stored as `alias.local_part`.
    pub fn local_part(&self) -> &str {
        match self {
            AliasName::Local(local) => local.as_str(),
            AliasName::CatchAll => "*",
        }
    }

    /// The key Postfix looks up: `local@domain`, or `@domain` for the catch-all.
    pub fn address(&self, domain: &DomainName) -> String {
        match self {
            AliasName::Local(local) => format!("{}@{domain}", local.as_str()),
            AliasName::CatchAll => format!("@{domain}"),
        }
    }
}

/// One or more addresses mail is delivered to, hosted here or elsewhere: distinct, normalised,
/// in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets(Vec<MailboxAddress>);

impl Targets {
    /// Addresses separated by commas, semicolons, spaces or new lines.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let mut targets: Vec<MailboxAddress> = Vec::new();
        for word in input.split(|c: char| c == ',' || c == ';' || c.is_whitespace()).filter(|w| !w.is_empty())
        {
            let address = MailboxAddress::parse(word)
                .map_err(|e| ParseError::new(format!("\"{word}\" is not an address: {e}")))?;
            if !targets.contains(&address) {
                targets.push(address);
            }
        }
        if targets.is_empty() {
            return Err(ParseError::new("Enter at least one address to deliver to."));
        }
        if targets.len() > MAX_TARGETS {
            return Err(ParseError::new(format!(
                "At most {MAX_TARGETS} addresses; for more, use a mailing list."
            )));
        }
        Ok(Self(targets))
    }

    /// Refuses a target that is the address itself: mail would go round in a circle.
    pub fn refuse_self(&self, own: &str, hint: &str) -> Result<(), ParseError> {
        match self.0.iter().find(|t| t.to_string() == own) {
            Some(_) => Err(ParseError::new(format!("{own} cannot deliver to itself. {hint}").trim_end())),
            None => Ok(()),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &MailboxAddress> {
        self.0.iter()
    }

    /// As stored and as Postfix reads it: `a@x.example,b@y.example`.
    pub fn to_stored(&self) -> String {
        self.to_string()
    }

    /// The stored form split back into addresses (for display and loop checks).
    pub fn stored_list(stored: &str) -> Vec<&str> {
        stored.split(',').map(str::trim).filter(|s| !s.is_empty()).collect()
    }
}

impl fmt::Display for Targets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let joined = self.0.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(",");
        f.write_str(&joined)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_parsed_normalised_and_deduplicated() {
        let t = Targets::parse(
            " Anna@Example.com, bob@other.example;\nanna@example.com  carl@b\u{fc}cher.example",
        )
        .unwrap();
        assert_eq!(t.to_stored(), "anna@example.com,bob@other.example,carl@xn--bcher-kva.example");
        assert_eq!(Targets::stored_list(&t.to_stored()).len(), 3);
    }

    #[test]
    fn bad_targets_are_named() {
        let e = Targets::parse("anna@example.com, not-an-address").unwrap_err();
        assert!(e.0.contains("\"not-an-address\" is not an address"), "{e}");
        assert!(Targets::parse(" , ").is_err());
        let many = (0..=MAX_TARGETS).map(|i| format!("u{i}@example.com")).collect::<Vec<_>>().join(",");
        assert!(Targets::parse(&many).unwrap_err().0.contains("At most 50"));
    }

    #[test]
    fn an_alias_cannot_point_at_itself() {
        let t = Targets::parse("sales@example.com, anna@example.com").unwrap();
        assert!(t.refuse_self("sales@example.com", "").is_err());
        assert!(t.refuse_self("info@example.com", "").is_ok());
    }

    #[test]
    fn a_star_is_the_catch_all() {
        let d = DomainName::parse("Example.com").unwrap();
        assert_eq!(AliasName::parse(" * ").unwrap().address(&d), "@example.com");
        assert_eq!(AliasName::parse("Sales").unwrap().address(&d), "sales@example.com");
        assert!(AliasName::parse("sales@example.com").is_err());
        assert!(AliasName::parse("").is_err());
    }
}
