//! Soft-suspension through the service layer, on both databases. Suspensions racing each other
//! are in `suspension_races.rs`.
use crate::db_tests;
use crate::helpers::*;
use crate::suspension_state::*;
use mailadmin::authz::Actor;
use mailadmin::domain::{DisplayName, LiftKind, Service, ServiceState, SuspensionReason};
use mailadmin::entity::{audit_entry, company, domain, mailbox, suspension};
use mailadmin::services::common::passwords::{self, Secret};
use mailadmin::services::suspension::actions::{self as suspensions, StatusChange};
use mailadmin::services::{
    common::ServiceError, hierarchy::companies, hierarchy::domains, hierarchy::mailboxes,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use std::collections::BTreeSet;

const EVIDENCE: &str = "14 spam complaints within 24 hours, samples in ticket 4711";

/// Audit entries with `action`, about anything.
async fn audit_total(db: &DatabaseConnection, action: &str) -> u64 {
    audit_entry::Entity::find().filter(audit_entry::Column::Action.eq(action)).count(db).await.unwrap()
}

async fn mailbox_count_of(db: &DatabaseConnection, domain_id: i32) -> i32 {
    domain::Entity::find_by_id(domain_id).one(db).await.unwrap().expect("domain exists").mailbox_count
}

fn conflict_message(result: Result<impl std::fmt::Debug, ServiceError>) -> String {
    match result {
        Err(ServiceError::Conflict(message)) => message,
        other => panic!("expected ServiceError::Conflict, got {other:?}"),
    }
}

fn invalid_fields(result: Result<impl std::fmt::Debug, ServiceError>) -> Vec<String> {
    match result {
        Err(ServiceError::Invalid(errors)) => errors.iter().map(|(field, _)| field.to_owned()).collect(),
        other => panic!("expected ServiceError::Invalid, got {other:?}"),
    }
}

async fn suspend_by(db: &DatabaseConnection, by: &Actor, mailbox_id: i32, services: &[Service]) {
    suspensions::suspend(db, by, mailbox_id, services, SuspensionReason::SpamComplaints, EVIDENCE)
        .await
        .expect("suspend");
}

fn status<'a>(
    suspended: &'a [Service],
    reason: Option<SuspensionReason>,
    evidence: &'a str,
) -> StatusChange<'a> {
    StatusChange { suspended, reason, evidence }
}

fn sorted(services: &[Service]) -> BTreeSet<String> {
    key_set(services)
}

