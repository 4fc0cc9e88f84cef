//! Admin users: the list, new admins, their pages, domains, passwords and delete pages.
use super::*;

/// Admin users.
#[rustfmt::skip]
pub(super) fn cells(t: &mut Table, fx: &Fixture) {
    use Who::{CompanyA, Platform, Support};
    let (a, b) = (fx.company_a, fx.company_b);
    let (da, da2, db) = (fx.domain_a, fx.domain_a2, fx.domain_b);
    let all_admins = [
        fx.admin_platform,
        fx.admin_support,
        fx.admin_company_a,
        fx.admin_domain_a,
        fx.admin_company_b,
        fx.admin_domain_b,
    ];
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

    // One's own password goes through My password (it asks for the current one): 409 here.
    let set_password = |id: i32| format!("/admins/{id}/password");
    t.post("/admins/{id}/password", set_password(ap), "admin plat", admin_password_form(),     signed_in(R409, R403, R404, R404));
    t.post("/admins/{id}/password", set_password(asu), "admin support", admin_password_form(), signed_in(R303, R409, R404, R404));
    t.post("/admins/{id}/password", set_password(aca), "admin comp-a", admin_password_form(),  signed_in(R303, R403, R409, R404));
    t.post("/admins/{id}/password", set_password(ada), "admin dom-a", admin_password_form(),   signed_in(R303, R403, R303, R409));
    t.post("/admins/{id}/password", set_password(acb), "admin comp-b", admin_password_form(),  signed_in(R303, R403, R404, R404));
    t.post("/admins/{id}/password", set_password(adb), "admin dom-b", admin_password_form(),   signed_in(R303, R403, R404, R404));

    let delete_admin = |id: i32| format!("/admins/{id}/delete");
    t.get("/admins/{id}/delete", delete_admin(ap), "admin plat",     signed_in(R200, R403, R404, R404));
    t.get("/admins/{id}/delete", delete_admin(asu), "admin support", signed_in(R200, R403, R404, R404));
    t.get("/admins/{id}/delete", delete_admin(aca), "admin comp-a",  signed_in(R200, R403, R403, R404));
    t.get("/admins/{id}/delete", delete_admin(ada), "admin dom-a",   signed_in(R200, R403, R200, R403));
    t.get("/admins/{id}/delete", delete_admin(acb), "admin comp-b",  signed_in(R200, R403, R404, R404));
    t.get("/admins/{id}/delete", delete_admin(adb), "admin dom-b",   signed_in(R200, R403, R404, R404));
}
