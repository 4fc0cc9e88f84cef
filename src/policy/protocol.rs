//! Postfix's access policy delegation protocol (SMTPD_POLICY_README), as pure functions: find a
//! request's end in what has been read, read its attributes, write a reply.
//!
//! A request is `name=value` lines ended by an empty line; the reply is `action=…` and an empty
//! line, with bare LF (Postfix does not recognise a CRLF reply and waits for its timeout).
//! Attributes come in any order; unknown ones are ignored and a repeated name keeps its last
//! value, so the attribute sets of Postfix 2.1 to 3.12 all read the same.
use std::borrow::Cow;

/// A request longer than this is not from Postfix (a real one is well under 2 kB).
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Where the request that starts `buf` ends (the index just past its empty line), if it has
/// all arrived. `from` is how far an earlier call already looked, so a request read a byte at a
/// time is scanned once.
pub fn request_end(buf: &[u8], from: usize) -> Option<usize> {
    let start = from.saturating_sub(2);
    let mut i = start;
    while let Some(pos) = memchr_newline(&buf[i..]) {
        let nl = i + pos;
        // An empty line: "\n\n", or "\n\r\n" from a client that writes CRLF.
        if nl > 0 && buf[nl - 1] == b'\n' {
            return Some(nl + 1);
        }
        if nl > 1 && buf[nl - 1] == b'\r' && buf[nl - 2] == b'\n' {
            return Some(nl + 1);
        }
        // A request that opens with an empty line (a stray newline between requests).
        if nl == 0 || (nl == 1 && buf[0] == b'\r') {
            return Some(nl + 1);
        }
        i = nl + 1;
    }
    None
}

fn memchr_newline(haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == b'\n')
}

/// The attributes a decision reads. Empty when Postfix sent the name with no value, or not at all.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PolicyRequest<'a> {
    pub request: &'a str,
    pub protocol_state: &'a str,
    pub client_address: &'a str,
    pub sasl_username: &'a str,
    pub sender: &'a str,
    pub recipient: &'a str,
    pub recipient_count: &'a str,
    pub instance: &'a str,
}

/// Why a request could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Malformed {
    Empty,
    /// A line without `=`.
    NotAnAttribute(String),
    /// No `request=smtpd_access_policy`.
    NotAPolicyRequest(String),
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Malformed::Empty => write!(f, "an empty request"),
            Malformed::NotAnAttribute(line) => write!(f, "a line that is no name=value attribute: {line:?}"),
            Malformed::NotAPolicyRequest(kind) => write!(f, "request={kind:?}, not smtpd_access_policy"),
        }
    }
}

/// The request's text: borrowed when it is UTF-8 (Postfix sends UTF-8 or ASCII), else with the
/// bad bytes replaced, so a stray byte in a HELO name never stops the decision.
pub fn text(raw: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(raw)
}

/// Reads one request (its text, up to and including the empty line).
pub fn parse(text: &str) -> Result<PolicyRequest<'_>, Malformed> {
    let mut request = PolicyRequest::default();
    let mut attributes = 0;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            let shown: String = line.chars().take(80).collect();
            return Err(Malformed::NotAnAttribute(shown));
        };
        attributes += 1;
        let slot = match name {
            "request" => &mut request.request,
            "protocol_state" => &mut request.protocol_state,
            "client_address" => &mut request.client_address,
            "sasl_username" => &mut request.sasl_username,
            "sender" => &mut request.sender,
            "recipient" => &mut request.recipient,
            "recipient_count" => &mut request.recipient_count,
            "instance" => &mut request.instance,
            _ => continue,
        };
        *slot = value;
    }
    if attributes == 0 {
        return Err(Malformed::Empty);
    }
    if request.request != "smtpd_access_policy" {
        return Err(Malformed::NotAPolicyRequest(request.request.chars().take(80).collect()));
    }
    Ok(request)
}

/// Appends the reply to `out`: `action=…`, then the empty line, bare LF.
pub fn write_reply(out: &mut Vec<u8>, action: &str) {
    out.extend_from_slice(b"action=");
    out.extend_from_slice(action.as_bytes());
    out.extend_from_slice(b"\n\n");
}

/// Checks a refusal configured by the operator: one line that Postfix's access(5) reads as a
/// refusal or a temporary failure. Anything that could let mail through is refused here: `OK`,
/// `DUNNO`, an all-numeric result (access(5) reads it as OK), `WARN`, `PREPEND`, `FILTER`…
pub fn check_action(action: &str) -> Result<(), String> {
    if action.contains(['\n', '\r']) {
        return Err("an action must be one line".into());
    }
    let first = action.split_whitespace().next().unwrap_or("");
    let verb = first.to_ascii_uppercase();
    let refusing_code = first.len() == 3
        && first.chars().all(|c| c.is_ascii_digit())
        && matches!(first.as_bytes()[0], b'4' | b'5')
        && action.split_whitespace().nth(1).is_some();
    let refusing_verb = matches!(verb.as_str(), "REJECT" | "DEFER" | "DEFER_IF_PERMIT" | "DEFER_IF_REJECT");
    if refusing_code || refusing_verb {
        Ok(())
    } else {
        Err(format!(
            "{action:?} is no refusal: use REJECT, DEFER, DEFER_IF_PERMIT or DEFER_IF_REJECT with a text, \
             or a 4xx/5xx code with a text (e.g. \"554 5.7.1 Sending failed\")"
        ))
    }
}

