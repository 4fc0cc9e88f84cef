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

    /// A stored value (the database keeps it in range).
    pub fn from_megabytes(mb: i32) -> Self {
        Quota(mb.clamp(0, MAX_MB))
    }

    pub fn megabytes(self) -> i32 {
        self.0
    }
}

/// What Dovecot last reported a mailbox holds (its `quota_clone` plugin writes it after every
/// delivery and expunge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaUsage {
    pub bytes: i64,
    pub messages: i32,
}

impl QuotaUsage {
    /// "12.5 MB of 1,024 MB (1 %)", or "12.5 MB" without a quota; what the list and Edit
    /// Mailbox show.
    pub fn describe(&self, quota: Quota) -> String {
        let used = megabytes(self.bytes);
        match quota.megabytes() {
            0 => used,
            mb => {
                let percent = (self.bytes as f64 / (mb as f64 * 1_048_576.0) * 100.0).floor() as i64;
                format!("{used} of {mb} MB ({percent} %)")
            }
        }
    }

    /// At or past its quota: new mail is refused.
    pub fn is_full(&self, quota: Quota) -> bool {
        quota.megabytes() > 0 && self.bytes >= quota.megabytes() as i64 * 1_048_576
    }
}

fn megabytes(bytes: i64) -> String {
    let mb = bytes as f64 / 1_048_576.0;
    if mb >= 100.0 {
        format!("{mb:.0} MB")
    } else if mb >= 0.1 {
        format!("{mb:.1} MB")
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_is_described_against_the_quota() {
        let usage = QuotaUsage { bytes: 13_107_200, messages: 42 };
        assert_eq!(usage.describe(Quota(0)), "12.5 MB");
        assert_eq!(usage.describe(Quota(1024)), "12.5 MB of 1024 MB (1 %)");
        assert_eq!(QuotaUsage { bytes: 3000, messages: 1 }.describe(Quota(0)), "3 KB");
        assert!(QuotaUsage { bytes: 1_048_576, messages: 1 }.is_full(Quota(1)));
        assert!(!usage.is_full(Quota(0)));
    }

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
