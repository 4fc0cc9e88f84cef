//! The parser against broken and hostile input, and the JSON form.
use super::*;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../../tests/fixtures/arf/", $name, ".eml")).as_slice()
    };
}

fn err(raw: &[u8]) -> ArfError {
    parse(raw, 1 << 20).expect_err("not a usable report")
}

#[test]
fn broken_fixtures_give_their_error() {
    assert_eq!(err(fixture!("empty")), ArfError::NotMime);
    assert_eq!(err(b" \r\n\t\n"), ArfError::NotMime);
    assert_eq!(err(fixture!("plain-text")), ArfError::NotAReport);
    assert_eq!(err(fixture!("report-without-feedback")), ArfError::NotAReport);
    assert_eq!(err(fixture!("delivery-status")), ArfError::NotAReport);
    assert_eq!(err(fixture!("truncated")), ArfError::NotAReport);
    assert_eq!(err(fixture!("missing-feedback-type")), ArfError::MissingFeedbackType);
    let random = err(fixture!("random"));
    assert!(matches!(random, ArfError::NotMime | ArfError::NotAReport), "{random:?}");
}

#[test]
fn a_panic_in_mail_parser_is_contained() {
    // Found by fuzzing: mail-parser 0.11 reaches a debug_assert!(false) on this input (and
    // recovers from that state in release builds). In debug builds `parse` catches the panic.
    let raw = fixture!("fuzz-debug-assert");
    let result = parse(raw, 1 << 20);
    assert!(result.is_err(), "{result:?}");
    if cfg!(debug_assertions) {
        assert_eq!(result, Err(ArfError::NotMime));
    }
}

#[test]
fn size_limit() {
    let raw = fixture!("full-abuse");
    assert_eq!(parse(raw, raw.len() - 1), Err(ArfError::TooLarge));
    assert!(parse(raw, raw.len()).is_ok());
    assert_eq!(parse(b"", 0), Err(ArfError::NotMime));
}

#[test]
fn every_prefix_of_valid_reports_is_handled() {
    let fixtures = [
        fixture!("full-abuse"),
        fixture!("base64-feedback"),
        fixture!("yahoo"),
        fixture!("headers-only"),
        fixture!("lf-only"),
    ];
    for raw in fixtures {
        for len in 0..=raw.len() {
            // parse_unguarded: a panic must show here, not be caught.
            let result = parse_unguarded(&raw[..len]);
            assert_eq!(result, parse(&raw[..len], usize::MAX));
            if len == raw.len() {
                assert!(result.is_ok());
            }
        }
    }
}

#[test]
fn every_single_byte_corruption_is_handled() {
    let raw = fixture!("full-abuse");
    for at in 0..raw.len() {
        for byte in [0u8, b'\n', b'-', b':', 0xff] {
            let mut bad = raw.to_vec();
            bad[at] = byte;
            let _ = parse_unguarded(&bad);
        }
    }
}

