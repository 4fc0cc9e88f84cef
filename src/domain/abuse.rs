//! The words of the anti-abuse process: why a service was suspended, how a suspension ended,
//! and the kinds of company contacts.
use super::ParseError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuspensionReason {
    SpamComplaints,
    BulkMail,
    RateLimit,
    Manual,
}

impl SuspensionReason {
    pub const ALL: [SuspensionReason; 4] = [
        SuspensionReason::SpamComplaints,
        SuspensionReason::BulkMail,
        SuspensionReason::RateLimit,
        SuspensionReason::Manual,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SuspensionReason::SpamComplaints => "spam_complaints",
            SuspensionReason::BulkMail => "bulk_mail",
            SuspensionReason::RateLimit => "rate_limit",
            SuspensionReason::Manual => "manual",
        }
    }

    /// In plain words, for the support desk.
    pub fn label(self) -> &'static str {
        match self {
            SuspensionReason::SpamComplaints => "spam complaints from recipients",
            SuspensionReason::BulkMail => "bulk mail",
            SuspensionReason::RateLimit => "sending rate limit",
            SuspensionReason::Manual => "suspended by an admin",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == input)
            .ok_or_else(|| ParseError::new("Choose a reason for the suspension."))
    }

    /// Stored values read back; an unknown one reads as manual.
    pub fn from_stored(input: &str) -> Self {
        Self::parse(input).unwrap_or(SuspensionReason::Manual)
    }
}

/// How a suspension ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiftKind {
    Lifted,
    EducatedAndLifted,
    /// Lifted as the first half of deleting the account.
    LiftedForDeletion,
}

impl LiftKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LiftKind::Lifted => "lifted",
            LiftKind::EducatedAndLifted => "educated_and_lifted",
            LiftKind::LiftedForDeletion => "lifted_for_deletion",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LiftKind::Lifted => "Lifted",
            LiftKind::EducatedAndLifted => "User educated, then lifted",
            LiftKind::LiftedForDeletion => "Lifted to delete the account",
        }
    }

    pub fn from_stored(input: &str) -> Self {
        match input {
            "educated_and_lifted" => LiftKind::EducatedAndLifted,
            "lifted_for_deletion" => LiftKind::LiftedForDeletion,
            _ => LiftKind::Lifted,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactKind {
    Abuse,
    Technical,
    Billing,
}

impl ContactKind {
    pub const ALL: [ContactKind; 3] = [ContactKind::Abuse, ContactKind::Technical, ContactKind::Billing];

    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::Abuse => "abuse",
            ContactKind::Technical => "technical",
            ContactKind::Billing => "billing",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ContactKind::Abuse => "Abuse",
            ContactKind::Technical => "Technical",
            ContactKind::Billing => "Billing",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == input)
            .ok_or_else(|| ParseError::new("Choose abuse, technical or billing."))
    }
}
