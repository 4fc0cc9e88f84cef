//! What each run adds to the fixture, through the services, and made-up ids for the checks that
//! need no database.
use super::forms::report;
use crate::helpers::*;
use mailadmin::domain::{ContactKind, DisplayName, LiftKind, LocalPart, MailboxAddress};
use mailadmin::entity::{mailbox, notice};
use mailadmin::intake::arf;
use mailadmin::services::suspension::actions as suspensions;
use mailadmin::services::{
    access::admins, access::api_tokens, common::passwords::Secret, complaints::intake as complaints,
    hierarchy::mailboxes, notices::contacts as abuse_contacts,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

/// What each run adds to the fixture, through the services.
pub(super) struct Extra {
    /// One more mailbox in each of domain_a, domain_a2 and domain_b, suspended, for *lift and
    /// delete the account*; mailbox_a, mailbox_a2 and mailbox_b are suspended too.
    pub(super) leaver_a: i32,
    pub(super) leaver_a2: i32,
    pub(super) leaver_b: i32,
    /// A's two abuse contacts (so removing the first is not removing the last), and B's one.
    pub(super) contact_a: i32,
    pub(super) contact_a_last: i32,
    pub(super) contact_b: i32,
    /// The address of every suspended mailbox, by id.
    addresses: Vec<(i32, String)>,
    /// A complaint about mailbox_a, mailbox_a2 and mailbox_b each, and one about no mailbox of
    /// ours.
    pub(super) complaint_a: i32,
    pub(super) complaint_a2: i32,
    pub(super) complaint_b: i32,
    pub(super) complaint_unattributed: i32,
    /// A message that was no report, in quarantine.
    pub(super) quarantined: i32,
    /// A live API token.
    pub(super) token: i32,
    /// The AUP notices of company A and company B.
    pub(super) notice_a: i32,
    pub(super) notice_b: i32,
    /// An alias in domain_a, domain_a2 and domain_b each.
    pub(super) alias_a: i32,
    pub(super) alias_a2: i32,
    pub(super) alias_b: i32,
}

impl Extra {
    pub(super) fn address(&self, id: i32) -> String {
        self.addresses.iter().find(|(m, _)| *m == id).map(|(_, a)| a.clone()).expect("a suspended mailbox")
    }
}

async fn create_mailbox(db: &DatabaseConnection, domain_id: i32, local: &str, name: &str) -> i32 {
    let new = mailboxes::NewMailbox {
        local_part: LocalPart::parse(local).expect("local part"),
        display_name: DisplayName::parse(name).expect("display name"),
        password: Secret::new("mailbox-password".into()),
    };
    mailboxes::create(db, &admins::system_actor("fixture"), domain_id, new).await.expect("create mailbox").id
}

async fn seed_alias(db: &DatabaseConnection, domain_id: i32) -> i32 {
    use mailadmin::domain::{AliasName, Targets};
    use mailadmin::services::hierarchy::forwarding;
    let (name, targets) =
        (AliasName::parse("team").unwrap(), Targets::parse("someone@elsewhere.example").unwrap());
    forwarding::create(db, &admins::system_actor("fixture"), domain_id, name, targets)
        .await
        .expect("create alias")
        .id
}

async fn create_leaver(db: &DatabaseConnection, domain_id: i32, local: &str) -> i32 {
    create_mailbox(db, domain_id, local, "Leaving User").await
}

async fn mailbox_address(db: &DatabaseConnection, id: i32) -> String {
    mailbox::Entity::find_by_id(id).one(db).await.expect("query").expect("mailbox").address
}

/// Stores report number `n` about mail from `sender` through the intake; the complaint's id.
async fn store_complaint(db: &DatabaseConnection, sender: &str, n: u32) -> i32 {
    let settings = mailadmin::services::notices::outbox::NoticeSettings {
        platform_address: "abuse-desk@platform.test".into(),
        public_url: "http://localhost/".into(),
    };
    let raw = report(sender, n);
    let parsed = arf::parse(raw.as_bytes(), 1 << 20).expect("a readable report");
    match complaints::store(db, &settings, &parsed, mailadmin::services::complaints::outcome::Source::Api)
        .await
        .expect("store")
    {
        mailadmin::services::complaints::outcome::Outcome::Stored { complaint_id, .. } => complaint_id,
        other => panic!("report {n} about {sender} not stored: {other:?}"),
    }
}

/// An extra mailbox of the company passes its allowance (11 counted complaints): Send Mail is
/// suspended and the AUP notice queued. The suspension is lifted at once, so that it blocks no
/// deletion; the notice stays. The notice's id.
async fn seed_notice(
    db: &DatabaseConnection,
    company_id: i32,
    domain_id: i32,
    local: &str,
    first: u32,
) -> i32 {
    let id = create_mailbox(db, domain_id, local, "Noisy User").await;
    let address = mailbox_address(db, id).await;
    for n in first..first + 11 {
        store_complaint(db, &address, n).await;
    }
    let notice = notice::Entity::find()
        .filter(notice::Column::CompanyId.eq(company_id))
        .one(db)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("no notice after 11 complaints about {address}"));
    suspensions::lift_all(db, &admins::system_actor("fixture"), id, LiftKind::Lifted, None)
        .await
        .expect("lift the notice's suspension");
    notice.id
}

