//! Finding the parts of a feedback report in what mail-parser made of the message, decoding
//! them, and reading the original message's header.
//!
//! Two traits of mail-parser 0.11 would let a small message exhaust the stack or the memory:
//! it drops nested `message/rfc822` parts recursively (a few hundred bytes of stack per level,
//! and one level costs ~30 bytes of input), and it decodes a base64 or quoted-printable
//! attached message itself, then re-parses it recursively and copies the decoded buffer once
//! per nesting level inside it. So [`Parsed`] reads `Content-Transfer-Encoding` in a form that
//! mail-parser does not act on (every body stays as received and nesting is only ever read
//! iteratively), takes nested messages apart iteratively when dropped, and the few bodies this
//! module needs are decoded here, by [`decoded_body`].
use std::{borrow::Cow, ops::Deref, sync::LazyLock};

use mail_parser::{
    HeaderName, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType,
    decoders::{base64::base64_decode, quoted_printable::quoted_printable_decode},
};

use super::{FeedbackReport, MAX_ORIGINAL_BYTES, fields};

/// How deep to look for a report forwarded as an attachment (`message/rfc822` inside a message).
const MAX_DEPTH: usize = 3;

/// mail-parser, told to parse only the header fields used here, and to read
/// `Content-Transfer-Encoding` as a content type rather than text, so that it never decodes.
static PARSER: LazyLock<MessageParser> = LazyLock::new(|| {
    MessageParser::new()
        .header_content_type(HeaderName::ContentType)
        .header_content_type(HeaderName::ContentDisposition)
        .header_content_type(HeaderName::ContentTransferEncoding)
        .header_id(HeaderName::MessageId)
        .header_id(HeaderName::ReturnPath)
        .header_address(HeaderName::From)
        .header_address(HeaderName::Sender)
        .header_text(HeaderName::Subject)
});

/// A message parsed by [`PARSER`], taken apart without recursion when dropped.
pub(super) struct Parsed<'x>(Message<'x>);

impl<'x> Parsed<'x> {
    pub(super) fn parse(raw: &'x [u8]) -> Option<Self> {
        PARSER.parse(raw).map(Self)
    }

    /// Only the header of a message (no body, no nesting).
    pub(super) fn parse_headers(raw: &'x [u8]) -> Option<Self> {
        PARSER.parse_headers(raw).map(Self)
    }
}

impl<'x> Deref for Parsed<'x> {
    type Target = Message<'x>;

    fn deref(&self) -> &Message<'x> {
        &self.0
    }
}

impl Drop for Parsed<'_> {
    fn drop(&mut self) {
        fn take_nested<'x>(message: &mut Message<'x>, into: &mut Vec<Message<'x>>) {
            for part in &mut message.parts {
                if let PartType::Message(_) = part.body
                    && let PartType::Message(nested) = std::mem::take(&mut part.body)
                {
                    into.push(nested);
                }
            }
        }
        let mut pending = Vec::new();
        take_nested(&mut self.0, &mut pending);
        while let Some(mut message) = pending.pop() {
            take_nested(&mut message, &mut pending);
        }
    }
}

/// The body of a part of `container`, decoded from base64 or quoted-printable if it says so
/// (left as it is when it does not decode).
pub(super) fn decoded_body<'m>(container: &'m Message<'_>, part: &'m MessagePart<'_>) -> Cow<'m, [u8]> {
    let raw = container
        .raw_message
        .get(part.offset_body as usize..part.offset_end as usize)
        .unwrap_or_else(|| part.contents());
    let encoding = part
        .headers
        .iter()
        .find(|h| h.name == HeaderName::ContentTransferEncoding)
        .and_then(|h| h.value().as_content_type())
        .map(|ct| ct.ctype());
    let decoded = match encoding {
        Some("base64") => base64_decode(raw),
        Some("quoted-printable") => quoted_printable_decode(raw),
        _ => None,
    };
    decoded.map_or(Cow::Borrowed(raw), Cow::Owned)
}

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
            let body = decoded_body(message, part);
            let head = body.trim_ascii_start();
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
            parts().filter(|&(id, p)| id > feedback && !p.is_multipart()).find_map(|(_, p)| {
                let body = decoded_body(message, p);
                Parsed::parse_headers(&body)
                    .is_some_and(|m| m.from().is_some() || m.message_id().is_some())
                    .then(|| (p, !has_body(&body)))
            })
        })
}

/// Fills the `original*` fields of a report from the original part found in `report_message`.
pub(super) fn fill_original(
    report: &mut FeedbackReport,
    report_message: &Message<'_>,
    part: &MessagePart<'_>,
    headers_only: bool,
) {
    let raw = decoded_body(report_message, part);
    if let Some(original) = Parsed::parse_headers(&raw) {
        fill_from_header(report, &original);
    }
    report.original = Some(raw[..raw.len().min(MAX_ORIGINAL_BYTES)].to_vec());
    report.original_is_headers_only = headers_only;
}

/// Fills the `original*` fields from a sample message given as bytes (the JSON form).
pub(super) fn fill_original_bytes(report: &mut FeedbackReport, raw: &[u8]) {
    if let Some(original) = Parsed::parse_headers(raw) {
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
