//! Suspensions: listed, viewed, lifted, suspended again, educated and lifted, lifted and deleted.
use super::*;

/// Suspensions: before every deletion and confirmation page, which they block.
///
/// Send Mail of mailbox_a, mailbox_a2, mailbox_b and of a leaver per domain is suspended.
/// Whoever may manage a mailbox lifts its suspension here (and deletes the leavers), so the
/// cells below keep their meaning; what a caller may not lift stays suspended, and every
/// deletion of it is refused (403/404) before the suspension counts.
#[rustfmt::skip]
pub(super) fn cells(t: &mut Table, fx: &Fixture, x: &Extra) {
    use Who::{CompanyA, DomainA, Platform, Support};
    let (a, b) = (fx.company_a, fx.company_b);
    let (ma, ma2, mb) = (fx.mailbox_a, fx.mailbox_a2, fx.mailbox_b);
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
}
