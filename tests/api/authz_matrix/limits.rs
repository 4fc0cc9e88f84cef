//! Sending limits: the platform sets a company's; company admins their domains' and
//! mailboxes'; domain admins their mailboxes'. Everyone who sees an object sees its limits.
use super::*;

#[rustfmt::skip]
pub(super) fn cells(t: &mut Table, fx: &Fixture) {
    use Who::{CompanyA, DomainA};
    let (a, b) = (fx.company_a, fx.company_b);
    let (da, da2, db) = (fx.domain_a, fx.domain_a2, fx.domain_b);
    let (ma, ma2, mb) = (fx.mailbox_a, fx.mailbox_a2, fx.mailbox_b);
    let limits_of = |path: String| path + "/limits";

    t.get("/companies/{id}/limits", limits_of(company(a)), "company A", signed_in(R200, R200, R200, R404));
    t.get("/companies/{id}/limits", limits_of(company(b)), "company B", signed_in(R200, R200, R404, R404));
    t.post("/companies/{id}/limits", limits_of(company(a)), "company A", company_limits_form(), signed_in(R303, R403, R403, R404));
    t.post("/companies/{id}/limits", limits_of(company(b)), "company B", company_limits_form(), signed_in(R303, R403, R404, R404));

    t.get("/domains/{id}/limits", limits_of(domain(da)), "domain_a",   signed_in(R200, R200, R200, R200));
    t.get("/domains/{id}/limits", limits_of(domain(da2)), "domain_a2", signed_in(R200, R200, R200, R404));
    t.get("/domains/{id}/limits", limits_of(domain(db)), "domain_b",   signed_in(R200, R200, R404, R404));
    t.post("/domains/{id}/limits", limits_of(domain(da)), "domain_a", limits_form(),   signed_in(R303, R403, R303, R403));
    t.post("/domains/{id}/limits", limits_of(domain(da2)), "domain_a2", limits_form(), signed_in(R303, R403, R303, R404));
    t.post("/domains/{id}/limits", limits_of(domain(db)), "domain_b", limits_form(),   signed_in(R303, R403, R404, R404));

    t.get("/mailboxes/{id}/limits", limits_of(mailbox(ma)), "mailbox_a",   signed_in(R200, R200, R200, R200))
        .links(CompanyA, &[href(format!("/mailboxes/{ma}/status"))], &[])
        .links(DomainA, &[href(format!("/mailboxes/{ma}/status"))], &[]);
    t.get("/mailboxes/{id}/limits", limits_of(mailbox(ma2)), "mailbox_a2", signed_in(R200, R200, R200, R404));
    t.get("/mailboxes/{id}/limits", limits_of(mailbox(mb)), "mailbox_b",   signed_in(R200, R200, R404, R404));
    t.post("/mailboxes/{id}/limits", limits_of(mailbox(ma)), "mailbox_a", limits_form(),   signed_in(R303, R403, R303, R303));
    t.post("/mailboxes/{id}/limits", limits_of(mailbox(ma2)), "mailbox_a2", limits_form(), signed_in(R303, R403, R303, R404));
    t.post("/mailboxes/{id}/limits", limits_of(mailbox(mb)), "mailbox_b", limits_form(),   signed_in(R303, R403, R404, R404));
}
