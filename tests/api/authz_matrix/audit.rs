//! The audit log: platform-wide, per company, and their exports.
use super::*;

/// Audit log.
///
/// The platform-wide log is the platform's and the support desk's; a company admin reads
/// their company's only. A domain admin gets 404 for every log, not 403: the platform log is
/// outside their scope, and a company's log first asks whether the company is visible, which
/// to a domain admin none is (the audit service's own 403 for domain admins is never reached).
/// A company's log never shows another company's objects; the export (every entry, not a
/// page of 50) shows the company's own fixture mailbox too.
#[rustfmt::skip]
pub(super) fn cells(t: &mut Table, fx: &Fixture, x: &Extra) {
    use Who::{CompanyA, Platform, Support};
    use std::slice::from_ref;
    let (a, b) = (fx.company_a, fx.company_b);
    let (ma, mb) = (fx.mailbox_a, fx.mailbox_b);
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
}