fn base64(bytes: &[u8]) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    for (i, chunk) in bytes.chunks(3).enumerate() {
        let word = chunk.iter().enumerate().fold(0u32, |w, (k, &b)| w | (b as u32) << (16 - 8 * k));
        for k in 0..4 {
            let c = if k <= chunk.len() { ALPHABET[(word >> (18 - 6 * k) & 63) as usize] } else { b'=' };
            out.push(c);
        }
        if i % 19 == 18 {
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

/// ~1 MiB of nested `message/rfc822` parts: mail-parser's recursive drop would overflow the
/// stack of this (2 MiB) test thread, and with a base64-encoded outer part its own decoding
/// would copy the buffer once per level (gigabytes).
#[test]
fn deeply_nested_messages_do_not_exhaust_the_stack_or_memory() {
    let nested = b"Content-Type: message/rfc822\r\n\r\n".repeat(32_000);
    assert_eq!(parse(&nested, 1 << 20), Err(ArfError::NotAReport));

    let mut encoded = b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n".to_vec();
    encoded.extend_from_slice(&base64(&nested[..22_000 * 32]));
    assert!(encoded.len() < 1 << 20);
    assert_eq!(parse(&encoded, 1 << 20), Err(ArfError::NotAReport));

    let mut multipart = Vec::new();
    for i in 0..12_000 {
        multipart.extend_from_slice(
            format!("Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n").as_bytes(),
        );
    }
    assert_eq!(parse(&multipart, 1 << 20), Err(ArfError::NotAReport));

    // A real report inside 20,000 levels of forwarding is not looked for that deep.
    let mut forwarded = b"Content-Type: message/rfc822\r\n\r\n".repeat(20_000);
    forwarded.extend_from_slice(fixture!("minimal"));
    assert_eq!(parse(&forwarded, 1 << 20), Err(ArfError::NotAReport));
}

#[test]
fn the_original_is_cut_at_256_kib() {
    let raw = String::from_utf8(fixture!("full-abuse").to_vec()).unwrap();
    let big = raw.replace("Spam Spam Spam\r\n", &"Spam Spam Spam\r\n".repeat(6_000));
    let r = parse(big.as_bytes(), 1 << 20).unwrap();
    assert_eq!(r.original.as_ref().map(Vec::len), Some(MAX_ORIGINAL_BYTES));
    assert_eq!(r.original_message_id.as_deref(), Some("8787KJKJ3K4J3K4J3K4J3.mail@example.net"));
}

fn json(text: &str) -> Result<FeedbackReport, String> {
    serde_json::from_str::<JsonComplaint>(text).expect("valid JSON").into_report()
}

#[test]
fn json_complaint_minimal() {
    let r = json(r#"{"sender": " <News@Example.COM> "}"#).unwrap();
    assert_eq!(r.feedback_type, FeedbackType::Abuse);
    assert_eq!(r.original_mail_from.as_deref(), Some("News@example.com"));
    assert_eq!(r.sender_candidates(), vec!["news@example.com".to_owned()]);
    assert!(r.original_rcpt_to.is_empty());
    assert_eq!(r.original, None);
}

#[test]
fn json_complaint_full() {
    let r = json(
        r#"{"sender": "bounce@example.com", "recipient": "<user@example.net>",
            "original_message_id": "<abc@example.com>", "arrival_date": "2025-04-14T07:01:02Z",
            "feedback_type": "Not-Spam",
            "sample": "From: Shop <shop@example.com>\r\nSubject: Hi\r\nMessage-ID: <other@example.com>\r\n\r\n"}"#,
    )
    .unwrap();
    assert_eq!(r.feedback_type, FeedbackType::NotSpam);
    assert!(!r.feedback_type.counts());
    assert_eq!(r.original_rcpt_to, vec!["user@example.net".to_owned()]);
    assert_eq!(r.original_message_id.as_deref(), Some("abc@example.com"), "the given one wins");
    assert_eq!(r.arrival_date.map(|d| d.to_rfc3339()).as_deref(), Some("2025-04-14T07:01:02+00:00"));
    assert_eq!(r.original_from.as_deref(), Some("shop@example.com"));
    assert_eq!(r.original_subject.as_deref(), Some("Hi"));
    assert!(r.original_is_headers_only);
    assert_eq!(r.sender_candidates(), vec!["bounce@example.com".to_owned(), "shop@example.com".to_owned()]);
}

#[test]
fn json_complaint_sample_gives_the_message_id_and_body() {
    let r = json(r#"{"sender": "a@example.com", "arrival_date": "soon", "sample": "Message-ID: <s@example.com>\n\nbody"}"#)
        .unwrap();
    assert_eq!(r.original_message_id.as_deref(), Some("s@example.com"));
    assert!(!r.original_is_headers_only);
    assert_eq!(r.arrival_date_raw.as_deref(), Some("soon"));
    assert_eq!(r.arrival_date, None);
}

#[test]
fn json_complaint_needs_an_address() {
    for sender in ["", "nobody", "two words@example.com", "user@localhost", "<>"] {
        let body = serde_json::json!({ "sender": sender }).to_string();
        assert!(json(&body).is_err(), "{sender:?}");
    }
    assert!(serde_json::from_str::<JsonComplaint>(r#"{"recipient": "a@example.com"}"#).is_err());
}
