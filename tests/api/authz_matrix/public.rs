//! The public routes, the pages of every signed-in admin, and signing out and in again.
use super::*;

/// Public routes, for everyone alike.
#[rustfmt::skip]
pub(super) fn public_routes(t: &mut Table) {
    t.get("/healthz", "/healthz".into(), "-",                   [R200, R200, R200, R200, R200]);
    t.get("/static/style.css", "/static/style.css".into(), "-", [R200, R200, R200, R200, R200]);
    // Signed in, the sign-in page sends you home (the app's choice; the rule said 200).
    t.get("/login", "/login".into(), "-", [R200, R303, R303, R303, R303]);
    let wrong = form(&[("login", "plat"), ("password", "wrong-password")]);
    t.post("/login", "/login".into(), "wrong password", wrong, [R422, R422, R422, R422, R422]);
    // The complaint API answers bearer tokens only: a signed-in session is no token.
    let complaint = form(&[("feedback_type", "abuse"), ("address", "anna@alpha.example")]);
    t.post("/api/v1/complaints", "/api/v1/complaints".into(), "no token", complaint, [R401, R401, R401, R401, R401]);
    t.get("/api/v1/mailboxes/{address}/send-permission", "/api/v1/mailboxes/anna@alpha.example/send-permission".into(),
        "no token", [R401, R401, R401, R401, R401]);
}

/// Home, look-up, own password.
#[rustfmt::skip]
pub(super) fn home(t: &mut Table, fx: &Fixture) {
    use Who::{CompanyA, DomainA, Platform, Support};
    let (da, da2, db) = (fx.domain_a, fx.domain_a2, fx.domain_b);
    let (ma, ma2, mb) = (fx.mailbox_a, fx.mailbox_a2, fx.mailbox_b);
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
    let own_password = own_password_form();
    t.post("/account/password", "/account/password".into(), "self", own_password, signed_in(R303, R303, R303, R303));
}

/// The last cells: signing out, and in again.
#[rustfmt::skip]
pub(super) fn sign_out_and_in(t: &mut Table) {
    t.post("/logout", "/logout".into(), "-", vec![], [R303, R303, R303, R303, R303]);
    t.get("/admins", "/admins".into(), "signed out", [Login, Login, Login, Login, Login]);
    t.get("/login", "/login".into(), "signed out",   [R200, R200, R200, R200, R200]);
    let right = form(&[("login", "plat"), ("password", FIXTURE_PASSWORD)]);
    t.post("/login", "/login".into(), "plat, right password", right, [R303, R303, R303, R303, R303]);
}
