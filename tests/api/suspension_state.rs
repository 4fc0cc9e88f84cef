//! A mailbox's suspension state as the tests read it, and the invariant that ties its `svc_*`
//! columns to its suspension rows: shared by `suspensions.rs` and `suspension_races.rs`.
use mailadmin::domain::{Service, ServiceState};
use mailadmin::entity::{audit_entry, mailbox, suspension};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use std::collections::BTreeSet;

pub(crate) fn state_of(m: &mailbox::Model, service: Service) -> ServiceState {
    ServiceState::from_code(match service {
        Service::SendMail => m.svc_send_mail,
        Service::ReceiveMail => m.svc_receive_mail,
        Service::Imap => m.svc_imap,
        Service::Pop3 => m.svc_pop3,
        Service::WebmailLogin => m.svc_webmail_login,
        Service::WebmailSend => m.svc_webmail_send,
    })
}

pub(crate) async fn mailbox_row(db: &DatabaseConnection, id: i32) -> Option<mailbox::Model> {
    mailbox::Entity::find_by_id(id).one(db).await.unwrap()
}

/// The six service states of a mailbox that must exist.
pub(crate) async fn states(db: &DatabaseConnection, id: i32) -> Vec<(Service, ServiceState)> {
    let m = mailbox_row(db, id).await.expect("mailbox exists");
    Service::ALL.into_iter().map(|s| (s, state_of(&m, s))).collect()
}

/// All services enabled except the given ones, which have the given state.
pub(crate) fn expected(overrides: &[(Service, ServiceState)]) -> Vec<(Service, ServiceState)> {
    Service::ALL
        .into_iter()
        .map(|s| {
            let state = overrides.iter().find(|(o, _)| *o == s).map_or(ServiceState::Enabled, |(_, st)| *st);
            (s, state)
        })
        .collect()
}

/// Every suspension row of a mailbox (that still exists), oldest first.
pub(crate) async fn rows_of(db: &DatabaseConnection, mailbox_id: i32) -> Vec<suspension::Model> {
    suspension::Entity::find()
        .filter(suspension::Column::MailboxId.eq(mailbox_id))
        .order_by_asc(suspension::Column::Id)
        .all(db)
        .await
        .unwrap()
}

pub(crate) async fn open_rows(db: &DatabaseConnection, mailbox_id: i32) -> Vec<suspension::Model> {
    rows_of(db, mailbox_id).await.into_iter().filter(|r| r.ended_at.is_none()).collect()
}

pub(crate) fn service_keys(rows: &[suspension::Model]) -> BTreeSet<String> {
    rows.iter().map(|r| r.service.clone()).collect()
}

pub(crate) fn key_set(services: &[Service]) -> BTreeSet<String> {
    services.iter().map(|s| s.key().to_owned()).collect()
}

/// Audit entries with `action` about mailbox `mailbox_id`.
pub(crate) async fn audit_count(db: &DatabaseConnection, mailbox_id: i32, action: &str) -> u64 {
    audit_entry::Entity::find()
        .filter(audit_entry::Column::ObjectKind.eq("mailbox"))
        .filter(audit_entry::Column::ObjectId.eq(mailbox_id))
        .filter(audit_entry::Column::Action.eq(action))
        .count(db)
        .await
        .unwrap()
}

/// The invariant: each `svc_*` column of the mailbox reads `suspended` exactly when an open
/// suspension row exists for that service; at most one open row per service; ended rows say who
/// ended them and how; no open row outlives its mailbox.
pub(crate) async fn assert_consistent(db: &DatabaseConnection, mailbox_id: i32) {
    let rows = rows_of(db, mailbox_id).await;
    let mut open = BTreeSet::new();
    for row in &rows {
        assert!(
            Service::ALL.iter().any(|s| s.key() == row.service),
            "suspension {} names an unknown service {:?}",
            row.id,
            row.service
        );
        let ended = row.ended_at.is_some();
        assert!(
            row.ended_by.is_some() == ended && row.end_kind.is_some() == ended,
            "suspension {} is half ended: {row:?}",
            row.id
        );
        if row.ended_at.is_none() {
            assert!(
                open.insert(row.service.clone()),
                "two open suspensions of {} on mailbox {mailbox_id}",
                row.service
            );
        }
    }
    match mailbox_row(db, mailbox_id).await {
        Some(m) => {
            for service in Service::ALL {
                let column_suspended = state_of(&m, service) == ServiceState::Suspended;
                let row_open = open.contains(service.key());
                assert_eq!(
                    column_suspended,
                    row_open,
                    "mailbox {mailbox_id}: {} reads {:?} but an open suspension row {} (open rows: {open:?})",
                    service.key(),
                    state_of(&m, service),
                    if row_open { "exists" } else { "does not exist" },
                );
            }
        }
        None => assert!(open.is_empty(), "deleted mailbox {mailbox_id} still has open suspensions {open:?}"),
    }
    let orphans = suspension::Entity::find()
        .filter(suspension::Column::MailboxId.is_null())
        .filter(suspension::Column::EndedAt.is_null())
        .count(db)
        .await
        .unwrap();
    assert_eq!(orphans, 0, "open suspension rows without a mailbox");
}

/// "This suspension has already been lifted."
pub(crate) fn says_already_lifted(message: &str) -> bool {
    message.contains("already") && message.contains("lifted")
}
