//! A mailbox's storage quota, as the mail servers enforce it (Dovecot's quota plugin).
use super::ParseError;

/// The largest quota accepted: 1 TiB, far above any plan, well inside an i32 of megabytes.
const MAX_MB: i32 = 1_048_576;

/// Megabytes of storage; 0 is no quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Quota(i32);

impl Quota {
    /// A whole number of MB; empty means none.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let trimmed = input.trim().trim_end_matches("MB").trim_end_matches("mb").trim();
        if trimmed.is_empty() {
            return Ok(Quota(0));
        }
        match trimmed.parse::<i64>() {
            Ok(mb) if (0..=MAX_MB as i64).contains(&mb) => Ok(Quota(mb as i32)),
            Ok(_) => Err(ParseError::new(format!("Enter a quota from 0 (none) to {MAX_MB} MB."))),
            Err(_) => Err(ParseError::new("Enter the quota as a whole number of MB, e.g. 2048; 0 for none.")),
        }
    }

    pub fn megabytes(self) -> i32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_are_whole_megabytes_and_zero_is_none() {
        assert_eq!(Quota::parse(" 2048 ").unwrap().megabytes(), 2048);
        assert_eq!(Quota::parse("512 MB").unwrap().megabytes(), 512);
        assert_eq!(Quota::parse("").unwrap().megabytes(), 0);
        assert!(Quota::parse("-1").is_err());
        assert!(Quota::parse("1.5").is_err());
        assert!(Quota::parse("99999999999").is_err());
    }
}
