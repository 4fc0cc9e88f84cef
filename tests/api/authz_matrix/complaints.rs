//! The complaint intake's pages: complaints, quarantine, pasted reports, API tokens, notices.
use super::*;

/// Complaints, quarantine, API tokens, notices.
///
/// A complaint is seen by whoever sees its mailbox (a company's list by whoever sees the
/// company); unattributed ones, the quarantine and the notices list are platform-wide views
/// (platform and support); pasting reports and API tokens are platform machinery, which
/// support may see the place of but not use (403). A notice is its company's too.
#[rustfmt::skip]
pub(super) fn cells(t: &mut Table, fx: &Fixture, x: &Extra) {
    use Who::{CompanyA, DomainA, Platform, Support};
    use std::slice::from_ref;
    let (a, b) = (fx.company_a, fx.company_b);
    let (ma, ma2, mb) = (fx.mailbox_a, fx.mailbox_a2, fx.mailbox_b);
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

    // Retention: platform settings.
    t.get("/settings/retention", "/settings/retention".into(), "-", signed_in(R200, R403, R404, R404));
    t.post("/settings/retention", "/settings/retention".into(), "-", retention_form(), signed_in(R303, R403, R404, R404));
    t.post("/settings/retention/prune", "/settings/retention/prune".into(), "-", vec![], signed_in(R303, R403, R404, R404));

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
        .links(CompanyA, &[href(company(a)), href(format!("/companies/{a}/notices"))], &[]);
    t.get("/notices/{id}", notice(nb), "company B's notice", signed_in(R200, R200, R404, R404));
    // A company's notices: for whoever sees the company.
    let company_notices = |id: i32| format!("/companies/{id}/notices");
    t.get("/companies/{id}/notices", company_notices(a), "company A", signed_in(R200, R200, R200, R404))
        .links(CompanyA, &[href(notice(na))], &[href(notice(nb))])
        .links(Support, &[href(notice(na))], &[href(notice(nb))]);
    t.get("/companies/{id}/notices", company_notices(b), "company B", signed_in(R200, R200, R404, R404))
        .links(Platform, &[href(notice(nb))], &[href(notice(na))]);
}
