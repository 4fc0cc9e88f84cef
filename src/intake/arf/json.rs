//! The JSON form of a complaint, for integrations that do not send ARF mail.
use serde::Deserialize;

use super::{FeedbackReport, FeedbackType, fields, mime};

/// A complaint as an integration posts it, e.g.
/// `{"sender": "news@example.com", "recipient": "user@example.net", "feedback_type": "abuse"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct JsonComplaint {
    /// The envelope sender of the message complained about (required).
    pub sender: String,
    #[serde(default)]
    pub recipient: Option<String>,
    #[serde(default)]
    pub original_message_id: Option<String>,
    /// A date in any form [`super::parse`] accepts for `Arrival-Date`.
    #[serde(default)]
    pub arrival_date: Option<String>,
    /// `abuse` when missing.
    #[serde(default)]
    pub feedback_type: Option<String>,
    /// The original message, or its header, as text.
    #[serde(default)]
    pub sample: Option<String>,
}

impl JsonComplaint {
    /// The complaint as a [`FeedbackReport`]; an error (for the integration) when `sender` does
    /// not look like an e-mail address.
    pub fn into_report(self) -> Result<FeedbackReport, String> {
        let sender = fields::normalize_address(&self.sender)
            .filter(|a| fields::looks_like_address(&a.to_lowercase()))
            .ok_or_else(|| format!("sender {:?} is not an e-mail address", self.sender))?;
        let feedback_type =
            self.feedback_type.as_deref().and_then(FeedbackType::parse).unwrap_or(FeedbackType::Abuse);
        let mut report = FeedbackReport::new(feedback_type);
        if let Some(sample) = self.sample.as_deref().filter(|s| !s.trim().is_empty()) {
            mime::fill_original_bytes(&mut report, sample.as_bytes());
        }
        report.original_mail_from = Some(sender);
        if let Some(recipient) = self.recipient.as_deref().map(fields::strip_angle)
            && !recipient.is_empty()
        {
            report.original_rcpt_to = vec![recipient.to_owned()];
        }
        if let Some(id) = self.original_message_id.as_deref().and_then(fields::clean_id) {
            report.original_message_id = Some(id);
        }
        report.arrival_date_raw = self.arrival_date.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
        report.arrival_date = report.arrival_date_raw.as_deref().and_then(fields::parse_date);
        Ok(report)
    }
}
