//! Abuse Reporting Format (ARF, RFC 5965) feedback reports, read tolerantly.
//!
//! A feedback report is a `multipart/report` message with three parts: a human-readable text, a
//! machine-readable `message/feedback-report` part (`Name: value` fields) and the original
//! message as `message/rfc822` (or only its header, as `text/rfc822-headers`). Real feedback
//! loops bend the format in many ways, so [`parse`] accepts what it can make sense of: a missing
//! `report-type` parameter, any line endings, encoded parts, odd case, a report forwarded as an
//! attachment, the redacted recipients of RFC 6590, the `X-HmXmrOriginalRecipient` header of
//! Microsoft's JMRP. It never panics; whatever it cannot read is an [`ArfError`].
//!
//! mail-parser has no ARF model: it finds the parts, and the feedback fields are read here.
use std::fmt;

use chrono::{DateTime, Utc};

mod fields;
mod json;
mod mime;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_broken;

pub use json::JsonComplaint;

/// At most this much of the original message is kept in [`FeedbackReport::original`].
pub const MAX_ORIGINAL_BYTES: usize = 256 * 1024;

/// The `Feedback-Type` of a report (RFC 5965 section 7.3, RFC 6591, RFC 6650).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FeedbackType {
    /// Unsolicited or otherwise abusive mail: the usual "this is spam" button.
    Abuse,
    /// Fraudulent mail, e.g. phishing.
    Fraud,
    /// Mail that carried a virus.
    Virus,
    /// The recipient says the message is not spam (it had been filtered as spam).
    NotSpam,
    /// An authentication failure report (RFC 6591); not a complaint.
    AuthFailure,
    /// Any other value, lower-cased: `other`, `opt-out`, ...
    Other(String),
}

impl FeedbackType {
    /// Reads a `Feedback-Type` value, case-insensitively; `None` when it is empty.
    pub fn parse(value: &str) -> Option<Self> {
        let token = value
            .split(|c: char| c.is_whitespace() || matches!(c, ';' | ',' | '('))
            .find(|t| !t.is_empty())?
            .to_lowercase()
            .replace('_', "-");
        Some(match token.as_str() {
            "abuse" => Self::Abuse,
            "fraud" => Self::Fraud,
            "virus" => Self::Virus,
            "not-spam" | "notspam" => Self::NotSpam,
            "auth-failure" | "authfailure" => Self::AuthFailure,
            _ => Self::Other(token),
        })
    }

    /// Whether a report of this type counts toward a sender's complaint allowance: abuse, fraud
    /// and virus do; not-spam, auth-failure and anything else do not.
    pub fn counts(&self) -> bool {
        matches!(self, Self::Abuse | Self::Fraud | Self::Virus)
    }

    /// The value as written in a report (lower-case).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Abuse => "abuse",
            Self::Fraud => "fraud",
            Self::Virus => "virus",
            Self::NotSpam => "not-spam",
            Self::AuthFailure => "auth-failure",
            Self::Other(other) => other,
        }
    }
}

impl fmt::Display for FeedbackType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a feedback report says, as far as the hosting side cares.
///
/// Message-IDs are given without their angle brackets; addresses without angle brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackReport {
    pub feedback_type: FeedbackType,
    pub user_agent: Option<String>,
    pub version: Option<String>,
    /// The envelope sender of the original, angle brackets stripped, domain lower-cased.
    pub original_mail_from: Option<String>,
    /// The envelope recipients, as given (they may be redacted, RFC 6590); angle brackets
    /// stripped. Falls back to JMRP's `X-HmXmrOriginalRecipient` header of the original.
    pub original_rcpt_to: Vec<String>,
    /// `Arrival-Date` (or the older `Received-Date`), leniently parsed; `None` if unparsable.
    pub arrival_date: Option<DateTime<Utc>>,
    pub arrival_date_raw: Option<String>,
    /// The host name of `Reporting-MTA`, without its `dns;` type.
    pub reporting_mta: Option<String>,
    /// `Source-IP`, normalised; `None` when it is not an IP address.
    pub source_ip: Option<String>,
    /// `Reported-Domain` values, lower-cased, deduplicated.
    pub reported_domains: Vec<String>,
    /// The Message-ID of the report message itself.
    pub report_message_id: Option<String>,
    /// The Message-ID of the original message.
    pub original_message_id: Option<String>,
    /// The address of the original's `Return-Path`.
    pub original_return_path: Option<String>,
    /// The address of the original's `Sender`.
    pub original_sender: Option<String>,
    /// The (first) address of the original's `From`, without display name.
    pub original_from: Option<String>,
    /// The original's `Subject`, decoded (RFC 2047).
    pub original_subject: Option<String>,
    /// The original message (or its header only) as received, cut at [`MAX_ORIGINAL_BYTES`].
    pub original: Option<Vec<u8>>,
    /// Whether [`Self::original`] is a header without body (`text/rfc822-headers`).
    pub original_is_headers_only: bool,
}

