//! The name an admin user signs in with.
use super::ParseError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminLogin(String);

impl AdminLogin {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let lower = input.trim().to_lowercase();
        let valid =
            lower.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".-_@".contains(&b));
        if !(2..=64).contains(&lower.len()) || !valid {
            return Err(ParseError::new("Use 2 to 64 characters: letters, digits, and . - _ @"));
        }
        Ok(Self(lower))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
