//! The hierarchy: companies and their contacts, domains, mailboxes, and deleting them all.
use super::*;

/// Companies, and new domains of a company.
#[rustfmt::skip]
pub(super) fn companies(t: &mut Table, fx: &Fixture) {
    use Who::{CompanyA, Platform, Support};
    let (a, b) = (fx.company_a, fx.company_b);
    let (da, da2, db) = (fx.domain_a, fx.domain_a2, fx.domain_b);
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
}

/// Contacts (kept on Edit Company: changing them is editing the company).
#[rustfmt::skip]
pub(super) fn contacts(t: &mut Table, fx: &Fixture, x: &Extra) {
    let (a, b) = (fx.company_a, fx.company_b);
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
}

/// Domains (domain_a2 is comp-a's, not dom-a's), and new mailboxes of a domain.
#[rustfmt::skip]
pub(super) fn domains(t: &mut Table, fx: &Fixture) {
    use Who::{CompanyA, DomainA};
    let a = fx.company_a;
    let (da, da2, db) = (fx.domain_a, fx.domain_a2, fx.domain_b);
    let ma = fx.mailbox_a;
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
}

/// Mailboxes (the mailbox page is Edit Mailbox; support sees it read-only).
#[rustfmt::skip]
pub(super) fn mailboxes(t: &mut Table, fx: &Fixture) {
    use Who::{CompanyA, DomainA};
    let a = fx.company_a;
    let da = fx.domain_a;
    let (ma, ma2, mb) = (fx.mailbox_a, fx.mailbox_a2, fx.mailbox_b);
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
}

/// Destructive cells, children before parents: they come last but for signing out.
#[rustfmt::skip]
pub(super) fn deletions(t: &mut Table, fx: &Fixture) {
    let (a, b) = (fx.company_a, fx.company_b);
    let (da, da2, db) = (fx.domain_a, fx.domain_a2, fx.domain_b);
    let (ma, ma2, mb) = (fx.mailbox_a, fx.mailbox_a2, fx.mailbox_b);
    let (ap, asu, aca, ada, acb, adb) = (
        fx.admin_platform,
        fx.admin_support,
        fx.admin_company_a,
        fx.admin_domain_a,
        fx.admin_company_b,
        fx.admin_domain_b,
    );
    let delete_admin = |id: i32| format!("/admins/{id}/delete");
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
}
