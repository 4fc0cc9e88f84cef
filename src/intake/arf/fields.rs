//! The `Name: value` fields of a `message/feedback-report` part, and the small normalisations
//! of addresses, dates and identifiers the report needs.
use std::net::IpAddr;

use chrono::{DateTime, NaiveDateTime, Utc};

use super::FeedbackReport;

/// The fields of a feedback-report part, unfolded, in order. Names are lower-cased.
#[derive(Debug, Default)]
pub(super) struct Fields {
    entries: Vec<(String, String)>,
}

impl Fields {
    /// Reads fields tolerantly: any line ending, folded lines, blank lines between fields, lines
    /// that are not fields (skipped), bytes that are not UTF-8 (replaced).
    pub(super) fn parse(bytes: &[u8]) -> Self {
        let text = String::from_utf8_lossy(bytes);
        let mut entries: Vec<(String, String)> = Vec::new();
        let mut open = false; // whether the last line was a field that may continue
        for line in text.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.starts_with([' ', '\t']) {
                if let (true, Some((_, value))) = (open, entries.last_mut()) {
                    let more = line.trim();
                    if !more.is_empty() {
                        if !value.is_empty() {
                            value.push(' ');
                        }
                        value.push_str(more);
                    }
                }
                continue;
            }
            open = false;
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let name = name.trim();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_graphic()) {
                continue;
            }
            entries.push((name.to_ascii_lowercase(), value.trim().to_owned()));
            open = true;
        }
        Self { entries }
    }

    /// The non-empty values of a field (name in lower case), in order.
    pub(super) fn all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> {
        let name = name.to_owned();
        self.entries.iter().filter(move |(n, v)| *n == name && !v.is_empty()).map(|(_, v)| v.as_str())
    }

    /// The first non-empty value of a field (name in lower case).
    pub(super) fn first(&self, name: &str) -> Option<&str> {
        self.all(name).next()
    }

    /// Copies what the report needs from the fields (all but Feedback-Type).
    pub(super) fn fill(&self, report: &mut FeedbackReport) {
        let text = |name: &str| self.first(name).map(str::to_owned);
        report.user_agent = text("user-agent");
        report.version = text("version");
        report.original_mail_from = self.first("original-mail-from").and_then(normalize_address);
        report.original_rcpt_to = self
            .all("original-rcpt-to")
            .flat_map(|v| v.split(','))
            .map(strip_angle)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect();
        report.arrival_date_raw = text("arrival-date").or_else(|| text("received-date"));
        report.arrival_date = report.arrival_date_raw.as_deref().and_then(parse_date);
        report.reporting_mta = self.first("reporting-mta").and_then(|v| {
            let host = v.split_once(';').map_or(v, |(_, host)| host).trim();
            (!host.is_empty()).then(|| host.to_owned())
        });
        report.source_ip = self.first("source-ip").and_then(parse_ip);
        let mut domains: Vec<String> = Vec::new();
        for value in self.all("reported-domain") {
            for domain in value.split(|c: char| c == ',' || c.is_whitespace()) {
                let domain = domain.trim_end_matches('.').to_lowercase();
                if !domain.is_empty() && !domains.contains(&domain) {
                    domains.push(domain);
                }
            }
        }
        report.reported_domains = domains;
    }
}

/// The address inside angle brackets if there are any, else the trimmed value.
pub(super) fn strip_angle(value: &str) -> &str {
    let value = value.trim();
    if let Some((_, rest)) = value.split_once('<')
        && let Some((inner, _)) = rest.split_once('>')
    {
        return inner.trim();
    }
    value.trim_matches(['<', '>']).trim()
}

/// An address without angle brackets and with its domain lower-cased; `None` when empty
/// (the null reverse-path `<>`).
pub(super) fn normalize_address(value: &str) -> Option<String> {
    let address = strip_angle(value);
    let address = address.strip_prefix("mailto:").unwrap_or(address);
    if address.is_empty() {
        return None;
    }
    Some(match address.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.to_lowercase()),
        None => address.to_owned(),
    })
}

/// A lower-cased address for sender attribution, or `None` when it does not look like one.
pub(super) fn candidate(value: &str) -> Option<String> {
    let address = normalize_address(value)?.to_lowercase();
    looks_like_address(&address).then_some(address)
}

/// Whether a value looks like a plain `local@domain.tld` address (no display name, no
/// brackets, no spaces, a domain with at least two labels).
pub(super) fn looks_like_address(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    let bad_char = |c: char| {
        c.is_whitespace()
            || c.is_control()
            || matches!(c, '<' | '>' | '(' | ')' | ',' | ';' | ':' | '"' | '\\' | '[' | ']')
    };
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    !local.is_empty()
        && local.len() <= 64
        && address.len() <= 254
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && !local.contains('@')
        && !address.chars().any(bad_char)
        && domain.contains('.')
        && domain.split('.').all(label_ok)
}

/// A Message-ID without angle brackets; `None` when empty.
pub(super) fn clean_id(value: &str) -> Option<String> {
    let id = strip_angle(value);
    (!id.is_empty()).then(|| id.to_owned())
}

/// An IP address from a `Source-IP` value such as `192.0.2.1`, `[192.0.2.1]`,
/// `IPv6:2001:db8::1` or `192.0.2.1 (host.example.net)`.
fn parse_ip(value: &str) -> Option<String> {
    let token = value.split_whitespace().next()?;
    let token = token.trim_matches(['[', ']', '(', ')', ';', ',']);
    let token = token.get(..5).filter(|p| p.eq_ignore_ascii_case("ipv6:")).map_or(token, |_| &token[5..]);
    token.parse::<IpAddr>().ok().map(|ip| ip.to_string())
}

/// Parses a date leniently: RFC 5322 (with obsolete zones such as `EDT`), RFC 3339, what
/// mail-parser makes of it, and a few bare ISO forms taken as UTC.
pub(super) fn parse_date(value: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if let Ok(date) = DateTime::parse_from_rfc2822(value) {
        return Some(date.with_timezone(&Utc));
    }
    if let Ok(date) = DateTime::parse_from_rfc3339(value) {
        return Some(date.with_timezone(&Utc));
    }
    if let Some(date) = mail_parser::DateTime::parse_rfc822(value).filter(|d| d.is_valid()) {
        return DateTime::from_timestamp(date.to_timestamp(), 0);
    }
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(value, format).ok())
        .map(|naive| naive.and_utc())
}
