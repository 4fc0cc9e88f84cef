//! A hosting customer: its name, whether it is active, and its anti-abuse settings.
use super::ParseError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyName(String);

impl CompanyName {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(ParseError::new("Enter the company's name."));
        }
        if trimmed.chars().count() > 100 {
            return Err(ParseError::new("A company name is at most 100 characters long."));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(ParseError::new("A company name cannot contain control characters."));
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompanyStatus {
    Active,
    /// The provider stopped the customer's service (e.g. unpaid); kept so it can be resumed.
    Suspended,
}

impl CompanyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CompanyStatus::Active => "active",
            CompanyStatus::Suspended => "suspended",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        match input.trim() {
            "active" => Ok(CompanyStatus::Active),
            "suspended" => Ok(CompanyStatus::Suspended),
            _ => Err(ParseError::new("Choose active or suspended.")),
        }
    }
}

/// How many spam complaints about one mailbox's sent mail a company tolerates in 24 hours
/// before *Send Mail* is soft-suspended. The seed's default is 10.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComplaintAllowance(u32);

impl ComplaintAllowance {
    pub const DEFAULT: ComplaintAllowance = ComplaintAllowance(10);

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let value: u32 = input
            .trim()
            .parse()
            .map_err(|_| ParseError::new("Enter a whole number of complaints, e.g. 10."))?;
        if !(1..=10_000).contains(&value) {
            return Err(ParseError::new("The allowance must be between 1 and 10000 complaints."));
        }
        Ok(Self(value))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}
