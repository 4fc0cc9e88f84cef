//! Aliases, catch-alls and forwards: like mailboxes, whoever manages a domain's mailboxes
//! manages its aliases and its mailboxes' forwards; everyone who sees the domain sees its
//! aliases. Deleting an alias comes last in the area.
use super::*;

#[rustfmt::skip]
pub(super) fn cells(t: &mut Table, fx: &Fixture, x: &Extra) {
    use Who::{CompanyA, DomainA};
    let (da, da2, db) = (fx.domain_a, fx.domain_a2, fx.domain_b);
    let (ma, ma2, mb) = (fx.mailbox_a, fx.mailbox_a2, fx.mailbox_b);
    let (aa, aa2, ab) = (x.alias_a, x.alias_a2, x.alias_b);
    let aliases = |id: i32| format!("/domains/{id}/aliases");
    let new_alias = |id: i32| format!("/domains/{id}/aliases/new");
    let alias = |id: i32| format!("/aliases/{id}");
    let forward = |id: i32| format!("/mailboxes/{id}/forward");

    t.get("/domains/{id}/aliases", aliases(da), "domain_a", signed_in(R200, R200, R200, R200))
        .links(CompanyA, &[href(alias(aa))], &[href(alias(ab))])
        .links(DomainA, &[href(alias(aa))], &[href(alias(aa2))]);
    t.get("/domains/{id}/aliases", aliases(da2), "domain_a2", signed_in(R200, R200, R200, R404));
    t.get("/domains/{id}/aliases", aliases(db), "domain_b",   signed_in(R200, R200, R404, R404));
    t.get("/domains/{id}/aliases/new", new_alias(da), "domain_a",   signed_in(R200, R403, R200, R200));
    t.get("/domains/{id}/aliases/new", new_alias(da2), "domain_a2", signed_in(R200, R403, R200, R404));
    t.get("/domains/{id}/aliases/new", new_alias(db), "domain_b",   signed_in(R200, R403, R404, R404));
    let n = t.fresh();
    t.post("/domains/{id}/aliases/new", new_alias(da), "domain_a", alias_form(n), signed_in(R303, R403, R303, R303));
    let n = t.fresh();
    t.post("/domains/{id}/aliases/new", new_alias(da2), "domain_a2", alias_form(n), signed_in(R303, R403, R303, R404));
    let n = t.fresh();
    t.post("/domains/{id}/aliases/new", new_alias(db), "domain_b", alias_form(n), signed_in(R303, R403, R404, R404));

    t.get("/aliases/{id}", alias(aa), "alias_a",   signed_in(R200, R403, R200, R200));
    t.get("/aliases/{id}", alias(aa2), "alias_a2", signed_in(R200, R403, R200, R404));
    t.get("/aliases/{id}", alias(ab), "alias_b",   signed_in(R200, R403, R404, R404));
    let n = t.fresh();
    t.post("/aliases/{id}", alias(aa), "alias_a", alias_form(n),   signed_in(R303, R403, R303, R303));
    let n = t.fresh();
    t.post("/aliases/{id}", alias(aa2), "alias_a2", alias_form(n), signed_in(R303, R403, R303, R404));
    let n = t.fresh();
    t.post("/aliases/{id}", alias(ab), "alias_b", alias_form(n),   signed_in(R303, R403, R404, R404));

    t.get("/mailboxes/{id}/forward", forward(ma), "mailbox_a",   signed_in(R200, R403, R200, R200));
    t.get("/mailboxes/{id}/forward", forward(ma2), "mailbox_a2", signed_in(R200, R403, R200, R404));
    t.get("/mailboxes/{id}/forward", forward(mb), "mailbox_b",   signed_in(R200, R403, R404, R404));
    let n = t.fresh();
    t.post("/mailboxes/{id}/forward", forward(ma), "mailbox_a", forward_form(n),   signed_in(R303, R403, R303, R303));
    let n = t.fresh();
    t.post("/mailboxes/{id}/forward", forward(ma2), "mailbox_a2", forward_form(n), signed_in(R303, R403, R303, R404));
    let n = t.fresh();
    t.post("/mailboxes/{id}/forward", forward(mb), "mailbox_b", forward_form(n),   signed_in(R303, R403, R404, R404));

    t.get("/aliases/{id}/delete", alias(aa) + "/delete", "alias_a",   signed_in(R200, R403, R200, R200));
    t.get("/aliases/{id}/delete", alias(aa2) + "/delete", "alias_a2", signed_in(R200, R403, R200, R404));
    t.get("/aliases/{id}/delete", alias(ab) + "/delete", "alias_b",   signed_in(R200, R403, R404, R404));
    t.post("/aliases/{id}/delete", alias(aa) + "/delete", "alias_a", vec![],   signed_in(R303, R403, R303, R303));
    t.post("/aliases/{id}/delete", alias(aa2) + "/delete", "alias_a2", vec![], signed_in(R303, R403, R303, R404));
    t.post("/aliases/{id}/delete", alias(ab) + "/delete", "alias_b", vec![],   signed_in(R303, R403, R404, R404));
}