impl FeedbackReport {
    /// A report of the given type with nothing else known.
    pub fn new(feedback_type: FeedbackType) -> Self {
        Self {
            feedback_type,
            user_agent: None,
            version: None,
            original_mail_from: None,
            original_rcpt_to: Vec::new(),
            arrival_date: None,
            arrival_date_raw: None,
            reporting_mta: None,
            source_ip: None,
            reported_domains: Vec::new(),
            report_message_id: None,
            original_message_id: None,
            original_return_path: None,
            original_sender: None,
            original_from: None,
            original_subject: None,
            original: None,
            original_is_headers_only: false,
        }
    }

    /// Addresses that may identify the hosted sender, in attribution order:
    /// `Original-Mail-From`, then the original's `Return-Path`, `Sender`, `From`; deduplicated,
    /// lower-cased, valid-looking only.
    pub fn sender_candidates(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let sources = [
            &self.original_mail_from,
            &self.original_return_path,
            &self.original_sender,
            &self.original_from,
        ];
        for address in sources.into_iter().flatten() {
            if let Some(address) = fields::candidate(address)
                && !out.contains(&address)
            {
                out.push(address);
            }
        }
        out
    }
}

/// Why bytes are not a usable feedback report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ArfError {
    #[error("not an internet message")]
    NotMime,
    #[error("not a feedback report: no multipart/report with a message/feedback-report part")]
    NotAReport,
    #[error("the feedback report has no Feedback-Type field")]
    MissingFeedbackType,
    #[error("the message is larger than allowed")]
    TooLarge,
}

/// Parses an ARF feedback report of at most `max_bytes` bytes. Pure: no I/O.
pub fn parse(raw: &[u8], max_bytes: usize) -> Result<FeedbackReport, ArfError> {
    if raw.len() > max_bytes {
        return Err(ArfError::TooLarge);
    }
    // A safety net for a bug in mail-parser: a panic here would take a server worker down.
    // Under cargo-fuzz, libfuzzer's panic hook aborts first, so the fuzzer still sees panics.
    std::panic::catch_unwind(|| parse_unguarded(raw)).unwrap_or(Err(ArfError::NotMime))
}

/// [`parse`] without the size check and the panic guard (the tests call it to see panics).
fn parse_unguarded(raw: &[u8]) -> Result<FeedbackReport, ArfError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(ArfError::NotMime);
    }
    let message = mime::Parsed::parse(raw).ok_or(ArfError::NotMime)?;
    let found = mime::find(&message).ok_or(ArfError::NotAReport)?;
    let fields = fields::Fields::parse(&mime::decoded_body(found.report, found.feedback));
    let feedback_type =
        fields.first("feedback-type").and_then(FeedbackType::parse).ok_or(ArfError::MissingFeedbackType)?;
    let mut report = FeedbackReport::new(feedback_type);
    fields.fill(&mut report);
    report.report_message_id = found.report.message_id().and_then(fields::clean_id);
    if let Some((part, headers_only)) = found.original {
        mime::fill_original(&mut report, found.report, part, headers_only);
    }
    Ok(report)
}
