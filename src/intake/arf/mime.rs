//! Finding the parts of a feedback report in what mail-parser made of the message, and reading
//! the original message's header.
use mail_parser::{Encoding, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders};

use super::{FeedbackReport, MAX_ORIGINAL_BYTES, fields};

/// How deep to look for a report forwarded as an attachment (`message/rfc822` inside a message).
const MAX_DEPTH: usize = 3;

/// The parts of a feedback report.
pub(super) struct Found<'m, 'x> {
    /// The message whose body is the `multipart/report` (the report itself).
    pub report: &'m Message<'x>,
    /// The `message/feedback-report` part.
    pub feedback: &'m MessagePart<'x>,
    /// The original message part, and whether it is only a header.
    pub original: Option<(&'m MessagePart<'x>, bool)>,
}

/// Looks for a feedback report in a message, then in the messages attached to it.
pub(super) fn find<'m, 'x>(message: &'m Message<'x>) -> Option<Found<'m, 'x>> {
    let mut level = vec![message];
    for _ in 0..=MAX_DEPTH {
        if let Some(found) = level.iter().find_map(|m| find_in(m)) {
            return Some(found);
        }
        level = level.iter().flat_map(|m| m.parts.iter().filter_map(|p| p.message())).collect();
        if level.is_empty() {
            break;
        }
    }
    None
}

fn find_in<'m, 'x>(message: &'m Message<'x>) -> Option<Found<'m, 'x>> {
    let index = message
        .parts
        .iter()
        .position(|p| is_type(p, "message", &["feedback-report"]))
        .or_else(|| unlabelled_feedback(message))?;
    let feedback = message.parts.get(index)?;
    Some(Found { report: message, feedback, original: original_part(message, index) })
}

/// Whether a part's content type is `ctype/<one of subtypes>` (mail-parser lower-cases both).
fn is_type(part: &MessagePart<'_>, ctype: &str, subtypes: &[&str]) -> bool {
    part.content_type()
        .is_some_and(|ct| ct.ctype() == ctype && ct.subtype().is_some_and(|sub| subtypes.contains(&sub)))
}

/// The sub-parts of the `multipart/*` part that holds `index`, if any.
fn siblings<'m>(message: &'m Message<'_>, index: usize) -> &'m [u32] {
    message
        .parts
        .iter()
        .filter_map(|p| p.sub_parts())
        .find(|subs| subs.iter().any(|&id| id as usize == index))
        .unwrap_or_default()
}

/// A feedback part with a wrong content type: in a root `multipart/report` whose report-type is
/// feedback-report or missing, a later part whose text starts with a `Feedback-Type` field.
fn unlabelled_feedback(message: &Message<'_>) -> Option<usize> {
    let root = message.parts.first()?;
    let ct = root.content_type()?;
    let is_report = ct.ctype() == "multipart"
        && ct.subtype() == Some("report")
        && ct.attribute("report-type").is_none_or(|t| t.eq_ignore_ascii_case("feedback-report"));
    if !is_report {
        return None;
    }
    root.sub_parts()?.iter().skip(1).map(|&id| id as usize).find(|&id| {
        message.parts.get(id).is_some_and(|part| {
            let head = part.contents().trim_ascii_start();
            head.get(..14).is_some_and(|h| h.eq_ignore_ascii_case(b"feedback-type:"))
        })
    })
}

/// The original among the siblings of the feedback part: a `message/rfc822` (full) or
/// `text/rfc822-headers` (header only) part; failing that, a later sibling that reads as a
/// message header.
fn original_part<'m, 'x>(message: &'m Message<'x>, feedback: usize) -> Option<(&'m MessagePart<'x>, bool)> {
    let parts = || {
        siblings(message, feedback)
            .iter()
            .map(|&id| id as usize)
            .filter(move |&id| id != feedback)
            .filter_map(|id| message.parts.get(id).map(|p| (id, p)))
    };
    let full = ["rfc822", "global"];
    let headers = ["rfc822-headers", "rfc822-header", "global-headers"];
    parts()
        .find_map(|(_, p)| {
            if is_type(p, "message", &full) || p.message().is_some() {
                Some((p, false))
            } else if is_type(p, "text", &headers) || is_type(p, "message", &headers) {
                Some((p, true))
            } else {
                None
            }
        })
        .or_else(|| {
            parts()
                .filter(|&(id, p)| id > feedback && !p.is_multipart())
                .find(|(_, p)| {
                    MessageParser::default()
                        .parse_headers(p.contents())
                        .is_some_and(|m| m.from().is_some() || m.message_id().is_some())
                })
                .map(|(_, p)| (p, !has_body(p.contents())))
        })
}

/// Fills the `original*` fields of a report from the original part found in `report_message`.
pub(super) fn fill_original(
    report: &mut FeedbackReport,
    report_message: &Message<'_>,
    part: &MessagePart<'_>,
    headers_only: bool,
) {
    // As received: the raw body of an unencoded part, the decoded body of an encoded one.
    let raw = match part.encoding {
        Encoding::None => report_message
            .raw_message
            .get(part.offset_body as usize..part.offset_end as usize)
            .unwrap_or_else(|| part.contents()),
        _ => part.contents(),
    };
    match part.message() {
        Some(original) => fill_from_header(report, original),
        None => {
            if let Some(original) = MessageParser::default().parse_headers(part.contents()) {
                fill_from_header(report, &original);
            }
        }
    }
    report.original = Some(raw[..raw.len().min(MAX_ORIGINAL_BYTES)].to_vec());
    report.original_is_headers_only = headers_only;
}

/// Fills the `original*` fields from a sample message given as bytes (the JSON form).
pub(super) fn fill_original_bytes(report: &mut FeedbackReport, raw: &[u8]) {
    if let Some(original) = MessageParser::default().parse_headers(raw) {
        fill_from_header(report, &original);
    }
    report.original = Some(raw[..raw.len().min(MAX_ORIGINAL_BYTES)].to_vec());
    report.original_is_headers_only = !has_body(raw);
}

fn fill_from_header(report: &mut FeedbackReport, original: &Message<'_>) {
    report.original_message_id = original.message_id().and_then(fields::clean_id);
    report.original_return_path = match original.return_path() {
        HeaderValue::Text(text) => Some(text.as_ref()),
        HeaderValue::TextList(list) => list.first().map(|t| t.as_ref()),
        _ => None,
    }
    .and_then(fields::normalize_address);
    let first_address = |address: Option<&mail_parser::Address<'_>>| {
        address.and_then(|a| a.first()).and_then(|a| a.address()).and_then(fields::normalize_address)
    };
    report.original_sender = first_address(original.sender());
    report.original_from = first_address(original.from());
    report.original_subject = original.subject().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    if report.original_rcpt_to.is_empty() {
        // Microsoft JMRP names the complaining recipient in a header of the original.
        report.original_rcpt_to = original
            .headers()
            .iter()
            .filter(|h| h.name().eq_ignore_ascii_case("x-hmxmroriginalrecipient"))
            .filter_map(|h| h.value().as_text())
            .map(fields::strip_angle)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect();
    }
}

/// Whether there is anything but white space after the header block.
fn has_body(raw: &[u8]) -> bool {
    let mut at = 0;
    for line in raw.split_inclusive(|&b| b == b'\n') {
        at += line.len();
        if line.trim_ascii().is_empty() {
            return !raw[at..].trim_ascii().is_empty();
        }
    }
    false
}
