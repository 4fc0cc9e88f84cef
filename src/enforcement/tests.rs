//! The decision table: every state of *Send Mail*, *Send via Webmail* and *Receive Mail* ×
//! client kind (SASL, webmail host, inbound) × stage.
use super::*;
use crate::domain::{ServiceSet, ServiceState as S};

const STATES: [S; 3] = [S::Enabled, S::Disabled, S::Suspended];

fn mailbox(send: S, webmail_send: S, receive: S) -> MailboxPolicy {
    let services =
        ServiceSet { send_mail: send, webmail_send, receive_mail: receive, ..ServiceSet::default() };
    MailboxPolicy { mailbox_id: 1, domain_id: 1, company_id: 1, services }
}

fn expected_send(send: S, webmail_send: S, via_webmail: bool) -> Option<SendRefusal> {
    match send {
        S::Suspended => Some(SendRefusal::Suspended),
        S::Disabled => Some(SendRefusal::Disabled),
        S::Enabled if via_webmail && webmail_send != S::Enabled => Some(SendRefusal::WebmailSendOff),
        S::Enabled => None,
    }
}

#[test]
fn every_sender_state_by_client_kind_at_rcpt() {
    let other = mailbox(S::Enabled, S::Enabled, S::Enabled);
    for send in STATES {
        for webmail_send in STATES {
            for receive in STATES {
                let m = mailbox(send, webmail_send, receive);
                for via_webmail in [false, true] {
                    let q = Question {
                        stage: Stage::Rcpt,
                        submitter: Submitter::Hosted { mailbox: &m, via_webmail },
                        recipient: Some(&other),
                        sending: None,
                    };
                    let want = match expected_send(send, webmail_send, via_webmail) {
                        Some(refusal) => Verdict::RefuseSend(refusal),
                        None => Verdict::Dunno,
                    };
                    assert_eq!(
                        decide(&q),
                        want,
                        "send={send:?} webmail_send={webmail_send:?} webmail={via_webmail}"
                    );
                    assert_eq!(
                        send_permission(&m, via_webmail).err(),
                        expected_send(send, webmail_send, via_webmail)
                    );
                }
                // Inbound mail to this mailbox: only Receive Mail matters.
                let q = Question {
                    stage: Stage::Rcpt,
                    submitter: Submitter::Other,
                    recipient: Some(&m),
                    sending: None,
                };
                let want = if receive == S::Enabled { Verdict::Dunno } else { Verdict::RefuseRecipient };
                assert_eq!(decide(&q), want, "inbound, receive={receive:?}");
            }
        }
    }
}

#[test]
fn a_refused_sender_is_refused_as_a_sender_even_to_a_closed_recipient() {
    let sender = mailbox(S::Suspended, S::Enabled, S::Enabled);
    let closed = mailbox(S::Enabled, S::Enabled, S::Disabled);
    let q = Question {
        stage: Stage::Rcpt,
        submitter: Submitter::Hosted { mailbox: &sender, via_webmail: false },
        recipient: Some(&closed),
        sending: None,
    };
    assert_eq!(decide(&q), Verdict::RefuseSend(SendRefusal::Suspended));
    // An allowed internal sender to a closed mailbox: the recipient is refused.
    let ok = mailbox(S::Enabled, S::Enabled, S::Enabled);
    let q = Question { submitter: Submitter::Hosted { mailbox: &ok, via_webmail: false }, ..q };
    assert_eq!(decide(&q), Verdict::RefuseRecipient);
}

#[test]
fn unknown_addresses_and_other_stages_are_left_to_postfix() {
    let q = Question { stage: Stage::Rcpt, submitter: Submitter::Other, recipient: None, sending: None };
    assert_eq!(decide(&q), Verdict::Dunno);
    let suspended = mailbox(S::Suspended, S::Suspended, S::Suspended);
    for stage in [Stage::Connect, Stage::Helo, Stage::Other] {
        let q = Question {
            stage,
            submitter: Submitter::Hosted { mailbox: &suspended, via_webmail: false },
            recipient: Some(&suspended),
            sending: None,
        };
        assert_eq!(decide(&q), Verdict::Dunno, "{stage:?}");
    }
}

