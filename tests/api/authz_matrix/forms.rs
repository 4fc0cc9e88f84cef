//! The forms the matrix POSTs, valid ones with fresh names, and the texts its pages must show.
use crate::helpers::{FIXTURE_PASSWORD, arf_report};

/// A form's fields, in order; names may repeat.
pub(super) type Form = Vec<(String, String)>;

pub(super) fn form(pairs: &[(&str, &str)]) -> Form {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

pub(super) fn company_form(n: u32) -> Vec<(String, String)> {
    // Status and allowance are the platform's: a company admin's values must be ignored.
    form(&[("name", &format!("Matrix Company {n}")), ("status", "suspended"), ("complaint_allowance", "77")])
}

pub(super) fn domain_form(n: u32) -> Vec<(String, String)> {
    form(&[("name", &format!("m{n}.matrix.example")), ("active", "1")])
}

pub(super) fn new_mailbox_form(n: u32) -> Vec<(String, String)> {
    form(&[
        ("local_part", &format!("matrix{n}")),
        ("display_name", &format!("Matrix {n}")),
        ("password", "matrix-password"),
        ("confirm", "matrix-password"),
    ])
}

pub(super) fn edit_mailbox_form(n: u32) -> Vec<(String, String)> {
    form(&[
        ("display_name", &format!("Matrix Edit {n}")),
        ("svc_send_mail", "on"),
        ("svc_receive_mail", "on"),
        ("svc_imap", "on"),
    ])
}

pub(super) fn mailbox_password_form(n: u32) -> Vec<(String, String)> {
    let password = format!("matrix-password-{n}");
    form(&[("password", &password), ("confirm", &password)])
}

/// Admin passwords are set to the fixture password, so every login keeps working.
pub(super) fn admin_password_form() -> Vec<(String, String)> {
    form(&[("password", FIXTURE_PASSWORD), ("confirm", FIXTURE_PASSWORD)])
}

/// One's own password: the current one first.
pub(super) fn own_password_form() -> Vec<(String, String)> {
    form(&[("current", FIXTURE_PASSWORD), ("password", FIXTURE_PASSWORD), ("confirm", FIXTURE_PASSWORD)])
}

pub(super) fn new_admin_form(
    n: u32,
    role: &str,
    company_id: Option<i32>,
    domain_ids: &[i32],
) -> Vec<(String, String)> {
    let mut fields = form(&[("login", &format!("matrix-{n}")), ("role", role)]);
    fields.push(("company_id".into(), company_id.map(|c| c.to_string()).unwrap_or_default()));
    fields.extend(domain_ids.iter().map(|d| ("domain_ids".to_owned(), d.to_string())));
    fields.extend(form(&[("password", "matrix-password"), ("confirm", "matrix-password")]));
    fields
}

pub(super) fn domain_ids_form(domain_ids: &[i32]) -> Vec<(String, String)> {
    domain_ids.iter().map(|d| ("domain_ids".to_owned(), d.to_string())).collect()
}

/// Ticks Send Mail and POP3, with a reason and evidence: valid whether or not they are suspended.
pub(super) fn suspend_form(n: u32) -> Vec<(String, String)> {
    form(&[
        ("suspend_send_mail", "on"),
        ("suspend_pop3", "on"),
        ("reason", "spam_complaints"),
        ("evidence", &format!("Matrix evidence {n}: 14 complaints in an hour")),
    ])
}

pub(super) fn educate_form(n: u32) -> Vec<(String, String)> {
    let password = format!("matrix-password-{n}");
    form(&[
        ("note", &format!("Matrix note {n}: explained the acceptable use policy")),
        ("new_password", &password),
        ("confirm", &password),
    ])
}

/// Technical contacts, so that adding one never gives a company another abuse contact.
pub(super) fn new_contact_form(n: u32) -> Vec<(String, String)> {
    form(&[
        ("kind", "technical"),
        ("name", &format!("Matrix Contact {n}")),
        ("email", &format!("tech{n}@matrix.example")),
    ])
}

/// An abuse contact stays one: changing the kind of the last would be refused.
pub(super) fn edit_contact_form(n: u32) -> Vec<(String, String)> {
    form(&[
        ("kind", "abuse"),
        ("name", &format!("Matrix Abuse {n}")),
        ("email", &format!("abuse{n}@matrix.example")),
    ])
}

/// A feedback report about a message `sender` sent, unique by `n` (Message-IDs and recipient),
/// so the intake never takes it for a copy of another.
pub(super) fn report(sender: &str, n: u32) -> String {
    arf_report(
        sender,
        &format!("rcpt{n}@matrix.example"),
        &format!("orig{n}@matrix.example"),
        &format!("report{n}@fbl.matrix.example"),
        "abuse",
    )
}

pub(super) fn paste_form(report: &str) -> Vec<(String, String)> {
    form(&[("report", report)])
}

/// Limits below the provider's defaults: a company or domain admin may set them.
pub(super) fn limits_form() -> Vec<(String, String)> {
    form(&[("limit_daily", "900"), ("limit_external_hourly", "90"), ("limit_internal_hourly", "")])
}

pub(super) fn company_limits_form() -> Vec<(String, String)> {
    let mut fields = limits_form();
    fields.extend(form(&[("breach", "defer"), ("probation", "on")]));
    fields
}

pub(super) fn token_form(n: u32) -> Vec<(String, String)> {
    form(&[("name", &format!("Matrix token {n}"))])
}

pub(super) fn alias_form(n: u32) -> Vec<(String, String)> {
    form(&[("local_part", &format!("alias{n}")), ("targets", &format!("someone{n}@elsewhere.example"))])
}

pub(super) fn forward_form(n: u32) -> Vec<(String, String)> {
    form(&[("targets", &format!("away{n}@elsewhere.example")), ("keep_copy", "1")])
}

pub(super) fn retention_form() -> Vec<(String, String)> {
    form(&[
        ("complaint_samples", "90"),
        ("quarantine", "90"),
        ("sent_notices", "365"),
        ("sign_ins", "365"),
        ("audit", ""),
    ])
}

pub(super) fn href(path: String) -> String {
    format!("href=\"{path}\"")
}

/// Every route with an `{id}`, with a valid form for the POSTs: asked with a missing and a
/// non-numeric id.
pub(super) fn id_routes(n: u32) -> Vec<(&'static str, &'static str, Form)> {
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
        ("get", "/domains/{id}/aliases", vec![]),
        ("get", "/domains/{id}/aliases/new", vec![]),
        ("post", "/domains/{id}/aliases/new", alias_form(n)),
        ("get", "/aliases/{id}", vec![]),
        ("post", "/aliases/{id}", alias_form(n)),
        ("get", "/aliases/{id}/delete", vec![]),
        ("post", "/aliases/{id}/delete", vec![]),
        ("get", "/mailboxes/{id}/forward", vec![]),
        ("post", "/mailboxes/{id}/forward", forward_form(n)),
        ("post", "/admins/{id}/domains", vec![]),
        ("post", "/admins/{id}/password", admin_password_form()),
        ("get", "/admins/{id}/delete", vec![]),
        ("post", "/admins/{id}/delete", vec![]),
        ("get", "/mailboxes/{id}/complaints", vec![]),
        ("get", "/companies/{id}/complaints", vec![]),
        ("get", "/complaints/quarantine/{id}", vec![]),
        ("get", "/complaints/{id}", vec![]),
        ("get", "/notices/{id}", vec![]),
        ("get", "/companies/{id}/notices", vec![]),
        ("get", "/companies/{id}/limits", vec![]),
        ("post", "/companies/{id}/limits", company_limits_form()),
        ("get", "/domains/{id}/limits", vec![]),
        ("post", "/domains/{id}/limits", limits_form()),
        ("get", "/mailboxes/{id}/limits", vec![]),
        ("post", "/mailboxes/{id}/limits", limits_form()),
        // `POST /tokens/{id}/revoke` is not here: support is refused before the token is looked
        // up (see the matrix).
    ]
}
