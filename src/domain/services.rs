//! A mailbox's services, named as operators of hosted mail know them, and the state of each.
use super::ParseError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    SendMail,
    ReceiveMail,
    Imap,
    Pop3,
    WebmailLogin,
    WebmailSend,
}

impl Service {
    pub const ALL: [Service; 6] = [
        Service::SendMail,
        Service::ReceiveMail,
        Service::Imap,
        Service::Pop3,
        Service::WebmailLogin,
        Service::WebmailSend,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Service::SendMail => "Send Mail",
            Service::ReceiveMail => "Receive Mail",
            Service::Imap => "Connect via IMAP4",
            Service::Pop3 => "Connect via POP3",
            Service::WebmailLogin => "Login via Webmail",
            Service::WebmailSend => "Send via Webmail",
        }
    }

    /// The form field and URL name.
    pub fn key(self) -> &'static str {
        match self {
            Service::SendMail => "send_mail",
            Service::ReceiveMail => "receive_mail",
            Service::Imap => "imap",
            Service::Pop3 => "pop3",
            Service::WebmailLogin => "webmail_login",
            Service::WebmailSend => "webmail_send",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceState {
    Enabled,
    /// Switched off by an admin for a non-abuse reason (e.g. no POP3 for this company).
    Disabled,
    /// Switched off as an abuse measure (soft-suspension).
    Suspended,
}

impl ServiceState {
    pub fn code(self) -> i16 {
        match self {
            ServiceState::Enabled => 0,
            ServiceState::Disabled => 1,
            ServiceState::Suspended => 2,
        }
    }

    pub fn from_code(code: i16) -> Self {
        match code {
            0 => ServiceState::Enabled,
            2 => ServiceState::Suspended,
            // Anything unexpected is treated as off: failing closed is the safe reading.
            _ => ServiceState::Disabled,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ServiceState::Enabled => "Enabled",
            ServiceState::Disabled => "Disabled",
            ServiceState::Suspended => "Suspended",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        match input {
            "enabled" => Ok(ServiceState::Enabled),
            "disabled" => Ok(ServiceState::Disabled),
            "suspended" => Ok(ServiceState::Suspended),
            _ => Err(ParseError::new("Choose enabled, disabled or suspended.")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceState::Enabled => "enabled",
            ServiceState::Disabled => "disabled",
            ServiceState::Suspended => "suspended",
        }
    }
}

/// The state of all six services of one mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceSet {
    pub send_mail: ServiceState,
    pub receive_mail: ServiceState,
    pub imap: ServiceState,
    pub pop3: ServiceState,
    pub webmail_login: ServiceState,
    pub webmail_send: ServiceState,
}

impl Default for ServiceSet {
    fn default() -> Self {
        Self::all(ServiceState::Enabled)
    }
}

impl ServiceSet {
    pub fn all(state: ServiceState) -> Self {
        Self {
            send_mail: state,
            receive_mail: state,
            imap: state,
            pop3: state,
            webmail_login: state,
            webmail_send: state,
        }
    }

    pub fn get(&self, service: Service) -> ServiceState {
        match service {
            Service::SendMail => self.send_mail,
            Service::ReceiveMail => self.receive_mail,
            Service::Imap => self.imap,
            Service::Pop3 => self.pop3,
            Service::WebmailLogin => self.webmail_login,
            Service::WebmailSend => self.webmail_send,
        }
    }

    pub fn set(&mut self, service: Service, state: ServiceState) {
        let slot = match service {
            Service::SendMail => &mut self.send_mail,
            Service::ReceiveMail => &mut self.receive_mail,
            Service::Imap => &mut self.imap,
            Service::Pop3 => &mut self.pop3,
            Service::WebmailLogin => &mut self.webmail_login,
            Service::WebmailSend => &mut self.webmail_send,
        };
        *slot = state;
    }

    pub fn iter(&self) -> impl Iterator<Item = (Service, ServiceState)> + '_ {
        Service::ALL.into_iter().map(|service| (service, self.get(service)))
    }

    /// "Active", or "Some Services Disabled" when any service is suspended or disabled.
    pub fn status(&self) -> MailboxStatus {
        if self.iter().all(|(_, state)| state == ServiceState::Enabled) {
            MailboxStatus::Active
        } else {
            MailboxStatus::SomeServicesDisabled
        }
    }

    pub fn any_suspended(&self) -> bool {
        self.iter().any(|(_, state)| state == ServiceState::Suspended)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailboxStatus {
    Active,
    SomeServicesDisabled,
}

impl MailboxStatus {
    pub fn label(self) -> &'static str {
        match self {
            MailboxStatus::Active => "Active",
            MailboxStatus::SomeServicesDisabled => "Some Services Disabled",
        }
    }

    pub fn is_active(self) -> bool {
        self == MailboxStatus::Active
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_active_only_when_every_service_is_enabled() {
        let mut set = ServiceSet::default();
        assert_eq!(set.status(), MailboxStatus::Active);
        set.set(Service::Pop3, ServiceState::Disabled);
        assert_eq!(set.status().label(), "Some Services Disabled");
        set.set(Service::Pop3, ServiceState::Enabled);
        set.set(Service::SendMail, ServiceState::Suspended);
        assert!(set.any_suspended());
        assert!(!set.status().is_active());
    }

    #[test]
    fn unknown_codes_fail_closed() {
        assert_eq!(ServiceState::from_code(7), ServiceState::Disabled);
        for state in [ServiceState::Enabled, ServiceState::Disabled, ServiceState::Suspended] {
            assert_eq!(ServiceState::from_code(state.code()), state);
        }
    }
}
