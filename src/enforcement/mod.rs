//! What the mail servers must do with a message, decided from a mailbox's services: plain code,
//! no I/O. The policy service (`crate::policy`) and the webmail API ask the same functions, so
//! SMTP, webmail and the dashboard can never disagree.
//!
//! The rules (the provider's AUP process, `../shared/seeds/`):
//! - a hosted mailbox whose *Send Mail* is not enabled (suspended or switched off) cannot send,
//!   by SMTP or webmail; the user gets only a generic error, never the reason;
//! - from a webmail host, *Send via Webmail* must be enabled as well;
//! - a hosted mailbox whose *Receive Mail* is not enabled refuses mail at RCPT;
//! - a hosted sender at a limit (`limits`) gets what its company chose: a temporary refusal, a
//!   suspension, or its mail let through with an alert;
//! - anything else is left to the mail server's own restrictions (`DUNNO`, never `OK`, which
//!   would skip the provider's later checks).
pub mod limits;

use crate::domain::{ServiceSet, ServiceState};
use limits::{BreachAction, LimitKind, Limits, Usage};

/// The default refusal for a sender (Postfix access(5) action): generic, the reason is not told.
pub const DEFAULT_SEND_REFUSED: &str = "554 5.7.1 Sending failed";
/// The default refusal for a recipient whose *Receive Mail* is off.
pub const DEFAULT_RECEIVE_REFUSED: &str = "550 5.2.1 Mailbox unavailable";
/// The default action before the first load: a temporary failure, so senders retry.
pub const DEFAULT_FALLBACK: &str = "DEFER_IF_PERMIT Service temporarily unavailable";

/// What the policy service knows of one hosted mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailboxPolicy {
    pub mailbox_id: i32,
    pub domain_id: i32,
    pub company_id: i32,
    pub services: ServiceSet,
}

/// The SMTP stage a request was made at (Postfix's `protocol_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Connect,
    Helo,
    Mail,
    Rcpt,
    Data,
    EndOfMessage,
    Other,
}

impl Stage {
    pub fn parse(protocol_state: &str) -> Self {
        match protocol_state.to_ascii_uppercase().as_str() {
            "CONNECT" => Stage::Connect,
            "EHLO" | "HELO" => Stage::Helo,
            "MAIL" => Stage::Mail,
            "RCPT" => Stage::Rcpt,
            "DATA" => Stage::Data,
            "END-OF-MESSAGE" => Stage::EndOfMessage,
            _ => Stage::Other,
        }
    }
}

/// Who hands the message to us, as far as the decision cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitter<'a> {
    /// A hosted mailbox sending: SASL-authenticated, or the envelope sender of mail from a
    /// webmail host (which may relay without SASL).
    Hosted { mailbox: &'a MailboxPolicy, via_webmail: bool },
    /// Signed in as someone we do not host (another system's login), or not signed in at all:
    /// inbound mail, or a client Postfix will judge by its own rules.
    Other,
}

/// One question: may this submitter send, and may this recipient receive?
#[derive(Debug, Clone, Copy)]
pub struct Question<'a> {
    pub stage: Stage,
    pub submitter: Submitter<'a>,
    /// The hosted mailbox the recipient address names, at RCPT (`None`: not one of ours, or
    /// several recipients at DATA).
    pub recipient: Option<&'a MailboxPolicy>,
    /// A hosted sender's limits and counts, at RCPT (`None`: nothing to count).
    pub sending: Option<SendingCheck>,
}

/// What the limits need to know about one recipient of a hosted sender.
#[derive(Debug, Clone, Copy)]
pub struct SendingCheck {
    pub limits: Limits,
    pub usage: Usage,
    /// The recipient is at a domain hosted here.
    pub internal: bool,
    pub breach: BreachAction,
}

/// Why sending is refused. Kept for logs, the webmail API and the dashboard; the user is only
/// ever shown the generic text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendRefusal {
    /// *Send Mail* is soft-suspended (abuse).
    Suspended,
    /// *Send Mail* is switched off by an admin.
    Disabled,
    /// Sent from a webmail host while *Send via Webmail* is off (suspended or disabled).
    WebmailSendOff,
}

impl SendRefusal {
    pub fn code(self) -> &'static str {
        match self {
            SendRefusal::Suspended => "suspended",
            SendRefusal::Disabled => "disabled",
            SendRefusal::WebmailSendOff => "webmail_send_off",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Leave it to the mail server's other restrictions.
    Dunno,
    RefuseSend(SendRefusal),
    /// The recipient's *Receive Mail* is not enabled.
    RefuseRecipient,
    /// One more recipient would pass a limit; `action` says what the company wants done.
    OverLimit {
        kind: LimitKind,
        limit: u32,
        action: BreachAction,
    },
}

impl Verdict {
    /// Whether the mail server goes on with this recipient (so it counts against the limits).
    pub fn lets_through(&self) -> bool {
        matches!(self, Verdict::Dunno | Verdict::OverLimit { action: BreachAction::Alert, .. })
    }
}

/// May this mailbox send now (through webmail if `via_webmail`)?
pub fn send_permission(mailbox: &MailboxPolicy, via_webmail: bool) -> Result<(), SendRefusal> {
    match mailbox.services.send_mail {
        ServiceState::Suspended => return Err(SendRefusal::Suspended),
        ServiceState::Disabled => return Err(SendRefusal::Disabled),
        ServiceState::Enabled => {}
    }
    if via_webmail && mailbox.services.webmail_send != ServiceState::Enabled {
        return Err(SendRefusal::WebmailSendOff);
    }
    Ok(())
}

pub fn decide(question: &Question<'_>) -> Verdict {
    // Sending is judged at every stage from MAIL on: a client that skips RCPT checks (or a
    // configuration that asks only at END-OF-MESSAGE) is still refused.
    let judged = matches!(question.stage, Stage::Mail | Stage::Rcpt | Stage::Data | Stage::EndOfMessage);
    if !judged {
        return Verdict::Dunno;
    }
    if let Submitter::Hosted { mailbox, via_webmail } = question.submitter
        && let Err(refusal) = send_permission(mailbox, via_webmail)
    {
        return Verdict::RefuseSend(refusal);
    }
    if question.stage == Stage::Rcpt
        && let Some(recipient) = question.recipient
        && recipient.services.receive_mail != ServiceState::Enabled
    {
        return Verdict::RefuseRecipient;
    }
    if question.stage == Stage::Rcpt
        && let Some(check) = question.sending
        && let Some((kind, limit)) = limits::over_limit(&check.limits, &check.usage, check.internal)
    {
        return Verdict::OverLimit { kind, limit, action: check.breach };
    }
    Verdict::Dunno
}

#[cfg(test)]
mod tests;