#[test]
fn sending_is_judged_again_at_data_and_end_of_message_but_recipients_only_at_rcpt() {
    let suspended = mailbox(S::Suspended, S::Enabled, S::Enabled);
    let closed = mailbox(S::Enabled, S::Enabled, S::Disabled);
    for stage in [Stage::Mail, Stage::Data, Stage::EndOfMessage] {
        let q = Question {
            stage,
            submitter: Submitter::Hosted { mailbox: &suspended, via_webmail: false },
            recipient: None,
            sending: None,
        };
        assert_eq!(decide(&q), Verdict::RefuseSend(SendRefusal::Suspended), "{stage:?}");
        let q = Question { stage, submitter: Submitter::Other, recipient: Some(&closed), sending: None };
        assert_eq!(decide(&q), Verdict::Dunno, "{stage:?}");
    }
}

#[test]
fn stages_parse_as_postfix_names_them() {
    assert_eq!(Stage::parse("RCPT"), Stage::Rcpt);
    assert_eq!(Stage::parse("END-OF-MESSAGE"), Stage::EndOfMessage);
    assert_eq!(Stage::parse("DATA"), Stage::Data);
    assert_eq!(Stage::parse("VRFY"), Stage::Other);
    assert_eq!(Stage::parse(""), Stage::Other);
}

/// Limits × sender state × recipient kind × breach action, at RCPT.
#[test]
fn limits_by_sender_state_recipient_kind_and_breach_action() {
    use limits::{BreachAction as B, LimitKind as K, Limits, Usage};
    let l = Limits { daily: Some(100), external_hourly: Some(10), internal_hourly: Some(20) };
    let under = Usage { external_hour: 9, internal_hour: 19, day: 99 };
    let external_full = Usage { external_hour: 10, internal_hour: 0, day: 10 };
    let day_full = Usage { external_hour: 0, internal_hour: 0, day: 100 };
    let other = mailbox(S::Enabled, S::Enabled, S::Enabled);
    for send in STATES {
        let m = mailbox(send, S::Enabled, S::Enabled);
        for breach in [B::Defer, B::Suspend, B::Alert] {
            for internal in [false, true] {
                for (usage, over) in [
                    (under, None),
                    (external_full, (!internal).then_some((K::ExternalHourly, 10))),
                    (day_full, Some((K::Daily, 100))),
                ] {
                    let q = Question {
                        stage: Stage::Rcpt,
                        submitter: Submitter::Hosted { mailbox: &m, via_webmail: false },
                        recipient: internal.then_some(&other),
                        sending: Some(SendingCheck { limits: l, usage, internal, breach }),
                    };
                    let want = match (expected_send(send, S::Enabled, false), over) {
                        (Some(refusal), _) => Verdict::RefuseSend(refusal),
                        (None, Some((kind, limit))) => Verdict::OverLimit { kind, limit, action: breach },
                        (None, None) => Verdict::Dunno,
                    };
                    let got = decide(&q);
                    assert_eq!(
                        got, want,
                        "send={send:?} breach={breach:?} internal={internal} usage={usage:?}"
                    );
                    assert_eq!(
                        got.lets_through(),
                        want == Verdict::Dunno
                            || (over.is_some() && breach == B::Alert && send == S::Enabled)
                    );
                }
            }
        }
    }
    // Limits are judged at RCPT only: MAIL and DATA are not recipients.
    let m = mailbox(S::Enabled, S::Enabled, S::Enabled);
    for stage in [Stage::Mail, Stage::Data, Stage::EndOfMessage] {
        let q = Question {
            stage,
            submitter: Submitter::Hosted { mailbox: &m, via_webmail: false },
            recipient: None,
            sending: Some(SendingCheck { limits: l, usage: day_full, internal: false, breach: B::Defer }),
        };
        assert_eq!(decide(&q), Verdict::Dunno, "{stage:?}");
    }
}