/// The words of an action, without the verb or SMTP codes: "554 5.7.1 Sending failed" and
/// "REJECT Sending failed" both give "Sending failed" (what a webmail shows its user).
pub fn action_text(action: &str) -> &str {
    let mut rest = action.trim();
    for _ in 0..2 {
        let (word, after) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let is_code = word.chars().all(|c| c.is_ascii_digit() || c == '.') && !word.is_empty();
        let is_verb = matches!(word, "REJECT" | "DEFER" | "DEFER_IF_PERMIT" | "DEFER_IF_REJECT");
        if is_code || is_verb {
            rest = after.trim_start();
        } else {
            break;
        }
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;

    const POSTFIX_3_7: &str = "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n\
        client_address=127.0.0.1\nclient_name=localhost\nclient_port=58448\nreverse_client_name=localhost\n\
        server_address=127.0.0.1\nserver_port=2525\nhelo_name=vm\nsender=alice@example.test\n\
        recipient=x@elsewhere.test\nrecipient_count=0\nqueue_id=\ninstance=38be.6b04bf07.cb1bd.0\nsize=0\n\
        etrn_domain=\nstress=\nsasl_method=PLAIN\nsasl_username=alice@example.test\nsasl_sender=\n\
        ccert_subject=\nccert_issuer=\nccert_fingerprint=\nccert_pubkey_fingerprint=\nencryption_protocol=\n\
        encryption_cipher=\nencryption_keysize=0\npolicy_context=\n\n";

    #[test]
    fn reads_a_postfix_3_7_request() {
        let end = request_end(POSTFIX_3_7.as_bytes(), 0).unwrap();
        assert_eq!(end, POSTFIX_3_7.len());
        let r = parse(&POSTFIX_3_7[..end]).unwrap();
        assert_eq!(r.protocol_state, "RCPT");
        assert_eq!(r.sasl_username, "alice@example.test");
        assert_eq!(r.sender, "alice@example.test");
        assert_eq!(r.recipient, "x@elsewhere.test");
        assert_eq!(r.client_address, "127.0.0.1");
        assert_eq!(r.instance, "38be.6b04bf07.cb1bd.0");
    }

    #[test]
    fn finds_the_end_however_the_bytes_arrive() {
        let two = format!("{POSTFIX_3_7}{POSTFIX_3_7}");
        let bytes = two.as_bytes();
        // Fed one byte at a time, the first end is found exactly when its last byte arrives.
        let mut from = 0;
        let mut found = None;
        for len in 1..=bytes.len() {
            match request_end(&bytes[..len], from) {
                Some(end) => {
                    found = Some((end, len));
                    break;
                }
                None => from = len,
            }
        }
        assert_eq!(found, Some((POSTFIX_3_7.len(), POSTFIX_3_7.len())));
        assert_eq!(request_end(&bytes[POSTFIX_3_7.len()..], 0), Some(POSTFIX_3_7.len()));
    }

    #[test]
    fn order_unknown_and_repeated_attributes() {
        let r = parse(
            "recipient=a@b.test\nfuture_attribute=1\nrequest=smtpd_access_policy\nsender=x@y\nsender=z@y\n\n",
        )
        .unwrap();
        assert_eq!(r.recipient, "a@b.test");
        assert_eq!(r.sender, "z@y");
        assert_eq!(r.protocol_state, "");
    }

    #[test]
    fn crlf_lines_are_read_too() {
        let text = "request=smtpd_access_policy\r\nprotocol_state=RCPT\r\n\r\n";
        assert_eq!(request_end(text.as_bytes(), 0), Some(text.len()));
        assert_eq!(parse(text).unwrap().protocol_state, "RCPT");
    }

    #[test]
    fn garbage_is_malformed_never_a_request() {
        assert!(matches!(parse("hello\n\n"), Err(Malformed::NotAnAttribute(_))));
        assert_eq!(parse("\n"), Err(Malformed::Empty));
        assert!(matches!(parse("protocol_state=RCPT\n\n"), Err(Malformed::NotAPolicyRequest(_))));
        assert!(matches!(parse("request=junk\n\n"), Err(Malformed::NotAPolicyRequest(_))));
        // Bad bytes are replaced, not a reason to fail.
        let raw = b"request=smtpd_access_policy\nhelo_name=\xff\xfe\nsender=a@b\n\n";
        assert_eq!(parse(&text(raw)).unwrap().sender, "a@b");
    }

    #[test]
    fn replies_end_in_bare_lf() {
        let mut out = Vec::new();
        write_reply(&mut out, "DUNNO");
        write_reply(&mut out, "554 5.7.1 Sending failed");
        assert_eq!(out, b"action=DUNNO\n\naction=554 5.7.1 Sending failed\n\n");
    }

    #[test]
    fn action_words() {
        assert_eq!(action_text("554 5.7.1 Sending failed"), "Sending failed");
        assert_eq!(action_text("REJECT Sending failed"), "Sending failed");
        assert_eq!(
            action_text("DEFER_IF_PERMIT Service temporarily unavailable"),
            "Service temporarily unavailable"
        );
    }

    #[test]
    fn configured_actions_are_checked() {
        assert!(check_action("554 5.7.1 Sending failed").is_ok());
        assert!(check_action("DEFER_IF_PERMIT Service temporarily unavailable").is_ok());
        assert!(check_action("REJECT").is_ok());
        for lets_mail_through in [
            "OK",
            "ok fine",
            "DUNNO",
            "554",
            "250 fine",
            "200 ok",
            "WARN x",
            "PREPEND X: y",
            "FILTER smtp:x",
            "HOLD",
        ] {
            assert!(check_action(lets_mail_through).is_err(), "{lets_mail_through}");
        }
        assert!(check_action("550 x\naction=OK").is_err());
        assert!(check_action(" ").is_err());
    }
}
