//! The six `svc_*` columns of a mailbox row, read and written as a [`ServiceSet`]. The mail
//! servers' views read the same columns.
use crate::domain::{ServiceSet, ServiceState};
use crate::entity::mailbox;
use sea_orm::Set;

pub(crate) fn services_of(m: &mailbox::Model) -> ServiceSet {
    ServiceSet {
        send_mail: ServiceState::from_code(m.svc_send_mail),
        receive_mail: ServiceState::from_code(m.svc_receive_mail),
        imap: ServiceState::from_code(m.svc_imap),
        pop3: ServiceState::from_code(m.svc_pop3),
        webmail_login: ServiceState::from_code(m.svc_webmail_login),
        webmail_send: ServiceState::from_code(m.svc_webmail_send),
    }
}

pub(crate) fn set_services(model: &mut mailbox::ActiveModel, services: &ServiceSet) {
    model.svc_send_mail = Set(services.send_mail.code());
    model.svc_receive_mail = Set(services.receive_mail.code());
    model.svc_imap = Set(services.imap.code());
    model.svc_pop3 = Set(services.pop3.code());
    model.svc_webmail_login = Set(services.webmail_login.code());
    model.svc_webmail_send = Set(services.webmail_send.code());
}

/// Reads the six `svc_*` columns of a hand-written query's row.
pub(crate) fn services_from_row(row: &sea_orm::QueryResult) -> Result<ServiceSet, sea_orm::DbErr> {
    let code = |col: &str| row.try_get::<i16>("", col).map(ServiceState::from_code);
    Ok(ServiceSet {
        send_mail: code("svc_send_mail")?,
        receive_mail: code("svc_receive_mail")?,
        imap: code("svc_imap")?,
        pop3: code("svc_pop3")?,
        webmail_login: code("svc_webmail_login")?,
        webmail_send: code("svc_webmail_send")?,
    })
}