db_tests! {
    async fn suspending_send_mail_takes_webmail_send_along_and_records_who_and_why(app: TestApp) {
        let db = &app.db;
        let f = seed_fixture(db).await;
        let comp_a = actor(db, f.admin_company_a).await;
        assert_consistent(db, f.mailbox_a).await;

        suspensions::suspend(db, &comp_a, f.mailbox_a, &[Service::SendMail], SuspensionReason::SpamComplaints, EVIDENCE)
            .await
            .expect("suspend Send Mail");
        assert_eq!(
            states(db, f.mailbox_a).await,
            expected(&[(Service::SendMail, ServiceState::Suspended), (Service::WebmailSend, ServiceState::Suspended)])
        );
        let open = open_rows(db, f.mailbox_a).await;
        assert_eq!(service_keys(&open), key_set(&[Service::SendMail, Service::WebmailSend]));
        for row in &open {
            assert_eq!(row.reason, "spam_complaints");
            assert_eq!(row.evidence, EVIDENCE);
            assert_eq!(row.started_by, "comp-a");
            assert_eq!(row.address, "anna@alpha.example");
            assert_eq!(row.domain_id, f.domain_a);
            assert_eq!(row.company_id, f.company_a);
            assert_eq!(row.previous_state, ServiceState::Enabled.code());
            assert_eq!((row.ended_at, row.ended_by.as_deref(), row.end_kind.as_deref()), (None, None, None));
        }
        let view = mailboxes::get(db, &comp_a, f.mailbox_a).await.unwrap();
        assert_eq!(mailadmin::services::suspension::views::open_for(db, &view).await.unwrap().len(), 2);
        assert_eq!(audit_count(db, f.mailbox_a, "suspend").await, 1);
        let entry = audit_entry::Entity::find()
            .filter(audit_entry::Column::Action.eq("suspend"))
            .one(db)
            .await
            .unwrap()
            .expect("suspend audit entry");
        assert_eq!((entry.actor_login.as_str(), entry.company_id), ("comp-a", Some(f.company_a)));
        assert!(entry.after.contains("spam_complaints") && entry.after.contains("send_mail"), "{}", entry.after);
        assert_consistent(db, f.mailbox_a).await;

        let again =
            suspensions::suspend(db, &comp_a, f.mailbox_a, &[Service::SendMail], SuspensionReason::SpamComplaints, EVIDENCE)
                .await;
        let message = conflict_message(again);
        assert!(message.contains("already"), "{message}");
        assert_eq!(open_rows(db, f.mailbox_a).await.len(), 2);
        assert_eq!(rows_of(db, f.mailbox_a).await.len(), 2);
        assert_eq!(audit_count(db, f.mailbox_a, "suspend").await, 1);
        assert_consistent(db, f.mailbox_a).await;
        // The other mailboxes are untouched.
        assert_eq!(states(db, f.mailbox_a2).await, expected(&[]));
        assert_consistent(db, f.mailbox_a2).await;
    }

    async fn lifting_restores_the_previous_states_and_a_second_lift_is_a_conflict(app: TestApp) {
        let db = &app.db;
        let f = seed_fixture(db).await;
        let comp_a = actor(db, f.admin_company_a).await;
        suspend_send_mail(db, f.mailbox_a).await;
        assert_consistent(db, f.mailbox_a).await;

        let lifted = suspensions::lift(db, &comp_a, f.mailbox_a, &[Service::SendMail], LiftKind::Lifted, None)
            .await
            .expect("lift");
        assert_eq!(sorted(&lifted), key_set(&[Service::SendMail, Service::WebmailSend]));
        assert_eq!(states(db, f.mailbox_a).await, expected(&[]));
        let rows = rows_of(db, f.mailbox_a).await;
        assert_eq!(rows.len(), 2);
        for row in &rows {
            assert!(row.ended_at.is_some(), "{row:?}");
            assert_eq!(row.ended_by.as_deref(), Some("comp-a"));
            assert_eq!(row.end_kind.as_deref(), Some("lifted"));
            assert_eq!(row.end_note, None);
            assert_eq!(row.started_by, "complaint-intake");
        }
        assert_eq!(audit_count(db, f.mailbox_a, "lift").await, 1);
        assert_consistent(db, f.mailbox_a).await;

        let second = suspensions::lift(db, &comp_a, f.mailbox_a, &[Service::SendMail], LiftKind::Lifted, None).await;
        let message = conflict_message(second);
        assert!(says_already_lifted(&message), "{message}");
        assert_eq!(audit_count(db, f.mailbox_a, "lift").await, 1);
        assert_eq!(rows_of(db, f.mailbox_a).await, rows, "a refused lift changed the rows");
        assert_consistent(db, f.mailbox_a).await;

        // A service an admin had disabled before the suspension goes back to disabled.
        let display = DisplayName::parse("Test User").unwrap();
        let edit = mailboxes::MailboxEdit {
            display_name: display,
            services: &[(Service::SendMail, false)],
            quota: Default::default(),
        };
        mailboxes::update(db, &comp_a, f.mailbox_a2, edit).await.unwrap();
        assert_eq!(states(db, f.mailbox_a2).await, expected(&[(Service::SendMail, ServiceState::Disabled)]));
        suspend_by(db, &comp_a, f.mailbox_a2, &[Service::SendMail]).await;
        assert_eq!(
            states(db, f.mailbox_a2).await,
            expected(&[(Service::SendMail, ServiceState::Suspended), (Service::WebmailSend, ServiceState::Suspended)])
        );
        let previous: Vec<(String, i16)> =
            open_rows(db, f.mailbox_a2).await.into_iter().map(|r| (r.service, r.previous_state)).collect();
        assert!(previous.contains(&("send_mail".into(), ServiceState::Disabled.code())), "{previous:?}");
        assert!(previous.contains(&("webmail_send".into(), ServiceState::Enabled.code())), "{previous:?}");
        assert_consistent(db, f.mailbox_a2).await;
        suspensions::lift(db, &comp_a, f.mailbox_a2, &[Service::SendMail], LiftKind::Lifted, None).await.unwrap();
        assert_eq!(states(db, f.mailbox_a2).await, expected(&[(Service::SendMail, ServiceState::Disabled)]));
        assert_consistent(db, f.mailbox_a2).await;
    }

    async fn educate_and_lift_needs_a_note_and_can_set_a_new_password(app: TestApp) {
        let db = &app.db;
        let f = seed_fixture(db).await;
        let comp_a = actor(db, f.admin_company_a).await;
        suspend_send_mail(db, f.mailbox_a).await;
        let hash_before = mailbox_row(db, f.mailbox_a).await.unwrap().password_hash;
        let new_password = "a-brand-new-mailbox-password";

        let no_note = suspensions::educate_and_lift(db, &comp_a, f.mailbox_a, "   ", Some(Secret::new(new_password.into()))).await;
        assert_eq!(invalid_fields(no_note), vec!["note"]);
        let weak = suspensions::educate_and_lift(db, &comp_a, f.mailbox_a, "told them", Some(Secret::new("short".into()))).await;
        assert_eq!(invalid_fields(weak), vec!["new_password"]);
        assert_eq!(open_rows(db, f.mailbox_a).await.len(), 2, "a refused educate-and-lift lifted something");
        assert_eq!(mailbox_row(db, f.mailbox_a).await.unwrap().password_hash, hash_before);
        assert_eq!(audit_count(db, f.mailbox_a, "lift").await, 0);
        assert_eq!(audit_count(db, f.mailbox_a, "password").await, 0);
        assert_consistent(db, f.mailbox_a).await;

        let note = "Explained that the password had leaked; the user changed it on the phone.";
        suspensions::educate_and_lift(db, &comp_a, f.mailbox_a, &format!("  {note}\n"), Some(Secret::new(new_password.into())))
            .await
            .expect("educate and lift");
        assert_eq!(states(db, f.mailbox_a).await, expected(&[]));
        let rows = rows_of(db, f.mailbox_a).await;
        assert_eq!(rows.len(), 2);
        for row in &rows {
            assert!(row.ended_at.is_some(), "{row:?}");
            assert_eq!(row.ended_by.as_deref(), Some("comp-a"));
            assert_eq!(row.end_kind.as_deref(), Some("educated_and_lifted"));
            assert_eq!(row.end_note.as_deref(), Some(note));
        }
        let hash_after = mailbox_row(db, f.mailbox_a).await.unwrap().password_hash;
        assert_ne!(hash_after, hash_before);
        assert!(passwords::verify(Secret::new(new_password.into()), Some(hash_after)).await);
        assert_eq!(audit_count(db, f.mailbox_a, "lift").await, 1);
        assert_eq!(audit_count(db, f.mailbox_a, "password").await, 1);
        assert_consistent(db, f.mailbox_a).await;

        let again = suspensions::educate_and_lift(db, &comp_a, f.mailbox_a, note, None).await;
        let message = conflict_message(again);
        assert!(says_already_lifted(&message), "{message}");
        assert_eq!(audit_count(db, f.mailbox_a, "lift").await, 1);
        assert_consistent(db, f.mailbox_a).await;
    }

    async fn lift_and_delete_keeps_the_history_of_the_deleted_mailbox(app: TestApp) {
        let db = &app.db;
        let f = seed_fixture(db).await;
        let comp_a = actor(db, f.admin_company_a).await;
        suspend_send_mail(db, f.mailbox_a).await;
        assert_consistent(db, f.mailbox_a).await;
        let count_before = mailbox_count_of(db, f.domain_a).await;

        let note = "Account sold to a spammer; the customer asked to delete it.";
        let deleted = suspensions::lift_and_delete(db, &comp_a, f.mailbox_a, Some(note)).await.expect("lift and delete");
        assert_eq!(deleted.address, "anna@alpha.example");
        assert!(mailbox_row(db, f.mailbox_a).await.is_none(), "the mailbox is still there");
        let rows = suspension::Entity::find()
            .filter(suspension::Column::Address.eq("anna@alpha.example"))
            .all(db)
            .await
            .unwrap();
        assert_eq!(service_keys(&rows), key_set(&[Service::SendMail, Service::WebmailSend]));
        assert_eq!(rows.len(), 2);
        for row in &rows {
            assert_eq!(row.mailbox_id, None);
            assert!(row.ended_at.is_some(), "{row:?}");
            assert_eq!(row.end_kind.as_deref(), Some("lifted_for_deletion"));
            assert_eq!(row.ended_by.as_deref(), Some("comp-a"));
            assert_eq!(row.end_note.as_deref(), Some(note));
            assert_eq!(row.reason, "spam_complaints");
        }
        assert_eq!(audit_count(db, f.mailbox_a, "lift").await, 1);
        assert_eq!(audit_count(db, f.mailbox_a, "delete").await, 1);
        assert_eq!(mailbox_count_of(db, f.domain_a).await, count_before - 1);
        let real = mailbox::Entity::find().filter(mailbox::Column::DomainId.eq(f.domain_a)).count(db).await.unwrap();
        assert_eq!(real, mailbox_count_of(db, f.domain_a).await as u64);
        assert_consistent(db, f.mailbox_a).await;

        // Without a suspension it is a plain deletion.
        let plain = suspensions::lift_and_delete(db, &comp_a, f.mailbox_a2, None).await.expect("plain deletion");
        assert_eq!(plain.address, "otto@alpha2.example");
        assert!(mailbox_row(db, f.mailbox_a2).await.is_none());
        assert_eq!(audit_count(db, f.mailbox_a2, "lift").await, 0);
        assert_eq!(audit_count(db, f.mailbox_a2, "delete").await, 1);
    }

    async fn nothing_holding_a_suspended_mailbox_can_be_deleted_until_it_is_lifted(app: TestApp) {
        let db = &app.db;
        let f = seed_fixture(db).await;
        let comp_a = actor(db, f.admin_company_a).await;
        let plat = actor(db, f.admin_platform).await;
        suspend_send_mail(db, f.mailbox_a).await;
        let deletes_before = audit_total(db, "delete").await;
        let count_before = mailbox_count_of(db, f.domain_a).await;

        let refused_mailbox = conflict_message(mailboxes::delete(db, &comp_a, f.mailbox_a).await);
        let refused_domain = conflict_message(domains::delete(db, &comp_a, f.domain_a).await);
        let refused_company = conflict_message(companies::delete(db, &plat, f.company_a).await);
        for message in [&refused_mailbox, &refused_domain, &refused_company] {
            assert!(message.contains("anna@alpha.example"), "{message}");
        }
        assert!(mailbox_row(db, f.mailbox_a).await.is_some());
        assert!(mailbox_row(db, f.mailbox_a2).await.is_some());
        assert!(domain::Entity::find_by_id(f.domain_a).one(db).await.unwrap().is_some());
        assert!(domain::Entity::find_by_id(f.domain_a2).one(db).await.unwrap().is_some());
        assert!(company::Entity::find_by_id(f.company_a).one(db).await.unwrap().is_some());
        assert_eq!(mailbox_count_of(db, f.domain_a).await, count_before);
        assert_eq!(audit_total(db, "delete").await, deletes_before, "a refused deletion left an audit entry");
        assert_eq!(open_rows(db, f.mailbox_a).await.len(), 2);
        assert_consistent(db, f.mailbox_a).await;

        suspensions::lift(db, &comp_a, f.mailbox_a, &[Service::SendMail], LiftKind::Lifted, None).await.unwrap();
        assert_consistent(db, f.mailbox_a).await;
        mailboxes::delete(db, &comp_a, f.mailbox_a).await.expect("delete the lifted mailbox");
        assert!(mailbox_row(db, f.mailbox_a).await.is_none());
        let kept = suspension::Entity::find()
            .filter(suspension::Column::Address.eq("anna@alpha.example"))
            .all(db)
            .await
            .unwrap();
        assert_eq!(kept.len(), 2);
        assert!(kept.iter().all(|r| r.mailbox_id.is_none() && r.end_kind.as_deref() == Some("lifted")), "{kept:?}");
        assert_consistent(db, f.mailbox_a).await;
        domains::delete(db, &comp_a, f.domain_a).await.expect("delete the domain");
        companies::delete(db, &plat, f.company_a).await.expect("delete the company");
        assert!(company::Entity::find_by_id(f.company_a).one(db).await.unwrap().is_none());
        assert_eq!(audit_total(db, "delete").await, deletes_before + 3);
        assert_eq!(
            suspension::Entity::find().filter(suspension::Column::CompanyId.eq(f.company_a)).count(db).await.unwrap(),
            2,
            "the history outlives the company"
        );
    }

    async fn the_status_page_saves_lifts_and_suspensions_together_or_not_at_all(app: TestApp) {
        let db = &app.db;
        let f = seed_fixture(db).await;
        let comp_a = actor(db, f.admin_company_a).await;
        let id = f.mailbox_a;

        // Ticking a service without reason or evidence.
        let refused = suspensions::save_status(db, &comp_a, id, status(&[Service::Pop3], None, "  ")).await;
        assert_eq!(invalid_fields(refused), vec!["reason", "evidence"]);
        assert!(rows_of(db, id).await.is_empty());
        assert_eq!(audit_count(db, id, "suspend").await, 0);
        assert_eq!(states(db, id).await, expected(&[]));
        assert_consistent(db, id).await;

        // With reason and evidence.
        let (suspended, lifted) = suspensions::save_status(
            db,
            &comp_a,
            id,
            status(&[Service::SendMail], Some(SuspensionReason::BulkMail), " newsletter to bought addresses "),
        )
        .await
        .expect("save status");
        assert_eq!(sorted(&suspended), key_set(&[Service::SendMail, Service::WebmailSend]));
        assert!(lifted.is_empty());
        assert_eq!(
            states(db, id).await,
            expected(&[(Service::SendMail, ServiceState::Suspended), (Service::WebmailSend, ServiceState::Suspended)])
        );
        let open = open_rows(db, id).await;
        assert!(open.iter().all(|r| r.reason == "bulk_mail" && r.evidence == "newsletter to bought addresses"), "{open:?}");
        assert_eq!(audit_count(db, id, "suspend").await, 1);
        assert_consistent(db, id).await;

        // Unticking Send Mail (a lift) and ticking POP3 without a reason: the lift is rolled back too.
        let refused = suspensions::save_status(db, &comp_a, id, status(&[Service::Pop3], None, "")).await;
        assert_eq!(invalid_fields(refused), vec!["reason", "evidence"]);
        assert_eq!(open_rows(db, id).await, open, "the lift of a refused save was kept");
        assert_eq!(
            states(db, id).await,
            expected(&[(Service::SendMail, ServiceState::Suspended), (Service::WebmailSend, ServiceState::Suspended)])
        );
        assert_eq!(audit_count(db, id, "lift").await, 0, "the lift of a refused save was audited");
        assert_eq!(rows_of(db, id).await.len(), 2);
        assert_consistent(db, id).await;

        // Keeping Send Mail and adding POP3.
        let (suspended, lifted) = suspensions::save_status(
            db,
            &comp_a,
            id,
            status(&[Service::SendMail, Service::Pop3], Some(SuspensionReason::Manual), "POP3 logins from a botnet"),
        )
        .await
        .unwrap();
        assert_eq!((sorted(&suspended), lifted.len()), (key_set(&[Service::Pop3]), 0));
        assert_consistent(db, id).await;

        // Unticking Send Mail lifts it (with Send via Webmail); POP3 stays.
        let (suspended, lifted) =
            suspensions::save_status(db, &comp_a, id, status(&[Service::Pop3], None, "")).await.expect("untick");
        assert!(suspended.is_empty());
        assert_eq!(sorted(&lifted), key_set(&[Service::SendMail, Service::WebmailSend]));
        assert_eq!(states(db, id).await, expected(&[(Service::Pop3, ServiceState::Suspended)]));
        assert_eq!(audit_count(db, id, "lift").await, 1);
        let ended: Vec<_> = rows_of(db, id).await.into_iter().filter(|r| r.ended_at.is_some()).collect();
        assert_eq!(service_keys(&ended), key_set(&[Service::SendMail, Service::WebmailSend]));
        assert!(ended.iter().all(|r| r.end_kind.as_deref() == Some("lifted") && r.ended_by.as_deref() == Some("comp-a")));
        assert_consistent(db, id).await;

        let (_, lifted) = suspensions::save_status(db, &comp_a, id, status(&[], None, "")).await.unwrap();
        assert_eq!(sorted(&lifted), key_set(&[Service::Pop3]));
        assert_eq!(states(db, id).await, expected(&[]));
        assert_consistent(db, id).await;
    }

    async fn three_send_mail_suspensions_make_a_repeat_offender_and_history_keeps_them_all(app: TestApp) {
        let db = &app.db;
        let f = seed_fixture(db).await;
        let comp_a = actor(db, f.admin_company_a).await;
        let id = f.mailbox_a;
        // Probation would make the second suspension a repeat offence: this is the 3-in-30 rule.
        mailadmin::entity::company::Entity::update_many()
            .col_expr(mailadmin::entity::company::Column::Probation, sea_orm::sea_query::Expr::value(false))
            .exec(db)
            .await
            .unwrap();
        let view = mailboxes::get(db, &comp_a, id).await.unwrap();
        let lift = || suspensions::lift(db, &comp_a, id, &[Service::SendMail], LiftKind::Lifted, None);

        assert!(!mailadmin::services::suspension::views::is_repeat_offender(db, id).await.unwrap());
        suspend_send_mail(db, id).await;
        assert_consistent(db, id).await;
        lift().await.unwrap();
        assert_consistent(db, id).await;
        assert_eq!(mailadmin::services::suspension::views::history_for(db, &view).await.unwrap().len(), 2);
        suspend_send_mail(db, id).await;
        assert_consistent(db, id).await;
        assert!(!mailadmin::services::suspension::views::is_repeat_offender(db, id).await.unwrap(), "two suspensions are no repeat offence");
        lift().await.unwrap();
        assert_consistent(db, id).await;
        assert!(!mailadmin::services::suspension::views::is_repeat_offender(db, id).await.unwrap());
        assert_eq!(mailadmin::services::suspension::views::history_for(db, &view).await.unwrap().len(), 4);
        // Other services do not count towards Send Mail.
        suspend_by(db, &comp_a, id, &[Service::Pop3]).await;
        assert!(!mailadmin::services::suspension::views::is_repeat_offender(db, id).await.unwrap());
        suspensions::lift(db, &comp_a, id, &[Service::Pop3], LiftKind::Lifted, None).await.unwrap();
        assert_consistent(db, id).await;
        suspend_send_mail(db, id).await;
        assert_consistent(db, id).await;
        assert!(mailadmin::services::suspension::views::is_repeat_offender(db, id).await.unwrap(), "three suspensions within 30 days");
        assert!(!mailadmin::services::suspension::views::is_repeat_offender(db, f.mailbox_a2).await.unwrap());

        let history = mailadmin::services::suspension::views::history_for(db, &view).await.unwrap();
        let stored = rows_of(db, id).await;
        assert_eq!(history.len(), 7);
        assert_eq!(history.len(), stored.len(), "history_for lost rows");
        for pair in history.windows(2) {
            assert!(pair[0].started_at >= pair[1].started_at, "not newest first: {history:?}");
            assert!(pair[0].id > pair[1].id, "not newest first: {history:?}");
        }
        let mut ids: Vec<i32> = history.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        assert_eq!(ids, stored.iter().map(|r| r.id).collect::<Vec<_>>());
        assert!(history[..2].iter().all(|r| r.ended_at.is_none()), "{history:?}");
        assert!(history[2..].iter().all(|r| r.ended_at.is_some() && r.end_kind == Some(LiftKind::Lifted)), "{history:?}");
        let send_mail = history.iter().filter(|r| r.service == Service::SendMail).count();
        let webmail = history.iter().filter(|r| r.service == Service::WebmailSend).count();
        let pop3 = history.iter().filter(|r| r.service == Service::Pop3).count();
        assert_eq!((send_mail, webmail, pop3), (3, 3, 1));
        assert!(history.iter().filter(|r| r.service == Service::SendMail).all(|r| r.reason == SuspensionReason::SpamComplaints));
    }
}
