//! The parser against the fixtures of tests/fixtures/arf (valid reports).
use chrono::{DateTime, Utc};

use super::*;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../../tests/fixtures/arf/", $name, ".eml")).as_slice()
    };
}

fn ok(raw: &[u8]) -> FeedbackReport {
    parse(raw, 1 << 20).expect("a valid feedback report")
}

fn utc(rfc3339: &str) -> Option<DateTime<Utc>> {
    Some(DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc))
}

fn some(value: &str) -> Option<String> {
    Some(value.to_owned())
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

fn original_text(report: &FeedbackReport) -> String {
    String::from_utf8(report.original.clone().expect("an original")).unwrap()
}

#[test]
fn full_abuse_report_rfc5965_b2() {
    let r = ok(fixture!("full-abuse"));
    assert_eq!(r.feedback_type, FeedbackType::Abuse);
    assert!(r.feedback_type.counts());
    assert_eq!(r.user_agent, some("SomeGenerator/1.0"));
    assert_eq!(r.version, some("1"));
    assert_eq!(r.original_mail_from, some("somespammer@example.net"));
    assert_eq!(r.original_rcpt_to, strings(&["user@example.com"]));
    assert_eq!(r.arrival_date_raw, some("Thu, 8 Mar 2005 14:00:00 EDT"));
    assert_eq!(r.arrival_date, utc("2005-03-08T18:00:00Z"));
    assert_eq!(r.reporting_mta, some("mail.example.com"));
    assert_eq!(r.source_ip, some("192.0.2.1"));
    assert_eq!(r.reported_domains, strings(&["example.net"]));
    assert_eq!(r.report_message_id, some("arf-full-0001@example.com"));
    assert_eq!(r.original_message_id, some("8787KJKJ3K4J3K4J3K4J3.mail@example.net"));
    assert_eq!(r.original_return_path, some("Bounces+abc@mailer.example.net"));
    assert_eq!(r.original_sender, some("list-owner@example.net"));
    assert_eq!(r.original_from, some("somespammer@example.net"));
    assert_eq!(r.original_subject, some("Earn money"));
    assert!(!r.original_is_headers_only);
    let original = original_text(&r);
    assert!(original.starts_with("Return-Path: <Bounces+abc@Mailer.Example.NET>\r\n"), "{original}");
    assert!(original.ends_with("Spam Spam Spam"), "the boundary's CRLF is not the original's");
    assert_eq!(
        r.sender_candidates(),
        strings(&["somespammer@example.net", "bounces+abc@mailer.example.net", "list-owner@example.net"])
    );
}

#[test]
fn minimal_report_rfc5965_b1() {
    let r = ok(fixture!("minimal"));
    let mut expected = FeedbackReport::new(FeedbackType::Abuse);
    expected.user_agent = some("SomeGenerator/1.0");
    expected.version = some("1");
    assert_eq!(r, expected);
    assert!(r.sender_candidates().is_empty());
}

#[test]
fn headers_only_original() {
    let r = ok(fixture!("headers-only"));
    assert_eq!(r.feedback_type, FeedbackType::Abuse);
    assert!(r.original_is_headers_only);
    assert_eq!(r.original_message_id, some("spring-sale-0414@shop.example.com"));
    assert_eq!(r.original_subject, some("Spring sale"));
    assert_eq!(r.report_message_id, some("20250414091244.4711@isp.example.net"));
    // "14 Apr 2025 07:01:02 +0000": no day of week
    assert_eq!(r.arrival_date, utc("2025-04-14T07:01:02Z"));
    assert_eq!(
        r.sender_candidates(),
        strings(&["newsletter@shop.example.com", "bounce-7781@shop.example.com"])
    );
    let original = original_text(&r);
    assert!(original.starts_with("Return-Path: <bounce-7781@shop.example.com>\r\n"));
    assert!(original.contains("Message-ID: <spring-sale-0414@shop.example.com>"));
}

#[test]
fn several_recipients_and_folded_fields() {
    let r = ok(fixture!("multi-rcpt"));
    assert_eq!(
        r.original_rcpt_to,
        strings(&["alice@receiver.example.net", "bob@receiver.example.net", "carol@receiver.example.net"])
    );
    assert_eq!(r.original_mail_from, some("digest@lists.example.com"), "folded onto the next line");
    assert_eq!(r.reported_domains, strings(&["lists.example.com", "example.com"]));
    assert_eq!(r.source_ip, some("203.0.113.7"));
    assert_eq!(r.original_message_id, some("digest-2025-15@lists.example.com"));
    assert_eq!(r.sender_candidates(), strings(&["digest@lists.example.com"]));
}

#[test]
fn redacted_recipient_rfc6590_is_kept_as_given() {
    let r = ok(fixture!("redacted"));
    assert_eq!(r.original_rcpt_to, strings(&["2c3e6b2e8e3f0bd0a1f7c9d84c5a1e07@mbp.example.net"]));
    assert_eq!(r.source_ip, some("2001:db8::25"));
    assert_eq!(r.reporting_mta, some("mx2.mbp.example.net"));
    assert_eq!(r.arrival_date, utc("2025-04-16T15:29:11Z"));
    assert_eq!(r.sender_candidates(), strings(&["promo@deals.example.com"]));
}

#[test]
fn counting_and_non_counting_types() {
    let cases: [(&[u8], FeedbackType, bool); 5] = [
        (fixture!("virus"), FeedbackType::Virus, true),
        (fixture!("fraud"), FeedbackType::Fraud, true),
        (fixture!("not-spam"), FeedbackType::NotSpam, false),
        (fixture!("auth-failure"), FeedbackType::AuthFailure, false),
        (fixture!("other"), FeedbackType::Other("other".into()), false),
    ];
    for (raw, feedback_type, counts) in cases {
        let r = ok(raw);
        assert_eq!(r.feedback_type, feedback_type);
        assert_eq!(r.feedback_type.counts(), counts, "{feedback_type}");
        assert_eq!(r.sender_candidates(), strings(&["sender@example.com"]));
    }
    let r = ok(fixture!("virus"));
    assert_eq!(r.original_message_id, some("virus-original@example.com"));
    assert_eq!(r.original_rcpt_to, strings(&["recipient@receiver.example.net"]));
    assert_eq!(r.arrival_date, utc("2025-04-17T11:59:00Z"));
    assert_eq!(ok(fixture!("not-spam")).feedback_type.as_str(), "not-spam");
}

#[test]
fn auth_failure_report_rfc6591() {
    let r = ok(fixture!("auth-failure"));
    assert_eq!(r.feedback_type.as_str(), "auth-failure");
    assert!(r.original_is_headers_only);
    assert_eq!(r.arrival_date_raw, some("Fri, 18 Apr 2025 05:55:00 +0000"), "from Received-Date");
    assert_eq!(r.arrival_date, utc("2025-04-18T05:55:00Z"));
    assert_eq!(r.original_message_id, some("auth-fail-orig-1@example.com"));
    assert_eq!(r.reported_domains, strings(&["example.com"]));
    assert!(original_text(&r).starts_with("DKIM-Signature: v=1;"));
}

#[test]
fn base64_feedback_part_and_original() {
    let r = ok(fixture!("base64-feedback"));
    assert_eq!(r.feedback_type, FeedbackType::Abuse);
    assert_eq!(r.user_agent, some("B64-FBL/1.0"));
    assert_eq!(r.original_mail_from, some("offers@example.com"));
    assert_eq!(r.original_rcpt_to, strings(&["jan@receiver.example.net"]));
    assert_eq!(r.arrival_date, utc("2025-04-19T09:20:30Z"));
    assert_eq!(r.source_ip, some("192.0.2.99"));
    assert_eq!(r.original_message_id, some("b64-original-1@example.com"));
    assert_eq!(r.original_subject, some("Réduction déjà valable"), "ISO-8859-1 encoded word");
    assert_eq!(r.original_from, some("offers@example.com"));
    let original = r.original.as_deref().unwrap();
    assert!(original.starts_with(b"Return-Path: <offers@example.com>\r\n"), "decoded");
    assert!(original.ends_with(b"Caf\xe9 cr\xe8me.\r\n"), "the 8-bit body, as received");
}

#[test]
fn lf_line_endings_and_utf8_subject() {
    let raw = fixture!("lf-only");
    assert!(!raw.contains(&b'\r'));
    let r = ok(raw);
    assert_eq!(r.original_mail_from, some("news@example.com"), "domain lower-cased");
    assert_eq!(r.source_ip, some("192.0.2.200"), "brackets removed");
    assert_eq!(r.arrival_date, utc("2025-04-21T00:10:05Z"));
    assert_eq!(r.original_subject, some("Überraschung 🎉"));
    assert_eq!(r.original_message_id, some("lf-orig-77@example.com"));
    assert!(original_text(&r).ends_with("\n\nHello."));
}

#[test]
fn yahoo_like_report() {
    // No report-type parameter, lower-case field names, "ABUSE", a quoted-printable part.
    let r = ok(fixture!("yahoo"));
    assert_eq!(r.feedback_type, FeedbackType::Abuse);
    assert_eq!(r.user_agent, some("Yahoo!-Mail-Feedback/2.0"));
    assert_eq!(r.version, some("0.1"));
    assert_eq!(r.original_mail_from, some("Orders+ID7781@shop.example.com"), "local part as given");
    assert_eq!(r.original_rcpt_to, strings(&["user7781@mail.example.net"]));
    assert_eq!(r.arrival_date, utc("2025-04-21T04:10:02Z"));
    assert_eq!(r.source_ip, None);
    assert_eq!(r.reported_domains, strings(&["shop.example.com"]));
    assert_eq!(r.report_message_id, some("1745208714.61.feedback@arf.mail.example.net"));
    assert_eq!(r.original_message_id, some("0100018f.shipped.7781@shop.example.com"));
    assert_eq!(r.original_subject, some("Your order has shipped ✓"));
    assert_eq!(
        r.sender_candidates(),
        strings(&["orders+id7781@shop.example.com", "orders@shop.example.com"])
    );
}

#[test]
fn jmrp_like_report_names_the_recipient_in_the_original() {
    let r = ok(fixture!("jmrp"));
    assert_eq!(r.user_agent, some("Hotmail FBL"));
    // From the original's X-HmXmrOriginalRecipient, not the report's own.
    assert_eq!(r.original_rcpt_to, strings(&["someone@mail.example.net"]));
    assert_eq!(r.source_ip, some("203.0.113.45"));
    assert_eq!(r.arrival_date, utc("2025-04-22T14:30:10Z"));
    assert_eq!(r.original_message_id, some("weekly-4471-889@mailer.example.com"));
    assert_eq!(r.original_return_path, some("bounce-4471-889@mailer.example.com"));
    assert_eq!(r.sender_candidates(), strings(&["bounce-4471-889@mailer.example.com", "news@example.com"]));
}

#[test]
fn report_forwarded_as_an_attachment() {
    let r = ok(fixture!("forwarded"));
    assert_eq!(r.report_message_id, some("arf-forwarded-0001@example.com"));
    assert_eq!(r.original_message_id, some("8787KJKJ3K4J3K4J3K4J3.mail@example.net"));
    assert_eq!(r.original_rcpt_to, strings(&["user@example.com"]));
}

#[test]
fn truncated_original_still_gives_the_report() {
    let r = ok(fixture!("truncated-original"));
    assert_eq!(r.feedback_type, FeedbackType::Abuse);
    assert_eq!(r.original_message_id, some("8787KJKJ3K4J3K4J3K4J3.mail@example.net"));
    assert_eq!(r.original_subject, some("Earn money"));
    assert!(original_text(&r).ends_with("Date: Thu, 02 Se"));
}

#[test]
fn feedback_type_values() {
    let parse = FeedbackType::parse;
    assert_eq!(parse("Abuse"), Some(FeedbackType::Abuse));
    assert_eq!(parse(" abuse ; something"), Some(FeedbackType::Abuse));
    assert_eq!(parse("NOT_SPAM"), Some(FeedbackType::NotSpam));
    assert_eq!(parse("Auth-Failure"), Some(FeedbackType::AuthFailure));
    assert_eq!(parse("opt-out"), Some(FeedbackType::Other("opt-out".into())));
    assert_eq!(parse("  "), None);
    assert_eq!(FeedbackType::Other("dmarc".into()).as_str(), "dmarc");
    assert!(!FeedbackType::Other("abuse-ish".into()).counts());
}

#[test]
fn sender_candidates_order_dedup_and_validity() {
    let mut r = FeedbackReport::new(FeedbackType::Abuse);
    r.original_mail_from = some("Bounce@Example.COM");
    r.original_return_path = some("<bounce@example.com>");
    r.original_sender = some("not an address");
    r.original_from = some("User@Sub.Example.ORG");
    assert_eq!(r.sender_candidates(), strings(&["bounce@example.com", "user@sub.example.org"]));
    r.original_mail_from = some("root@localhost");
    r.original_return_path = None;
    r.original_from = some("a..b@example.com");
    assert!(r.sender_candidates().is_empty());
}

#[test]
fn dates_are_read_leniently() {
    let date = fields::parse_date;
    assert_eq!(date("Thu, 8 Mar 2005 14:00:00 EDT"), utc("2005-03-08T18:00:00Z"));
    assert_eq!(date("Thu, 08 Mar 2005 14:00:00 -0400 (EDT)"), utc("2005-03-08T18:00:00Z"));
    assert_eq!(date("2025-04-14T07:01:02+02:00"), utc("2025-04-14T05:01:02Z"));
    assert_eq!(date("2025-04-14 07:01:02"), utc("2025-04-14T07:01:02Z"));
    assert_eq!(date("8 Mar 2005 14:00 +0000"), utc("2005-03-08T14:00:00Z"));
    assert_eq!(date("yesterday"), None);
    assert_eq!(date(""), None);
}

#[test]
fn report_without_multipart() {
    let raw = b"Content-Type: message/feedback-report\r\n\r\nFeedback-Type: fraud\r\n";
    let r = ok(raw);
    assert_eq!(r.feedback_type, FeedbackType::Fraud);
    assert_eq!(r.original, None);
}

#[test]
fn feedback_part_with_a_wrong_content_type() {
    let raw = b"Content-Type: multipart/report; boundary=x\n\n--x\nContent-Type: text/plain\n\nhi\n\
        --x\nContent-Type: text/plain\n\nFeedback-Type: virus\nSource-IP: 192.0.2.3 (mx.example.net)\n\n\
        --x\nContent-Type: message/rfc822\n\nFrom: a@example.com\nMessage-ID: <m@example.com>\n\nx\n--x--\n";
    let r = ok(raw);
    assert_eq!(r.feedback_type, FeedbackType::Virus);
    assert_eq!(r.source_ip, some("192.0.2.3"));
    assert_eq!(r.original_message_id, some("m@example.com"));
}

#[test]
fn stray_lines_in_the_feedback_part_are_skipped() {
    let fields = fields::Fields::parse(
        b"\xff garbage\r\n\r\nFeedback-Type: abuse\r\nno colon here\r\n  continuation of nothing\r\n\
          Bad Name: x\r\nOriginal-Rcpt-To: <a@example.net>, <b@example.net>\r\nreported-domain: A.Example.\r\n",
    );
    let mut r = FeedbackReport::new(FeedbackType::Abuse);
    fields.fill(&mut r);
    assert_eq!(fields.first("feedback-type"), Some("abuse"));
    assert_eq!(fields.first("bad name"), None);
    assert_eq!(r.original_rcpt_to, strings(&["a@example.net", "b@example.net"]));
    assert_eq!(r.reported_domains, strings(&["a.example"]));
}
