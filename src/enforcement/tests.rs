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
                let q = Question { stage: Stage::Rcpt, submitter: Submitter::Other, recipient: Some(&m) };
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
    };
    assert_eq!(decide(&q), Verdict::RefuseSend(SendRefusal::Suspended));
    // An allowed internal sender to a closed mailbox: the recipient is refused.
    let ok = mailbox(S::Enabled, S::Enabled, S::Enabled);
    let q = Question { submitter: Submitter::Hosted { mailbox: &ok, via_webmail: false }, ..q };
    assert_eq!(decide(&q), Verdict::RefuseRecipient);
}

#[test]
fn unknown_addresses_and_other_stages_are_left_to_postfix() {
    let q = Question { stage: Stage::Rcpt, submitter: Submitter::Other, recipient: None };
    assert_eq!(decide(&q), Verdict::Dunno);
    let suspended = mailbox(S::Suspended, S::Suspended, S::Suspended);
    for stage in [Stage::Connect, Stage::Helo, Stage::Other] {
        let q = Question {
            stage,
            submitter: Submitter::Hosted { mailbox: &suspended, via_webmail: false },
            recipient: Some(&suspended),
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
        };
        assert_eq!(decide(&q), Verdict::RefuseSend(SendRefusal::Suspended), "{stage:?}");
        let q = Question { stage, submitter: Submitter::Other, recipient: Some(&closed) };
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