async fn create_abuse_contact(db: &DatabaseConnection, company_id: i32, email: &str) -> i32 {
    let input = abuse_contacts::ContactInput {
        kind: ContactKind::Abuse,
        name: DisplayName::parse("Abuse Desk").expect("name"),
        email: MailboxAddress::parse(email).expect("email"),
    };
    abuse_contacts::create(db, &admins::system_actor("fixture"), company_id, input)
        .await
        .expect("create contact")
}

/// Suspends Send Mail of mailbox_a, mailbox_a2, mailbox_b and three leavers, gives A two abuse
/// contacts and B one, and adds the complaint intake's objects.
pub(super) async fn seed_extra(db: &DatabaseConnection, fx: &Fixture) -> Extra {
    let leaver_a = create_leaver(db, fx.domain_a, "dora").await;
    let leaver_a2 = create_leaver(db, fx.domain_a2, "olga").await;
    let leaver_b = create_leaver(db, fx.domain_b, "bodo").await;
    let mut addresses = Vec::new();
    for id in [fx.mailbox_a, fx.mailbox_a2, fx.mailbox_b, leaver_a, leaver_a2, leaver_b] {
        suspend_send_mail(db, id).await;
        let model = mailbox::Entity::find_by_id(id).one(db).await.expect("query").expect("mailbox");
        addresses.push((id, model.address));
    }
    let contact_a = create_abuse_contact(db, fx.company_a, "abuse@alpha.example").await;
    let contact_a_last = create_abuse_contact(db, fx.company_a, "abuse2@alpha.example").await;
    let contact_b = create_abuse_contact(db, fx.company_b, "abuse@beta.example").await;
    // Report numbers from 9000 up, apart from the matrix's fresh numbers.
    let complaint_a = store_complaint(db, &mailbox_address(db, fx.mailbox_a).await, 9001).await;
    let complaint_a2 = store_complaint(db, &mailbox_address(db, fx.mailbox_a2).await, 9002).await;
    let complaint_b = store_complaint(db, &mailbox_address(db, fx.mailbox_b).await, 9003).await;
    let complaint_unattributed = store_complaint(db, "someone@elsewhere.example", 9004).await;
    let quarantined = complaints::quarantine(
        db,
        b"not a report",
        mailadmin::services::complaints::outcome::Source::Cli,
        "test",
    )
    .await
    .expect("quarantine");
    let (token, _) =
        api_tokens::create(db, &admins::system_actor("fixture"), "matrix").await.expect("create token");
    // A's in domain_a: a notice is not for domain admins even when it is about their mailbox.
    let notice_a = seed_notice(db, fx.company_a, fx.domain_a, "nora", 9100).await;
    let notice_b = seed_notice(db, fx.company_b, fx.domain_b, "nick", 9200).await;
    let alias_a = seed_alias(db, fx.domain_a).await;
    let alias_a2 = seed_alias(db, fx.domain_a2).await;
    let alias_b = seed_alias(db, fx.domain_b).await;
    Extra {
        leaver_a,
        leaver_a2,
        leaver_b,
        contact_a,
        contact_a_last,
        contact_b,
        addresses,
        complaint_a,
        complaint_a2,
        complaint_b,
        complaint_unattributed,
        quarantined,
        token,
        notice_a,
        notice_b,
        alias_a,
        alias_a2,
        alias_b,
    }
}

/// A fixture with made-up ids, for the checks that need no database.
pub(super) fn fake_fixture() -> Fixture {
    Fixture {
        company_a: 1,
        company_b: 2,
        domain_a: 11,
        domain_a2: 12,
        domain_b: 13,
        mailbox_a: 21,
        mailbox_a2: 22,
        mailbox_b: 23,
        admin_platform: 31,
        admin_support: 32,
        admin_company_a: 33,
        admin_domain_a: 34,
        admin_company_b: 35,
        admin_domain_b: 36,
    }
}

pub(super) fn fake_extra() -> Extra {
    let addresses = [21, 22, 23, 24, 25, 26].map(|id| (id, format!("m{id}@example.test"))).to_vec();
    Extra {
        leaver_a: 24,
        leaver_a2: 25,
        leaver_b: 26,
        contact_a: 41,
        contact_a_last: 42,
        contact_b: 43,
        addresses,
        complaint_a: 51,
        complaint_a2: 52,
        complaint_b: 53,
        complaint_unattributed: 54,
        quarantined: 61,
        token: 71,
        notice_a: 81,
        notice_b: 82,
        alias_a: 91,
        alias_a2: 92,
        alias_b: 93,
    }
}
