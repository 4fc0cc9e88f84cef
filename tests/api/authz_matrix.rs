//! The authorization matrix: every route × every role × own and foreign objects.
//!
//! The expected answers are written by hand, from the rules, as one table with a column per
//! caller: `[anonymous, plat, support, comp-a, dom-a]`. Each caller walks the whole table on a
//! fresh app and database (so its destructive cells cannot disturb another caller), and for
//! every cell the test checks
//!
//! * the status (and, for "sign in first", that the redirect goes to `/login`);
//! * that the database is unchanged, unless the cell is a POST that is allowed to change it —
//!   so a handler that does the change and *then* refuses is caught too;
//! * for list pages, that links to objects outside the caller's scope are absent (and that the
//!   caller's own objects are listed, so the check is not vacuous).
//!
//! POSTs send valid forms with fresh names, so a handler that skipped its authorization check
//! would answer 303 and fail its cell. Destructive cells come last. At the end, the platform
//! admin checks that every object whose change was refused still exists.
//!
//! The fixture has no suspensions and no contacts: each run adds some first ([`seed_extra`]).
//! Suspensions block deletions, so the suspension cells come before every deletion and every
//! confirmation page, and whoever may lift a suspension lifts each one in their scope there.
//! It adds the complaint intake's objects too, through the services: a complaint about each
//! fixture mailbox and an unattributed one, a quarantined message, an API token, and an AUP
//! notice per company (from an extra mailbox passing its allowance, lifted again at once).
//!
//! `every_route_is_in_the_matrix` (no database) fails when a route exists that the matrix does
//! not cover for every caller.
use crate::db_tests;
use crate::helpers::*;
use mailadmin::domain::{ContactKind, DisplayName, LiftKind, LocalPart, MailboxAddress};
use mailadmin::entity::{
    abuse_contact, admin_domain, admin_user, api_token, company, complaint, domain, mailbox, notice,
    quarantine, suspension,
};
use mailadmin::intake::arf;
use mailadmin::services::suspensions;
use mailadmin::services::{abuse_contacts, admins, api_tokens, complaints, mailboxes, passwords::Secret};
use mailadmin::web::routes::ROUTES;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use std::fmt::Write as _;
use std::slice::from_ref;

/// The callers, in the order of the table's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Platform,
    Support,
    CompanyA,
    DomainA,
}

impl Who {
    const ALL: [Who; 5] = [Who::Anonymous, Who::Platform, Who::Support, Who::CompanyA, Who::DomainA];

    fn login(self) -> Option<&'static str> {
        match self {
            Who::Anonymous => None,
            Who::Platform => Some("plat"),
            Who::Support => Some("support"),
            Who::CompanyA => Some("comp-a"),
            Who::DomainA => Some("dom-a"),
        }
    }

    fn label(self) -> &'static str {
        self.login().unwrap_or("anonymous")
    }
}

/// The answer a cell expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// 200: the page.
    R200,
    /// 303: done (a POST that may change things), or a plain redirect.
    R303,
    /// 303 to `/login…`: sign in first.
    Login,
    /// 401: the JSON API takes a bearer token, never a session.
    R401,
    /// 403: visible, but the role may not do this.
    R403,
    /// 404: outside the caller's part of the hierarchy, or not there at all.
    R404,
    /// 409: allowed, but not possible in this state.
    R409,
    /// 422: the form is refused.
    R422,
}
use Expect::{Login, R200, R303, R401, R403, R404, R409, R422};

impl Expect {
    fn status(self) -> u16 {
        match self {
            R200 => 200,
            R303 | Login => 303,
            R401 => 401,
            R403 => 403,
            R404 => 404,
            R409 => 409,
            R422 => 422,
        }
    }

    fn label(self) -> &'static str {
        match self {
            R200 => "200",
            R303 => "303",
            Login => "303 /login",
            R401 => "401",
            R403 => "403",
            R404 => "404",
            R409 => "409",
            R422 => "422",
        }
    }
}

/// One expected answer per caller: `[anonymous, plat, support, comp-a, dom-a]`.
type Row = [Expect; 5];

/// An answer for every caller but the anonymous one, who is sent to sign in.
const fn signed_in(plat: Expect, support: Expect, comp_a: Expect, dom_a: Expect) -> Row {
    [Login, plat, support, comp_a, dom_a]
}

struct Cell {
    who: Who,
    /// As in [`ROUTES`]: `get` or `post`.
    method: &'static str,
    /// The route pattern, as in [`ROUTES`].
    pattern: &'static str,
    path: String,
    /// What the path points at, for the failure report.
    object: String,
    fields: Vec<(String, String)>,
    expect: Expect,
    /// Text that must appear in a 200 page (the caller's own objects).
    shown: Vec<String>,
    /// Text that must not appear in a 200 page (objects outside the caller's scope).
    hidden: Vec<String>,
    /// Tables this cell may change although it is no allowed POST answering 303: a token is
    /// shown on a 200, an unreadable paste is kept in quarantine on its 422.
    writes: Vec<&'static str>,
}

impl Cell {
    /// For caller `who` only: links the page must show and must not show.
    fn links(&mut self, who: Who, shown: &[String], hidden: &[String]) -> &mut Self {
        if self.who == who {
            self.shown.extend_from_slice(shown);
            self.hidden.extend_from_slice(hidden);
        }
        self
    }

    /// For caller `who` only: the tables the cell may change although it answers no 303.
    fn may_write(&mut self, who: Who, tables: &[&'static str]) -> &mut Self {
        if self.who == who {
            self.writes.extend_from_slice(tables);
        }
        self
    }

    /// Only an allowed POST may change the database (but see [`Cell::writes`]).
    fn may_change(&self) -> bool {
        self.method == "post" && self.expect == R303
    }
}

struct Table {
    who: Who,
    cells: Vec<Cell>,
    counter: u32,
}

impl Table {
    /// A number for fresh names, so uniqueness never refuses a form.
    fn fresh(&mut self) -> u32 {
        self.counter += 1;
        self.counter
    }

    fn cell(
        &mut self,
        method: &'static str,
        pattern: &'static str,
        path: String,
        object: &str,
        fields: Vec<(String, String)>,
        row: Row,
    ) -> &mut Cell {
        self.cells.push(Cell {
            who: self.who,
            method,
            pattern,
            path,
            object: object.to_owned(),
            fields,
            expect: row[self.who as usize],
            shown: Vec::new(),
            hidden: Vec::new(),
            writes: Vec::new(),
        });
        self.cells.last_mut().expect("just pushed")
    }

    fn get(&mut self, pattern: &'static str, path: String, object: &str, row: Row) -> &mut Cell {
        self.cell("get", pattern, path, object, Vec::new(), row)
    }

