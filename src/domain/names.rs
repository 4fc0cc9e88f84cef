//! Domain names, local parts and full mailbox addresses, stored normalised:
//! lower case, internationalised names in their ASCII (IDNA) form.
use super::ParseError;
use std::fmt;

/// A DNS name we host mail for, e.g. `example.com` (IDNA A-label form, lower case).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DomainName(String);

impl DomainName {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let trimmed = input.trim().trim_end_matches('.');
        if trimmed.is_empty() {
            return Err(ParseError::new("Enter a domain name, e.g. example.com."));
        }
        let ascii = idna::domain_to_ascii(trimmed)
            .map_err(|_| ParseError::new("This is not a valid domain name."))?;
        if ascii.len() > 253 {
            return Err(ParseError::new("A domain name is at most 253 characters long."));
        }
        let labels: Vec<&str> = ascii.split('.').collect();
        if labels.len() < 2 {
            return Err(ParseError::new(
                "Enter a fully qualified domain name with at least one dot, e.g. example.com.",
            ));
        }
        for label in &labels {
            let valid_chars =
                label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if label.is_empty()
                || label.len() > 63
                || !valid_chars
                || label.starts_with('-')
                || label.ends_with('-')
            {
                return Err(ParseError::new(format!(
                    "\"{label}\" is not a valid part of a domain name (letters, digits and inner hyphens, 1 to 63 characters)."
                )));
            }
        }
        if labels.last().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
            return Err(ParseError::new("A domain name cannot end in a number."));
        }
        Ok(Self(ascii))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The part of an address before the `@`, lower case. We accept the dot-atom form that every
/// mail client handles (RFC 5322 atext and inner dots), not quoted strings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LocalPart(String);

impl LocalPart {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let lower = input.trim().to_ascii_lowercase();
        if lower.is_empty() {
            return Err(ParseError::new("Enter the part of the address before the @."));
        }
        if lower.len() > 64 {
            return Err(ParseError::new("The part before the @ is at most 64 characters long."));
        }
        const ATEXT_EXTRA: &[u8] = b"!#$%&'*+-/=?^_`{|}~";
        let valid = lower.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || ATEXT_EXTRA.contains(&b));
        if !valid || lower.starts_with('.') || lower.ends_with('.') || lower.contains("..") {
            return Err(ParseError::new(
                "Use letters, digits and . _ - + only; no dot at the start, the end or twice in a row.",
            ));
        }
        Ok(Self(lower))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A full mailbox address, `local@domain`, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MailboxAddress {
    local: LocalPart,
    domain: DomainName,
}

impl MailboxAddress {
    pub fn new(local: LocalPart, domain: DomainName) -> Self {
        Self { local, domain }
    }

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let (local, domain) = input
            .trim()
            .rsplit_once('@')
            .ok_or_else(|| ParseError::new("Enter a full address, e.g. anna@example.com."))?;
        Ok(Self::new(LocalPart::parse(local)?, DomainName::parse(domain)?))
    }

    pub fn local_part(&self) -> &LocalPart {
        &self.local
    }

    pub fn domain(&self) -> &DomainName {
        &self.domain
    }
}

impl fmt::Display for MailboxAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local.as_str(), self.domain)
    }
}

/// The name shown next to an address ("Anna Schmidt"); optional, one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let trimmed = input.trim();
        if trimmed.chars().count() > 100 {
            return Err(ParseError::new("A display name is at most 100 characters long."));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(ParseError::new("A display name cannot contain control characters."));
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_names_are_lowercased_and_idna_encoded() {
        assert_eq!(DomainName::parse(" Example.COM. ").unwrap().as_str(), "example.com");
        assert_eq!(DomainName::parse("bücher.example").unwrap().as_str(), "xn--bcher-kva.example");
    }

    #[test]
    fn bad_domain_names_are_refused() {
        for bad in ["", "localhost", "-a.com", "a-.com", "a..com", "a b.com", "a.123", "a_b.com"] {
            assert!(DomainName::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn addresses_parse_and_normalise() {
        let address = MailboxAddress::parse("Anna.Schmidt@Example.COM").unwrap();
        assert_eq!(address.to_string(), "anna.schmidt@example.com");
        for bad in
            ["anna", "@example.com", "anna@", ".anna@example.com", "an..na@example.com", "an na@example.com"]
        {
            assert!(MailboxAddress::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn display_names_refuse_control_characters() {
        assert!(DisplayName::parse("Anna\nSchmidt").is_err());
        assert_eq!(DisplayName::parse("  Anna  ").unwrap().as_str(), "Anna");
    }
}
