//! How long mailadmin keeps what grows with every report, notice and sign-in. Suspension
//! records are never pruned: they are the history an abuse desk answers for.
use super::ParseError;

/// Days to keep each kind of record; `None` keeps it for ever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// The message sample kept with each complaint (the complaint itself stays, for counts).
    pub complaint_samples: Option<u32>,
    /// Messages that were no readable report.
    pub quarantine: Option<u32>,
    /// AUP and limit notices that were sent or given up on.
    pub sent_notices: Option<u32>,
    /// Sign-in and failed sign-in records in the audit log.
    pub sign_ins: Option<u32>,
    /// Every other audit entry.
    pub audit: Option<u32>,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            complaint_samples: Some(180),
            quarantine: Some(180),
            sent_notices: Some(365),
            sign_ins: Some(365),
            audit: None,
        }
    }
}

/// The most days accepted: a century, so a date computed from it stays in range.
const MAX_DAYS: u32 = 36_500;

/// Days from a form field: empty keeps for ever, else a whole number from 1 to 36,500.
pub fn parse_days(input: &str) -> Result<Option<u32>, ParseError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    match trimmed.parse::<u32>() {
        Ok(days) if (1..=MAX_DAYS).contains(&days) => Ok(Some(days)),
        _ => Err(ParseError::new(format!(
            "Enter a number of days from 1 to {MAX_DAYS}, or leave it empty to keep for ever."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_whole_and_empty_is_for_ever() {
        assert_eq!(parse_days(" 180 ").unwrap(), Some(180));
        assert_eq!(parse_days("").unwrap(), None);
        assert!(parse_days("0").is_err());
        assert!(parse_days("-3").is_err());
        assert!(parse_days("1.5").is_err());
        assert!(parse_days("40000").is_err());
        assert_eq!(RetentionPolicy::default().audit, None, "the audit log is kept unless set");
    }
}