    fn post(
        &mut self,
        pattern: &'static str,
        path: String,
        object: &str,
        fields: Vec<(String, String)>,
        row: Row,
    ) -> &mut Cell {
        self.cell("post", pattern, path, object, fields, row)
    }
}

/// A form's fields, in order; names may repeat.
type Form = Vec<(String, String)>;

fn form(pairs: &[(&str, &str)]) -> Form {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn company_form(n: u32) -> Vec<(String, String)> {
    // Status and allowance are the platform's: a company admin's values must be ignored.
    form(&[("name", &format!("Matrix Company {n}")), ("status", "suspended"), ("complaint_allowance", "77")])
}

fn domain_form(n: u32) -> Vec<(String, String)> {
    form(&[("name", &format!("m{n}.matrix.example"))])
}

fn new_mailbox_form(n: u32) -> Vec<(String, String)> {
    form(&[
        ("local_part", &format!("matrix{n}")),
        ("display_name", &format!("Matrix {n}")),
        ("password", "matrix-password"),
        ("confirm", "matrix-password"),
    ])
}

fn edit_mailbox_form(n: u32) -> Vec<(String, String)> {
    form(&[
        ("display_name", &format!("Matrix Edit {n}")),
        ("svc_send_mail", "on"),
        ("svc_receive_mail", "on"),
        ("svc_imap", "on"),
    ])
}

fn mailbox_password_form(n: u32) -> Vec<(String, String)> {
    let password = format!("matrix-password-{n}");
    form(&[("password", &password), ("confirm", &password)])
}

/// Admin passwords are set to the fixture password, so every login keeps working.
fn admin_password_form() -> Vec<(String, String)> {
    form(&[("password", FIXTURE_PASSWORD), ("confirm", FIXTURE_PASSWORD)])
}

fn new_admin_form(n: u32, role: &str, company_id: Option<i32>, domain_ids: &[i32]) -> Vec<(String, String)> {
    let mut fields = form(&[("login", &format!("matrix-{n}")), ("role", role)]);
    fields.push(("company_id".into(), company_id.map(|c| c.to_string()).unwrap_or_default()));
    fields.extend(domain_ids.iter().map(|d| ("domain_ids".to_owned(), d.to_string())));
    fields.extend(form(&[("password", "matrix-password"), ("confirm", "matrix-password")]));
    fields
}

fn domain_ids_form(domain_ids: &[i32]) -> Vec<(String, String)> {
    domain_ids.iter().map(|d| ("domain_ids".to_owned(), d.to_string())).collect()
}

/// Ticks Send Mail and POP3, with a reason and evidence: valid whether or not they are suspended.
fn suspend_form(n: u32) -> Vec<(String, String)> {
    form(&[
        ("suspend_send_mail", "on"),
        ("suspend_pop3", "on"),
        ("reason", "spam_complaints"),
        ("evidence", &format!("Matrix evidence {n}: 14 complaints in an hour")),
    ])
}

fn educate_form(n: u32) -> Vec<(String, String)> {
    let password = format!("matrix-password-{n}");
    form(&[
        ("note", &format!("Matrix note {n}: explained the acceptable use policy")),
        ("new_password", &password),
        ("confirm", &password),
    ])
}

/// Technical contacts, so that adding one never gives a company another abuse contact.
fn new_contact_form(n: u32) -> Vec<(String, String)> {
    form(&[
        ("kind", "technical"),
        ("name", &format!("Matrix Contact {n}")),
        ("email", &format!("tech{n}@matrix.example")),
    ])
}

/// An abuse contact stays one: changing the kind of the last would be refused.
fn edit_contact_form(n: u32) -> Vec<(String, String)> {
    form(&[
        ("kind", "abuse"),
        ("name", &format!("Matrix Abuse {n}")),
        ("email", &format!("abuse{n}@matrix.example")),
    ])
}

/// A feedback report about a message `sender` sent, unique by `n` (Message-IDs and recipient),
/// so the intake never takes it for a copy of another.
fn report(sender: &str, n: u32) -> String {
    arf_report(
        sender,
        &format!("rcpt{n}@matrix.example"),
        &format!("orig{n}@matrix.example"),
        &format!("report{n}@fbl.matrix.example"),
        "abuse",
    )
}

fn paste_form(report: &str) -> Vec<(String, String)> {
    form(&[("report", report)])
}

fn token_form(n: u32) -> Vec<(String, String)> {
    form(&[("name", &format!("Matrix token {n}"))])
}

fn href(path: String) -> String {
    format!("href=\"{path}\"")
}

/// Every route with an `{id}`, with a valid form for the POSTs: asked with a missing and a
/// non-numeric id.
fn id_routes(n: u32) -> Vec<(&'static str, &'static str, Form)> {
    vec![
        ("get", "/companies/{id}", vec![]),
        ("get", "/companies/{id}/edit", vec![]),
        ("post", "/companies/{id}/edit", company_form(n)),
        ("get", "/companies/{id}/delete", vec![]),
        ("post", "/companies/{id}/delete", vec![]),
        ("get", "/companies/{id}/domains/new", vec![]),
        ("post", "/companies/{id}/domains/new", domain_form(n)),
        ("get", "/domains/{id}", vec![]),
        ("get", "/domains/{id}/edit", vec![]),
        ("post", "/domains/{id}/edit", domain_form(n)),
        ("get", "/domains/{id}/delete", vec![]),
        ("post", "/domains/{id}/delete", vec![]),
        ("get", "/domains/{id}/mailboxes/new", vec![]),
        ("post", "/domains/{id}/mailboxes/new", new_mailbox_form(n)),
        ("get", "/mailboxes/{id}", vec![]),
        ("post", "/mailboxes/{id}", edit_mailbox_form(n)),
        ("get", "/mailboxes/{id}/password", vec![]),
        ("post", "/mailboxes/{id}/password", mailbox_password_form(n)),
        ("get", "/mailboxes/{id}/delete", vec![]),
        ("post", "/mailboxes/{id}/delete", vec![]),
        ("get", "/mailboxes/{id}/status", vec![]),
        ("post", "/mailboxes/{id}/status", suspend_form(n)),
        ("post", "/mailboxes/{id}/lift", vec![]),
        ("post", "/mailboxes/{id}/educate", educate_form(n)),
        ("get", "/mailboxes/{id}/lift-and-delete", vec![]),
        ("post", "/mailboxes/{id}/lift-and-delete", vec![]),
        ("get", "/companies/{id}/contacts/new", vec![]),
        ("post", "/companies/{id}/contacts/new", new_contact_form(n)),
        ("get", "/contacts/{id}/edit", vec![]),
        ("post", "/contacts/{id}/edit", edit_contact_form(n)),
        ("get", "/contacts/{id}/delete", vec![]),
        ("post", "/contacts/{id}/delete", vec![]),
        ("get", "/companies/{id}/audit", vec![]),
        ("get", "/companies/{id}/audit/export", vec![]),
        ("get", "/admins/{id}", vec![]),
        ("post", "/admins/{id}/domains", vec![]),
        ("post", "/admins/{id}/password", admin_password_form()),
        ("get", "/admins/{id}/delete", vec![]),
        ("post", "/admins/{id}/delete", vec![]),
        ("get", "/mailboxes/{id}/complaints", vec![]),
        ("get", "/companies/{id}/complaints", vec![]),
        ("get", "/complaints/quarantine/{id}", vec![]),
        ("get", "/complaints/{id}", vec![]),
        ("get", "/notices/{id}", vec![]),
        // `POST /tokens/{id}/revoke` is not here: support is refused before the token is looked
        // up (see the matrix).
    ]
}

/// What each run adds to the fixture, through the services.
struct Extra {
    /// One more mailbox in each of domain_a, domain_a2 and domain_b, suspended, for *lift and
    /// delete the account*; mailbox_a, mailbox_a2 and mailbox_b are suspended too.
    leaver_a: i32,
    leaver_a2: i32,
    leaver_b: i32,
    /// A's two abuse contacts (so removing the first is not removing the last), and B's one.
    contact_a: i32,
    contact_a_last: i32,
    contact_b: i32,
    /// The address of every suspended mailbox, by id.
    addresses: Vec<(i32, String)>,
    /// A complaint about mailbox_a, mailbox_a2 and mailbox_b each, and one about no mailbox of
    /// ours.
    complaint_a: i32,
    complaint_a2: i32,
    complaint_b: i32,
    complaint_unattributed: i32,
    /// A message that was no report, in quarantine.
    quarantined: i32,
    /// A live API token.
    token: i32,
    /// The AUP notices of company A and company B.
    notice_a: i32,
    notice_b: i32,
}

impl Extra {
    fn address(&self, id: i32) -> String {
        self.addresses.iter().find(|(m, _)| *m == id).map(|(_, a)| a.clone()).expect("a suspended mailbox")
    }
}

async fn create_mailbox(db: &DatabaseConnection, domain_id: i32, local: &str, name: &str) -> i32 {
    let new = mailboxes::NewMailbox {
        local_part: LocalPart::parse(local).expect("local part"),
        display_name: DisplayName::parse(name).expect("display name"),
        password: Secret::new("mailbox-password".into()),
    };
    mailboxes::create(db, &admins::system_actor("fixture"), domain_id, new).await.expect("create mailbox")
}

async fn create_leaver(db: &DatabaseConnection, domain_id: i32, local: &str) -> i32 {
    create_mailbox(db, domain_id, local, "Leaving User").await
}

async fn mailbox_address(db: &DatabaseConnection, id: i32) -> String {
    mailbox::Entity::find_by_id(id).one(db).await.expect("query").expect("mailbox").address
}

/// Stores report number `n` about mail from `sender` through the intake; the complaint's id.
async fn store_complaint(db: &DatabaseConnection, sender: &str, n: u32) -> i32 {
    let settings = complaints::IntakeSettings {
        platform_address: "abuse-desk@platform.test".into(),
        public_url: "http://localhost/".into(),
    };
    let raw = report(sender, n);
    let parsed = arf::parse(raw.as_bytes(), 1 << 20).expect("a readable report");
    match complaints::store(db, &settings, &parsed, complaints::Source::Api).await.expect("store") {
        complaints::Outcome::Stored { complaint_id, .. } => complaint_id,
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
async fn seed_extra(db: &DatabaseConnection, fx: &Fixture) -> Extra {
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
    let quarantined = complaints::quarantine(db, b"not a report", complaints::Source::Cli, "test")
        .await
        .expect("quarantine");
    let (token, _) =
        api_tokens::create(db, &admins::system_actor("fixture"), "matrix").await.expect("create token");
    // A's in domain_a: a notice is not for domain admins even when it is about their mailbox.
    let notice_a = seed_notice(db, fx.company_a, fx.domain_a, "nora", 9100).await;
    let notice_b = seed_notice(db, fx.company_b, fx.domain_b, "nick", 9200).await;
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
    }
}

/// The whole matrix, as caller `who` walks it, in order. Laid out as a table, one line a cell.
#[rustfmt::skip]
fn matrix(who: Who, fx: &Fixture, x: &Extra) -> Vec<Cell> {
    let mut t = Table { who, cells: Vec::new(), counter: 0 };
    let company = |id: i32| format!("/companies/{id}");
    let domain = |id: i32| format!("/domains/{id}");
    let mailbox = |id: i32| format!("/mailboxes/{id}");
    let admin = |id: i32| format!("/admins/{id}");
    let (a, b) = (fx.company_a, fx.company_b);
    let (da, da2, db) = (fx.domain_a, fx.domain_a2, fx.domain_b);
    let (ma, ma2, mb) = (fx.mailbox_a, fx.mailbox_a2, fx.mailbox_b);
    let all_admins = [
        fx.admin_platform,
        fx.admin_support,
        fx.admin_company_a,
        fx.admin_domain_a,
        fx.admin_company_b,
        fx.admin_domain_b,
    ];
    use Who::{CompanyA, DomainA, Platform, Support};

    // Columns: [anonymous, plat, support, comp-a, dom-a]; signed_in(plat, support, comp-a, dom-a)
    // sends the anonymous caller to sign in.

    // ---- Public routes ------------------------------------------------------------------
    t.get("/healthz", "/healthz".into(), "-",                   [R200, R200, R200, R200, R200]);
    t.get("/static/style.css", "/static/style.css".into(), "-", [R200, R200, R200, R200, R200]);
    // Signed in, the sign-in page sends you home (the app's choice; the rule said 200).
    t.get("/login", "/login".into(), "-", [R200, R303, R303, R303, R303]);
    let wrong = form(&[("login", "plat"), ("password", "wrong-password")]);
    t.post("/login", "/login".into(), "wrong password", wrong, [R422, R422, R422, R422, R422]);
    // The complaint API answers bearer tokens only: a signed-in session is no token.
    let complaint = form(&[("feedback_type", "abuse"), ("address", "anna@alpha.example")]);
    t.post("/api/v1/complaints", "/api/v1/complaints".into(), "no token", complaint, [R401, R401, R401, R401, R401]);

    // ---- Home, look-up, own password -------------------------------------------------
    t.get("/", "/".into(), "-", signed_in(R200, R200, R200, R200))
        .links(CompanyA, &[href(domain(da)), href(domain(da2))], &[href(domain(db))])
        .links(DomainA, &[href(domain(da))], &[href(domain(da2)), href(domain(db))]);
    t.get("/lookup", "/lookup".into(), "-", signed_in(R200, R200, R200, R200));
    let every_mailbox = [href(mailbox(ma)), href(mailbox(ma2)), href(mailbox(mb))];
    t.get("/lookup", "/lookup?q=example".into(), "every mailbox", signed_in(R200, R200, R200, R200))
        .links(Platform, &every_mailbox, &[])
        .links(Support, &every_mailbox, &[])
        .links(CompanyA, &[href(mailbox(ma)), href(mailbox(ma2))], &[href(mailbox(mb))])
        .links(DomainA, &[href(mailbox(ma))], &[href(mailbox(ma2)), href(mailbox(mb))]);
    t.get("/account/password", "/account/password".into(), "self", signed_in(R200, R200, R200, R200));
    let own_password = admin_password_form();
    t.post("/account/password", "/account/password".into(), "self", own_password, signed_in(R303, R303, R303, R303));

    // ---- Suspensions: before every deletion and confirmation page, which they block ---------
    // Send Mail of mailbox_a, mailbox_a2, mailbox_b and of a leaver per domain is suspended.
    // Whoever may manage a mailbox lifts its suspension here (and deletes the leavers), so the
    // cells below keep their meaning; what a caller may not lift stays suspended, and every
    // deletion of it is refused (403/404) before the suspension counts.
    let status = |id: i32| format!("/mailboxes/{id}/status");
    // A listed suspended mailbox: the link to its Status page, and its address.
    let listed = |ids: &[i32]| -> Vec<String> {
        ids.iter().flat_map(|id| [href(status(*id)), x.address(*id)]).collect()
    };
    let (la, la2, lb) = (x.leaver_a, x.leaver_a2, x.leaver_b);
    let (in_a, in_b) = (listed(&[ma, ma2, la, la2]), listed(&[mb, lb]));
    let everywhere = listed(&[ma, ma2, mb, la, la2, lb]);
    t.get("/suspended", "/suspended".into(), "-", signed_in(R200, R200, R200, R200))
        .links(Platform, &everywhere, &[])
        .links(Support, &everywhere, &[])
        .links(CompanyA, &in_a, &in_b)
        .links(DomainA, &listed(&[ma, la]), &[listed(&[ma2, la2]), in_b.clone()].concat());
    // One company's list asks whether the company is visible: to a domain admin none is.
    let suspended_of = |id: i32| format!("/suspended?company={id}");
    t.get("/suspended", suspended_of(a), "company A", signed_in(R200, R200, R200, R404))
        .links(Platform, &in_a, &in_b)
        .links(Support, &in_a, &in_b)
        .links(CompanyA, &in_a, &in_b);
    t.get("/suspended", suspended_of(b), "company B", signed_in(R200, R200, R404, R404))
        .links(Platform, &in_b, &in_a)
        .links(Support, &in_b, &in_a);
    t.get("/suspended", suspended_of(999_999), "missing company", signed_in(R404, R404, R404, R404));

    // The Status page is a view (support reads it, without the forms to lift); everything done
    // on it manages mailboxes.
    let lift_form = |id: i32| format!("action=\"/mailboxes/{id}/lift\"");
    t.get("/mailboxes/{id}/status", status(ma), "mailbox_a",   signed_in(R200, R200, R200, R200))
        .links(Platform, &[lift_form(ma)], &[])
        .links(Support, &[], &[lift_form(ma)])
        .links(CompanyA, &[lift_form(ma)], &[])
        .links(DomainA, &[lift_form(ma)], &[]);
    t.get("/mailboxes/{id}/status", status(ma2), "mailbox_a2", signed_in(R200, R200, R200, R404));
    t.get("/mailboxes/{id}/status", status(mb), "mailbox_b",   signed_in(R200, R200, R404, R404));
    let lift = |id: i32| format!("/mailboxes/{id}/lift");
    t.post("/mailboxes/{id}/lift", lift(ma), "mailbox_a", vec![],   signed_in(R303, R403, R303, R303));
    t.post("/mailboxes/{id}/lift", lift(ma2), "mailbox_a2", vec![], signed_in(R303, R403, R303, R404));
    t.post("/mailboxes/{id}/lift", lift(mb), "mailbox_b", vec![],   signed_in(R303, R403, R404, R404));
    // Lifted already (by those who may): nothing is suspended.
    t.post("/mailboxes/{id}/lift", lift(ma), "mailbox_a, lifted", vec![],   signed_in(R409, R403, R409, R409));
    t.post("/mailboxes/{id}/lift", lift(ma2), "mailbox_a2, lifted", vec![], signed_in(R409, R403, R409, R404));
    t.post("/mailboxes/{id}/lift", lift(mb), "mailbox_b, lifted", vec![],   signed_in(R409, R403, R404, R404));
    // Newly ticked without reason and evidence: refused as a form, after the authorization check.
    let no_evidence = form(&[("suspend_send_mail", "on")]);
    t.post("/mailboxes/{id}/status", status(ma), "mailbox_a, no evidence", no_evidence, signed_in(R422, R403, R422, R422));
    let n = t.fresh();
    t.post("/mailboxes/{id}/status", status(ma), "mailbox_a", suspend_form(n), signed_in(R303, R403, R303, R303));
    let n = t.fresh();
    t.post("/mailboxes/{id}/status", status(ma2), "mailbox_a2", suspend_form(n), signed_in(R303, R403, R303, R404));
    let n = t.fresh();
    t.post("/mailboxes/{id}/status", status(mb), "mailbox_b", suspend_form(n), signed_in(R303, R403, R404, R404));
    // Educate and lift (with a new password) lifts what was just suspended again.
    let educate = |id: i32| format!("/mailboxes/{id}/educate");
    let n = t.fresh();
    t.post("/mailboxes/{id}/educate", educate(ma), "mailbox_a", educate_form(n), signed_in(R303, R403, R303, R303));
    let n = t.fresh();
    t.post("/mailboxes/{id}/educate", educate(ma2), "mailbox_a2", educate_form(n), signed_in(R303, R403, R303, R404));
    let n = t.fresh();
    t.post("/mailboxes/{id}/educate", educate(mb), "mailbox_b", educate_form(n), signed_in(R303, R403, R404, R404));
    let lift_and_delete = |id: i32| format!("/mailboxes/{id}/lift-and-delete");
    t.get("/mailboxes/{id}/lift-and-delete", lift_and_delete(la), "leaver in domain_a",             signed_in(R200, R403, R200, R200));
    t.get("/mailboxes/{id}/lift-and-delete", lift_and_delete(la2), "leaver in domain_a2",           signed_in(R200, R403, R200, R404));
    t.get("/mailboxes/{id}/lift-and-delete", lift_and_delete(lb), "leaver in domain_b",             signed_in(R200, R403, R404, R404));
    t.post("/mailboxes/{id}/lift-and-delete", lift_and_delete(la), "leaver in domain_a", vec![],    signed_in(R303, R403, R303, R303));
    t.post("/mailboxes/{id}/lift-and-delete", lift_and_delete(la2), "leaver in domain_a2", vec![],  signed_in(R303, R403, R303, R404));
    t.post("/mailboxes/{id}/lift-and-delete", lift_and_delete(lb), "leaver in domain_b", vec![],    signed_in(R303, R403, R404, R404));

    // ---- Companies ------------------------------------------------------------------
    let both_companies = [href(company(a)), href(company(b))];
    t.get("/companies", "/companies".into(), "-", signed_in(R200, R200, R404, R404))
        .links(Platform, &both_companies, &[])
        .links(Support, &both_companies, &[]);
    t.get("/companies/new", "/companies/new".into(), "-", signed_in(R200, R403, R404, R404));
    let n = t.fresh();
    t.post("/companies/new", "/companies/new".into(), "-", company_form(n), signed_in(R303, R403, R404, R404));

    t.get("/companies/{id}", company(a), "company A", signed_in(R200, R200, R200, R404))
        .links(CompanyA, &[href(domain(da)), href(domain(da2))], &[href(domain(db))]);
    t.get("/companies/{id}", company(b), "company B",                signed_in(R200, R200, R404, R404));
    t.get("/companies/{id}/edit", company(a) + "/edit", "company A", signed_in(R200, R403, R200, R404));
    t.get("/companies/{id}/edit", company(b) + "/edit", "company B", signed_in(R200, R403, R404, R404));
    let n = t.fresh();
    t.post("/companies/{id}/edit", company(a) + "/edit", "company A", company_form(n), signed_in(R303, R403, R303, R404));
    let n = t.fresh();
    t.post("/companies/{id}/edit", company(b) + "/edit", "company B", company_form(n), signed_in(R303, R403, R404, R404));
    t.get("/companies/{id}/delete", company(a) + "/delete", "company A",               signed_in(R200, R403, R403, R404));
    t.get("/companies/{id}/delete", company(b) + "/delete", "company B",               signed_in(R200, R403, R404, R404));
    let new_domain = |id: i32| format!("/companies/{id}/domains/new");
    t.get("/companies/{id}/domains/new", new_domain(a), "company A", signed_in(R200, R403, R200, R404));
    t.get("/companies/{id}/domains/new", new_domain(b), "company B", signed_in(R200, R403, R404, R404));
    let n = t.fresh();
    t.post("/companies/{id}/domains/new", new_domain(a), "company A", domain_form(n), signed_in(R303, R403, R303, R404));
    let n = t.fresh();
    t.post("/companies/{id}/domains/new", new_domain(b), "company B", domain_form(n), signed_in(R303, R403, R404, R404));

    // ---- Contacts (kept on Edit Company: changing them is editing the company) ---------------
    // To a domain admin no company is visible: 404.
    let new_contact = |id: i32| format!("/companies/{id}/contacts/new");
    let contact = |id: i32| format!("/contacts/{id}");
    let (ca, ca_last, cb) = (x.contact_a, x.contact_a_last, x.contact_b);
    t.get("/companies/{id}/contacts/new", new_contact(a), "company A", signed_in(R200, R403, R200, R404));
    t.get("/companies/{id}/contacts/new", new_contact(b), "company B", signed_in(R200, R403, R404, R404));
    let n = t.fresh();
    t.post("/companies/{id}/contacts/new", new_contact(a), "company A", new_contact_form(n), signed_in(R303, R403, R303, R404));
    let n = t.fresh();
    t.post("/companies/{id}/contacts/new", new_contact(b), "company B", new_contact_form(n), signed_in(R303, R403, R404, R404));
    t.get("/contacts/{id}/edit", contact(ca) + "/edit", "A's abuse contact", signed_in(R200, R403, R200, R404));
    t.get("/contacts/{id}/edit", contact(cb) + "/edit", "B's abuse contact", signed_in(R200, R403, R404, R404));
    let n = t.fresh();
    t.post("/contacts/{id}/edit", contact(ca) + "/edit", "A's abuse contact", edit_contact_form(n), signed_in(R303, R403, R303, R404));
    let n = t.fresh();
    t.post("/contacts/{id}/edit", contact(cb) + "/edit", "B's abuse contact", edit_contact_form(n), signed_in(R303, R403, R404, R404));
    t.get("/contacts/{id}/delete", contact(ca) + "/delete", "A's abuse contact", signed_in(R200, R403, R200, R404));
    t.get("/contacts/{id}/delete", contact(cb) + "/delete", "B's abuse contact", signed_in(R200, R403, R404, R404));
    t.post("/contacts/{id}/delete", contact(ca) + "/delete", "A's abuse contact", vec![], signed_in(R303, R403, R303, R404));
    // Now A's other abuse contact is its last (for those who removed the first): it goes only
    // with ?confirm_last=yes.
    t.post("/contacts/{id}/delete", contact(ca_last) + "/delete", "A's last abuse contact", vec![],                   signed_in(R409, R403, R409, R404));
    t.post("/contacts/{id}/delete", contact(ca_last) + "/delete?confirm_last=yes", "A's last, confirmed", vec![],     signed_in(R303, R403, R303, R404));
    t.post("/contacts/{id}/delete", contact(cb) + "/delete?confirm_last=yes", "B's last, confirmed", vec![],          signed_in(R303, R403, R404, R404));

    // ---- Domains (domain_a2 is comp-a's, not dom-a's) ------------------------------------
    t.get("/domains/{id}", domain(da), "domain_a", signed_in(R200, R200, R200, R200))
        .links(CompanyA, &[href(company(a)), href(mailbox(ma))], &[])
        .links(DomainA, &[href(mailbox(ma))], &[href(company(a))]);
    t.get("/domains/{id}", domain(da2), "domain_a2",                signed_in(R200, R200, R200, R404));
    t.get("/domains/{id}", domain(db), "domain_b",                  signed_in(R200, R200, R404, R404));
    t.get("/domains/{id}/edit", domain(da) + "/edit", "domain_a",   signed_in(R200, R403, R200, R403));
    t.get("/domains/{id}/edit", domain(da2) + "/edit", "domain_a2", signed_in(R200, R403, R200, R404));
    t.get("/domains/{id}/edit", domain(db) + "/edit", "domain_b",   signed_in(R200, R403, R404, R404));
    let n = t.fresh();
    t.post("/domains/{id}/edit", domain(da) + "/edit", "domain_a", domain_form(n), signed_in(R303, R403, R303, R403));
    let n = t.fresh();
    t.post("/domains/{id}/edit", domain(da2) + "/edit", "domain_a2", domain_form(n), signed_in(R303, R403, R303, R404));
    let n = t.fresh();
    t.post("/domains/{id}/edit", domain(db) + "/edit", "domain_b", domain_form(n), signed_in(R303, R403, R404, R404));
    t.get("/domains/{id}/delete", domain(da) + "/delete", "domain_a",              signed_in(R200, R403, R200, R403));
    t.get("/domains/{id}/delete", domain(da2) + "/delete", "domain_a2",            signed_in(R200, R403, R200, R404));
    t.get("/domains/{id}/delete", domain(db) + "/delete", "domain_b",              signed_in(R200, R403, R404, R404));
    let new_mailbox = |id: i32| format!("/domains/{id}/mailboxes/new");
    t.get("/domains/{id}/mailboxes/new", new_mailbox(da), "domain_a",   signed_in(R200, R403, R200, R200));
    t.get("/domains/{id}/mailboxes/new", new_mailbox(da2), "domain_a2", signed_in(R200, R403, R200, R404));
    t.get("/domains/{id}/mailboxes/new", new_mailbox(db), "domain_b",   signed_in(R200, R403, R404, R404));
    let n = t.fresh();
    t.post("/domains/{id}/mailboxes/new", new_mailbox(da), "domain_a", new_mailbox_form(n), signed_in(R303, R403, R303, R303));
    let n = t.fresh();
    t.post("/domains/{id}/mailboxes/new", new_mailbox(da2), "domain_a2", new_mailbox_form(n), signed_in(R303, R403, R303, R404));
    let n = t.fresh();
    t.post("/domains/{id}/mailboxes/new", new_mailbox(db), "domain_b", new_mailbox_form(n), signed_in(R303, R403, R404, R404));

    // ---- Mailboxes (the mailbox page is Edit Mailbox; support sees it read-only) ----------
    t.get("/mailboxes/{id}", mailbox(ma), "mailbox_a", signed_in(R200, R200, R200, R200))
        .links(CompanyA, &[href(company(a))], &[])
        .links(DomainA, &[href(domain(da))], &[href(company(a))]);
    t.get("/mailboxes/{id}", mailbox(ma2), "mailbox_a2", signed_in(R200, R200, R200, R404));
    t.get("/mailboxes/{id}", mailbox(mb), "mailbox_b",   signed_in(R200, R200, R404, R404));
    let n = t.fresh();
    t.post("/mailboxes/{id}", mailbox(ma), "mailbox_a", edit_mailbox_form(n), signed_in(R303, R403, R303, R303));
    let n = t.fresh();
    t.post("/mailboxes/{id}", mailbox(ma2), "mailbox_a2", edit_mailbox_form(n), signed_in(R303, R403, R303, R404));
    let n = t.fresh();
    t.post("/mailboxes/{id}", mailbox(mb), "mailbox_b", edit_mailbox_form(n),   signed_in(R303, R403, R404, R404));
    t.get("/mailboxes/{id}/password", mailbox(ma) + "/password", "mailbox_a",   signed_in(R200, R403, R200, R200));
    t.get("/mailboxes/{id}/password", mailbox(ma2) + "/password", "mailbox_a2", signed_in(R200, R403, R200, R404));
    t.get("/mailboxes/{id}/password", mailbox(mb) + "/password", "mailbox_b",   signed_in(R200, R403, R404, R404));
    let n = t.fresh();
    t.post("/mailboxes/{id}/password", mailbox(ma) + "/password", "mailbox_a", mailbox_password_form(n), signed_in(R303, R403, R303, R303));
    let n = t.fresh();
    t.post("/mailboxes/{id}/password", mailbox(ma2) + "/password", "mailbox_a2", mailbox_password_form(n), signed_in(R303, R403, R303, R404));
    let n = t.fresh();
    t.post("/mailboxes/{id}/password", mailbox(mb) + "/password", "mailbox_b", mailbox_password_form(n), signed_in(R303, R403, R404, R404));
    t.get("/mailboxes/{id}/delete", mailbox(ma) + "/delete", "mailbox_a",                                signed_in(R200, R403, R200, R200));
    t.get("/mailboxes/{id}/delete", mailbox(ma2) + "/delete", "mailbox_a2",                              signed_in(R200, R403, R200, R404));
    t.get("/mailboxes/{id}/delete", mailbox(mb) + "/delete", "mailbox_b",                                signed_in(R200, R403, R404, R404));

    // ---- Admin users --------------------------------------------------------------------
    let every_admin: Vec<String> = all_admins.iter().map(|id| href(admin(*id))).collect();
    t.get("/admins", "/admins".into(), "-", signed_in(R200, R200, R200, R403))
        .links(Platform, &every_admin, &[])
        .links(Support, &every_admin, &[])
        .links(
            CompanyA,
            &[href(admin(fx.admin_company_a)), href(admin(fx.admin_domain_a))],
            &[
                href(admin(fx.admin_platform)),
                href(admin(fx.admin_support)),
                href(admin(fx.admin_company_b)),
                href(admin(fx.admin_domain_b)),
            ],
        );
    let domain_choice = |id: i32| format!("name=\"domain_ids\" value=\"{id}\"");
    let company_choice = |id: i32| format!("<option value=\"{id}\">");
    t.get("/admins/new", "/admins/new".into(), "-", signed_in(R200, R403, R200, R403))
        .links(Platform, &[domain_choice(da), domain_choice(db), company_choice(a), company_choice(b)], &[])
        .links(CompanyA, &[domain_choice(da), company_choice(a)], &[domain_choice(db), company_choice(b)]);
    let n = t.fresh();
    let fields = new_admin_form(n, "domain", Some(a), &[da]);
    t.post("/admins/new", "/admins/new".into(), "new domain admin of A", fields, signed_in(R303, R403, R303, R403));
    let n = t.fresh();
    let fields = new_admin_form(n, "company", Some(a), &[]);
    t.post("/admins/new", "/admins/new".into(), "new company admin of A", fields, signed_in(R303, R403, R403, R403));
    let n = t.fresh();
    let fields = new_admin_form(n, "domain", Some(b), &[db]);
    // Another company's ids in form fields count as unknown ones (422), so answers reveal nothing.
    t.post("/admins/new", "/admins/new".into(), "new domain admin of B", fields, signed_in(R303, R403, R422, R403));
    let n = t.fresh();
    let fields = new_admin_form(n, "company", Some(b), &[]);
    t.post("/admins/new", "/admins/new".into(), "new company admin of B", fields, signed_in(R303, R403, R422, R403));
    let n = t.fresh();
    let fields = new_admin_form(n, "platform", None, &[]);
    t.post("/admins/new", "/admins/new".into(), "new platform admin", fields, signed_in(R303, R403, R404, R403));
    let n = t.fresh();
    let fields = new_admin_form(n, "support", None, &[]);
    t.post("/admins/new", "/admins/new".into(), "new support admin", fields, signed_in(R303, R403, R404, R403));

    // The diagonal (plat on plat, …, dom-a on dom-a) is the caller's own admin user.
    let (ap, asu, aca, ada, acb, adb) = (
        fx.admin_platform,
        fx.admin_support,
        fx.admin_company_a,
        fx.admin_domain_a,
        fx.admin_company_b,
        fx.admin_domain_b,
    );
    t.get("/admins/{id}", admin(ap), "admin plat",     signed_in(R200, R200, R404, R404));
    t.get("/admins/{id}", admin(asu), "admin support", signed_in(R200, R200, R404, R404));
    t.get("/admins/{id}", admin(aca), "admin comp-a",  signed_in(R200, R200, R200, R404));
    t.get("/admins/{id}", admin(ada), "admin dom-a",   signed_in(R200, R200, R200, R200))
        .links(CompanyA, &[domain_choice(da), domain_choice(da2)], &[domain_choice(db)]);
    t.get("/admins/{id}", admin(acb), "admin comp-b", signed_in(R200, R200, R404, R404));
    t.get("/admins/{id}", admin(adb), "admin dom-b",  signed_in(R200, R200, R404, R404));

    // Setting domains of a user who is not a domain admin changes nothing, but is authorized
    // like any change to that user.
    let set_domains = |id: i32| format!("/admins/{id}/domains");
    t.post("/admins/{id}/domains", set_domains(ap), "admin plat", domain_ids_form(&[da]),     signed_in(R303, R403, R404, R404));
    t.post("/admins/{id}/domains", set_domains(asu), "admin support", domain_ids_form(&[da]), signed_in(R303, R403, R404, R404));
    t.post("/admins/{id}/domains", set_domains(aca), "admin comp-a", domain_ids_form(&[da]),  signed_in(R303, R403, R403, R404));
    t.post("/admins/{id}/domains", set_domains(ada), "admin dom-a", domain_ids_form(&[da]),   signed_in(R303, R403, R303, R403));
    // A domain of another company is refused as a bad form by those who may manage dom-a.
    t.post("/admins/{id}/domains", set_domains(ada), "admin dom-a ← domain_b", domain_ids_form(&[db]), signed_in(R422, R403, R422, R403));
    t.post("/admins/{id}/domains", set_domains(acb), "admin comp-b", domain_ids_form(&[db]),           signed_in(R303, R403, R404, R404));
    t.post("/admins/{id}/domains", set_domains(adb), "admin dom-b", domain_ids_form(&[db]),            signed_in(R303, R403, R404, R404));

    let set_password = |id: i32| format!("/admins/{id}/password");
    t.post("/admins/{id}/password", set_password(ap), "admin plat", admin_password_form(),     signed_in(R303, R403, R404, R404));
    t.post("/admins/{id}/password", set_password(asu), "admin support", admin_password_form(), signed_in(R303, R303, R404, R404));
    t.post("/admins/{id}/password", set_password(aca), "admin comp-a", admin_password_form(),  signed_in(R303, R403, R303, R404));
    t.post("/admins/{id}/password", set_password(ada), "admin dom-a", admin_password_form(),   signed_in(R303, R403, R303, R303));
    t.post("/admins/{id}/password", set_password(acb), "admin comp-b", admin_password_form(),  signed_in(R303, R403, R404, R404));
    t.post("/admins/{id}/password", set_password(adb), "admin dom-b", admin_password_form(),   signed_in(R303, R403, R404, R404));

    let delete_admin = |id: i32| format!("/admins/{id}/delete");
    t.get("/admins/{id}/delete", delete_admin(ap), "admin plat",     signed_in(R200, R403, R404, R404));
    t.get("/admins/{id}/delete", delete_admin(asu), "admin support", signed_in(R200, R403, R404, R404));
    t.get("/admins/{id}/delete", delete_admin(aca), "admin comp-a",  signed_in(R200, R403, R403, R404));
    t.get("/admins/{id}/delete", delete_admin(ada), "admin dom-a",   signed_in(R200, R403, R200, R403));
    t.get("/admins/{id}/delete", delete_admin(acb), "admin comp-b",  signed_in(R200, R403, R404, R404));
    t.get("/admins/{id}/delete", delete_admin(adb), "admin dom-b",   signed_in(R200, R403, R404, R404));

    // ---- Audit log ----------------------------------------------------------------------
    // The platform-wide log is the platform's and the support desk's; a company admin reads
    // their company's only. A domain admin gets 404 for every log, not 403: the platform log is
    // outside their scope, and a company's log first asks whether the company is visible, which
    // to a domain admin none is (the audit service's own 403 for domain admins is never reached).
    // A company's log never shows another company's objects; the export (every entry, not a
    // page of 50) shows the company's own fixture mailbox too.
    let (anna, bert) = (x.address(ma), x.address(mb));
    t.get("/audit", "/audit".into(), "-",                signed_in(R200, R200, R404, R404));
    t.get("/audit/export", "/audit/export".into(), "-",  signed_in(R200, R200, R404, R404))
        .links(Platform, &[anna.clone(), bert.clone()], &[])
        .links(Support, &[anna.clone(), bert.clone()], &[]);
    t.get("/companies/{id}/audit", company(a) + "/audit", "company A", signed_in(R200, R200, R200, R404))
        .links(Platform, &[], from_ref(&bert))
        .links(Support, &[], from_ref(&bert))
        .links(CompanyA, &[], from_ref(&bert));
    t.get("/companies/{id}/audit", company(b) + "/audit", "company B", signed_in(R200, R200, R404, R404))
        .links(Platform, &[], from_ref(&anna))
        .links(Support, &[], from_ref(&anna));
    t.get("/companies/{id}/audit/export", company(a) + "/audit/export", "company A", signed_in(R200, R200, R200, R404))
        .links(Platform, from_ref(&anna), from_ref(&bert))
        .links(Support, from_ref(&anna), from_ref(&bert))
        .links(CompanyA, from_ref(&anna), from_ref(&bert));
    t.get("/companies/{id}/audit/export", company(b) + "/audit/export", "company B", signed_in(R200, R200, R404, R404))
        .links(Platform, from_ref(&bert), from_ref(&anna))
        .links(Support, from_ref(&bert), from_ref(&anna));

    // ---- Complaints, quarantine, API tokens, notices ---------------------------------------
    // A complaint is seen by whoever sees its mailbox (a company's list by whoever sees the
    // company); unattributed ones, the quarantine and the notices list are platform-wide views
    // (platform and support); pasting reports and API tokens are platform machinery, which
    // support may see the place of but not use (403). A notice is its company's too.
    let mailbox_complaints = |id: i32| format!("/mailboxes/{id}/complaints");
    let company_complaints = |id: i32| format!("/companies/{id}/complaints");
    let complaint = |id: i32| format!("/complaints/{id}");
    let (ca, ca2, cb, cu) = (x.complaint_a, x.complaint_a2, x.complaint_b, x.complaint_unattributed);
    let [hca, hca2, hcb, hcu] = [ca, ca2, cb, cu].map(|id| href(complaint(id)));
    t.get("/mailboxes/{id}/complaints", mailbox_complaints(ma), "mailbox_a",   signed_in(R200, R200, R200, R200))
        .links(Platform, from_ref(&hca), &[hca2.clone(), hcb.clone(), hcu.clone()])
        .links(Support, from_ref(&hca), &[hca2.clone(), hcb.clone(), hcu.clone()])
        .links(CompanyA, from_ref(&hca), &[hca2.clone(), hcb.clone(), hcu.clone()])
        .links(DomainA, from_ref(&hca), &[hca2.clone(), hcb.clone(), hcu.clone()]);
    t.get("/mailboxes/{id}/complaints", mailbox_complaints(ma2), "mailbox_a2", signed_in(R200, R200, R200, R404))
        .links(CompanyA, from_ref(&hca2), &[hca.clone(), hcb.clone()]);
    t.get("/mailboxes/{id}/complaints", mailbox_complaints(mb), "mailbox_b",   signed_in(R200, R200, R404, R404))
        .links(Platform, from_ref(&hcb), from_ref(&hca))
        .links(Support, from_ref(&hcb), from_ref(&hca));
    t.get("/companies/{id}/complaints", company_complaints(a), "company A", signed_in(R200, R200, R200, R404))
        .links(Platform, &[hca.clone(), hca2.clone()], &[hcb.clone(), hcu.clone()])
        .links(Support, &[hca.clone(), hca2.clone()], &[hcb.clone(), hcu.clone()])
        .links(CompanyA, &[hca.clone(), hca2.clone()], &[hcb.clone(), hcu.clone()]);
    t.get("/companies/{id}/complaints", company_complaints(b), "company B", signed_in(R200, R200, R404, R404))
        .links(Platform, from_ref(&hcb), &[hca.clone(), hca2.clone(), hcu.clone()])
        .links(Support, from_ref(&hcb), &[hca.clone(), hca2.clone(), hcu.clone()]);
    t.get("/complaints/unattributed", "/complaints/unattributed".into(), "-", signed_in(R200, R200, R404, R404))
        .links(Platform, from_ref(&hcu), &[hca.clone(), hcb.clone()])
        .links(Support, from_ref(&hcu), &[hca.clone(), hcb.clone()]);
    // The company's name and link only for those who see the company: not a domain admin.
    t.get("/complaints/{id}", complaint(ca), "about mailbox_a",    signed_in(R200, R200, R200, R200))
        .links(CompanyA, &[href(company(a))], &[])
        .links(DomainA, &[], &[href(company(a))]);
    t.get("/complaints/{id}", complaint(ca2), "about mailbox_a2",  signed_in(R200, R200, R200, R404));
    t.get("/complaints/{id}", complaint(cb), "about mailbox_b",    signed_in(R200, R200, R404, R404));
    t.get("/complaints/{id}", complaint(cu), "unattributed",       signed_in(R200, R200, R404, R404));
    let quarantined = |id: i32| format!("/complaints/quarantine/{id}");
    let q = x.quarantined;
    t.get("/complaints/quarantine", "/complaints/quarantine".into(), "-", signed_in(R200, R200, R404, R404))
        .links(Platform, &[href(quarantined(q))], &[])
        .links(Support, &[href(quarantined(q))], &[]);
    t.get("/complaints/quarantine/{id}", quarantined(q), "quarantined", signed_in(R200, R200, R404, R404));
    // Pasting: the form is the platform admin's only.
    t.get("/complaints/new", "/complaints/new".into(), "-", signed_in(R200, R403, R404, R404));
    let n = t.fresh();
    let about_anna = paste_form(&report(&x.address(ma), n));
    t.post("/complaints/new", "/complaints/new".into(), "report about mailbox_a", about_anna, signed_in(R303, R403, R404, R404));
    let n = t.fresh();
    let about_nobody = paste_form(&report("someone@elsewhere.example", n));
    t.post("/complaints/new", "/complaints/new".into(), "unattributed report", about_nobody, signed_in(R303, R403, R404, R404));
    // Refused as a form, after the authorization check; what cannot be read is kept in quarantine.
    t.post("/complaints/new", "/complaints/new".into(), "unreadable", paste_form("not a report"), signed_in(R422, R403, R404, R404))
        .may_write(Platform, &["quarantine"]);
    t.post("/complaints/new", "/complaints/new".into(), "empty", paste_form(""), signed_in(R422, R403, R404, R404));

    // API tokens: a new one is shown on the answer (200), once, not behind a redirect.
    let revoke = |id: i32| format!("/tokens/{id}/revoke");
    let token = x.token;
    t.get("/tokens", "/tokens".into(), "-", signed_in(R200, R403, R404, R404))
        .links(Platform, &[format!("id=\"token-{token}\""), format!("action=\"{}\"", revoke(token))], &[]);
    let n = t.fresh();
    t.post("/tokens/new", "/tokens/new".into(), "-", token_form(n), signed_in(R200, R403, R404, R404))
        .may_write(Platform, &["api_token"]);
    t.post("/tokens/new", "/tokens/new".into(), "no name", form(&[("name", " ")]), signed_in(R422, R403, R404, R404));
    t.post("/tokens/{id}/revoke", revoke(token), "live token", vec![],     signed_in(R303, R403, R404, R404));
    t.post("/tokens/{id}/revoke", revoke(token), "revoked token", vec![],  signed_in(R409, R403, R404, R404));
    // Support is refused before the token is looked up, whatever the id (the rule said 404 for a
    // missing one): support may not list tokens, so an answer that told missing ids from
    // existing ones would tell them which tokens exist.
    t.post("/tokens/{id}/revoke", revoke(999_999), "missing id", vec![],   signed_in(R404, R403, R404, R404));
    t.post("/tokens/{id}/revoke", "/tokens/abc/revoke".into(), "non-numeric id", vec![], signed_in(R404, R404, R404, R404));

    // Notices: the list is platform-wide; one notice is open to its company's admins too, but
    // not to domain admins (to whom no company is visible), though A's is about a mailbox in
    // domain_a.
    let notice = |id: i32| format!("/notices/{id}");
    let (na, nb) = (x.notice_a, x.notice_b);
    t.get("/notices", "/notices".into(), "-", signed_in(R200, R200, R404, R404))
        .links(Platform, &[href(notice(na)), href(notice(nb))], &[])
        .links(Support, &[href(notice(na)), href(notice(nb))], &[]);
    t.get("/notices/{id}", notice(na), "company A's notice", signed_in(R200, R200, R200, R404))
        .links(CompanyA, &[href(company(a))], &[]);
    t.get("/notices/{id}", notice(nb), "company B's notice", signed_in(R200, R200, R404, R404));

    // ---- Ids that do not exist, and ids that are not numbers -----------------------------
    let n = t.fresh();
    for (bad, object) in [("999999", "missing id"), ("abc", "non-numeric id")] {
        for (method, pattern, fields) in id_routes(n) {
            let path = pattern.replace("{id}", bad);
            t.cell(method, pattern, path, object, fields, signed_in(R404, R404, R404, R404));
        }
    }

    // ---- Destructive cells, children before parents ---------------------------------------
    t.post("/mailboxes/{id}/delete", mailbox(ma) + "/delete", "mailbox_a", vec![],   signed_in(R303, R403, R303, R303));
    t.post("/mailboxes/{id}/delete", mailbox(ma2) + "/delete", "mailbox_a2", vec![], signed_in(R303, R403, R303, R404));
    t.post("/mailboxes/{id}/delete", mailbox(mb) + "/delete", "mailbox_b", vec![],   signed_in(R303, R403, R404, R404));
    t.post("/admins/{id}/delete", delete_admin(asu), "admin support", vec![],        signed_in(R303, R403, R404, R404));
    t.post("/admins/{id}/delete", delete_admin(aca), "admin comp-a", vec![],         signed_in(R303, R403, R403, R404));
    t.post("/admins/{id}/delete", delete_admin(ada), "admin dom-a", vec![],          signed_in(R303, R403, R303, R403));
    t.post("/admins/{id}/delete", delete_admin(acb), "admin comp-b", vec![],         signed_in(R303, R403, R404, R404));
    t.post("/admins/{id}/delete", delete_admin(adb), "admin dom-b", vec![],          signed_in(R303, R403, R404, R404));
    // Nobody may delete their own account: for plat that is the only reason.
    t.post("/admins/{id}/delete", delete_admin(ap), "admin plat", vec![],         signed_in(R409, R403, R404, R404));
    t.post("/domains/{id}/delete", domain(da) + "/delete", "domain_a", vec![],    signed_in(R303, R403, R303, R403));
    t.post("/domains/{id}/delete", domain(da2) + "/delete", "domain_a2", vec![],  signed_in(R303, R403, R303, R404));
    t.post("/domains/{id}/delete", domain(db) + "/delete", "domain_b", vec![],    signed_in(R303, R403, R404, R404));
    t.post("/companies/{id}/delete", company(a) + "/delete", "company A", vec![], signed_in(R303, R403, R403, R404));
    t.post("/companies/{id}/delete", company(b) + "/delete", "company B", vec![], signed_in(R303, R403, R404, R404));

    // ---- Signing out, and in again ----------------------------------------------------------
    t.post("/logout", "/logout".into(), "-", vec![], [R303, R303, R303, R303, R303]);
    t.get("/admins", "/admins".into(), "signed out", [Login, Login, Login, Login, Login]);
    t.get("/login", "/login".into(), "signed out",   [R200, R200, R200, R200, R200]);
    let right = form(&[("login", "plat"), ("password", FIXTURE_PASSWORD)]);
    t.post("/login", "/login".into(), "plat, right password", right, [R303, R303, R303, R303, R303]);

    t.cells
}

/// The rows of every table the matrix touches, one string per table.
async fn snapshot(db: &DatabaseConnection) -> [(&'static str, String); 11] {
    let companies =
        company::Entity::find().order_by_asc(company::Column::Id).all(db).await.expect("companies");
    let domains = domain::Entity::find().order_by_asc(domain::Column::Id).all(db).await.expect("domains");
    let mailboxes =
        mailbox::Entity::find().order_by_asc(mailbox::Column::Id).all(db).await.expect("mailboxes");
    let admins =
        admin_user::Entity::find().order_by_asc(admin_user::Column::Id).all(db).await.expect("admins");
    let links = admin_domain::Entity::find()
        .order_by_asc(admin_domain::Column::AdminId)
        .order_by_asc(admin_domain::Column::DomainId)
        .all(db)
        .await
        .expect("admin domains");
    let contacts = abuse_contact::Entity::find()
        .order_by_asc(abuse_contact::Column::Id)
        .all(db)
        .await
        .expect("contacts");
    let suspensions =
        suspension::Entity::find().order_by_asc(suspension::Column::Id).all(db).await.expect("suspensions");
    let complaints =
        complaint::Entity::find().order_by_asc(complaint::Column::Id).all(db).await.expect("complaints");
    let quarantined =
        quarantine::Entity::find().order_by_asc(quarantine::Column::Id).all(db).await.expect("quarantine");
    let tokens =
        api_token::Entity::find().order_by_asc(api_token::Column::Id).all(db).await.expect("api tokens");
    let notices = notice::Entity::find().order_by_asc(notice::Column::Id).all(db).await.expect("notices");
    [
        ("company", format!("{companies:?}")),
        ("domain", format!("{domains:?}")),
        ("mailbox", format!("{mailboxes:?}")),
        ("admin_user", format!("{admins:?}")),
        ("admin_domain", format!("{links:?}")),
        ("abuse_contact", format!("{contacts:?}")),
        ("suspension", format!("{suspensions:?}")),
        ("complaint", format!("{complaints:?}")),
        ("quarantine", format!("{quarantined:?}")),
        ("api_token", format!("{tokens:?}")),
        ("notice", format!("{notices:?}")),
    ]
}

/// The page showing the object a path points at: `/domains/3/edit` → `/domains/3`; a contact
/// has no page of its own but its edit form: `/contacts/5/delete` → `/contacts/5/edit`.
fn object_page(path: &str) -> Option<String> {
    let mut parts = path.trim_start_matches('/').split('/');
    let (kind, id) = (parts.next()?, parts.next()?);
    let numeric = id.parse::<i32>().is_ok_and(|id| id != 999_999);
    if numeric && kind == "contacts" {
        return Some(format!("/contacts/{id}/edit"));
    }
    (numeric && ["companies", "domains", "mailboxes", "admins"].contains(&kind))
        .then(|| format!("/{kind}/{id}"))
}

struct Miss {
    cell: usize,
    got: String,
    problem: String,
}

/// Walks the matrix as `who` and fails with every wrong cell listed.
async fn walk(app: TestApp, who: Who) {
    let fx = seed_fixture(&app.db).await;
    let x = seed_extra(&app.db, &fx).await;
    let cells = matrix(who, &fx, &x);
    let mut client = match who.login() {
        Some(login) => app.signed_in(login).await,
        // A session with a CSRF token, so that POSTs get past the CSRF check to the sign-in check.
        None => {
            let mut client = app.client();
            client.start_session().await;
            client
        }
    };
    let mut misses: Vec<Miss> = Vec::new();
    let mut before = snapshot(&app.db).await;
    for (i, cell) in cells.iter().enumerate() {
        let page = if cell.method == "get" {
            client.get(&cell.path).await
        } else {
            let fields: Vec<(&str, &str)> =
                cell.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            client.post(&cell.path, &fields).await
        };
        let status = page.status.as_u16();
        let got = match &page.location {
            Some(location) => format!("{status} {location}"),
            None => status.to_string(),
        };
        let mut problems = Vec::new();
        if status != cell.expect.status() {
            problems.push("wrong status".to_owned());
        } else if cell.expect == Login && !page.location.as_deref().unwrap_or("").starts_with("/login") {
            problems.push("not sent to /login".to_owned());
        }
        if status == 200 {
            for text in &cell.shown {
                if !page.body.contains(text.as_str()) {
                    problems.push(format!("page lacks {text}"));
                }
            }
            for text in &cell.hidden {
                if page.body.contains(text.as_str()) {
                    problems.push(format!("page shows {text}"));
                }
            }
        }
        let after = snapshot(&app.db).await;
        if !cell.may_change() {
            let changed: Vec<&str> = before
                .iter()
                .zip(&after)
                .filter(|(x, y)| x.1 != y.1)
                .map(|(x, _)| x.0)
                .filter(|table| !cell.writes.contains(table))
                .collect();
            if !changed.is_empty() {
                problems.push(format!("changed the database ({})", changed.join(", ")));
            }
        }
        before = after;
        if !problems.is_empty() {
            misses.push(Miss { cell: i, got, problem: problems.join("; ") });
        }
        // Keep the client's CSRF token in step with its session.
        if cell.method == "post" && cell.pattern == "/logout" {
            client.start_session().await;
        } else if cell.method == "post" && cell.pattern == "/login" && status == 303 {
            let page = client.get("/account/password").await;
            client.csrf =
                page.attrs("input[name=csrf_token]", "value").pop().expect("csrf token after sign-in");
        }
    }

    // Every object the caller was refused a change to, or could not even see, is still there.
    let plat = app.signed_in("plat").await;
    let deleted: Vec<String> = cells
        .iter()
        // `…/delete`, and `/mailboxes/{id}/lift-and-delete`.
        .filter(|c| c.may_change() && c.pattern.ends_with("delete"))
        .filter_map(|c| object_page(&c.path))
        .collect();
    let mut survivors: Vec<String> = cells
        .iter()
        .filter(|c| !c.may_change() && c.expect != R200)
        .filter_map(|c| object_page(&c.path))
        .filter(|p| !deleted.contains(p))
        .collect();
    survivors.sort();
    survivors.dedup();
    let mut lost = Vec::new();
    for path in &survivors {
        let status = plat.get(path).await.status.as_u16();
        if status != 200 {
            lost.push(format!("{path} answers {status} to plat"));
        }
    }
    if who == Who::CompanyA {
        // comp-a saved company A with status "suspended" and allowance 77: both are the platform's.
        let a =
            company::Entity::find_by_id(fx.company_a).one(&app.db).await.expect("query").expect("company A");
        if (a.status.as_str(), a.complaint_allowance) != ("active", 10) {
            lost.push(format!(
                "comp-a changed company A's policy: status {}, allowance {}",
                a.status, a.complaint_allowance
            ));
        }
    }

    if misses.is_empty() && lost.is_empty() {
        return;
    }
    let mut report = format!(
        "authorization matrix for {} on {:?}: {} of {} cells wrong\n",
        who.label(),
        app.backend,
        misses.len(),
        cells.len()
    );
    let _ = writeln!(
        report,
        "{:<9} {:<5} {:<32} {:<24} {:<10} {:<22} problem",
        "role", "verb", "path", "object", "expected", "got"
    );
    for miss in &misses {
        let cell = &cells[miss.cell];
        let _ = writeln!(
            report,
            "{:<9} {:<5} {:<32} {:<24} {:<10} {:<22} {}",
            who.label(),
            cell.method.to_uppercase(),
            cell.path,
            cell.object,
            cell.expect.label(),
            miss.got,
            miss.problem
        );
    }
    for line in &lost {
        let _ = writeln!(report, "after the walk: {line}");
    }
    panic!("{report}");
}

db_tests! {
    async fn anonymous(app: TestApp) {
        walk(app, Who::Anonymous).await;
    }

    async fn platform_admin(app: TestApp) {
        walk(app, Who::Platform).await;
    }

    async fn support_desk(app: TestApp) {
        walk(app, Who::Support).await;
    }

    async fn company_admin(app: TestApp) {
        walk(app, Who::CompanyA).await;
    }

    async fn domain_admin(app: TestApp) {
        walk(app, Who::DomainA).await;
    }
}

/// A fixture with made-up ids, for the checks that need no database.
fn fake_fixture() -> Fixture {
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

fn fake_extra() -> Extra {
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
    }
}

/// Whether `path` (query string aside) is an instance of `pattern`.
fn matches_pattern(pattern: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    let (want, have): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), path.split('/').collect());
    want.len() == have.len()
        && want.iter().zip(&have).all(|(w, h)| {
            if *w == "{id}" {
                !h.is_empty() && (h.chars().all(|c| c.is_ascii_digit()) || *h == "abc")
            } else {
                w == h
            }
        })
}

#[test]
fn every_route_is_in_the_matrix() {
    let (fx, x) = (fake_fixture(), fake_extra());
    let mut problems = Vec::new();
    for who in Who::ALL {
        let cells = matrix(who, &fx, &x);
        for (method, pattern) in ROUTES {
            if !cells.iter().any(|c| c.method == *method && c.pattern == *pattern) {
                problems.push(format!("{}: no cell for {} {pattern}", who.label(), method.to_uppercase()));
            }
        }
        for cell in &cells {
            if !ROUTES.contains(&(cell.method, cell.pattern)) {
                problems.push(format!("{}: {} {} is not a route", who.label(), cell.method, cell.pattern));
            }
            if !matches_pattern(cell.pattern, &cell.path) {
                problems.push(format!("{}: {} does not match {}", who.label(), cell.path, cell.pattern));
            }
        }
        for (method, pattern) in ROUTES.iter().filter(|(_, p)| p.contains("{id}")) {
            for bad in ["999999", "abc"] {
                let path = pattern.replace("{id}", bad);
                if !cells.iter().any(|c| c.method == *method && c.path == path) {
                    problems.push(format!("{}: no cell for {} {path}", who.label(), method.to_uppercase()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "the authorization matrix is incomplete:\n{}", problems.join("\n"));
}
