//! Every path the app links or redirects to; nothing else spells a URL.
pub fn home() -> String {
    "/".into()
}
pub fn login() -> String {
    "/login".into()
}
/// The sign-in page, returning to `next` (a local path) afterwards.
pub fn login_with_next(next: &str) -> String {
    if next == "/" || !is_local_path(next) {
        return login();
    }
    format!("/login?{}", serde_urlencoded::to_string([("next", next)]).unwrap_or_default())
}
/// Only paths on this site may be redirected to after sign-in (no `//host`, no scheme).
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/') && !path.starts_with("//") && !path.contains('\\')
}
pub fn lookup() -> String {
    "/lookup".into()
}
pub fn companies() -> String {
    "/companies".into()
}
pub fn new_company() -> String {
    "/companies/new".into()
}
pub fn company(id: i32) -> String {
    format!("/companies/{id}")
}
pub fn edit_company(id: i32) -> String {
    format!("/companies/{id}/edit")
}
pub fn delete_company(id: i32) -> String {
    format!("/companies/{id}/delete")
}
pub fn new_domain(company_id: i32) -> String {
    format!("/companies/{company_id}/domains/new")
}
pub fn domain(id: i32) -> String {
    format!("/domains/{id}")
}
pub fn edit_domain(id: i32) -> String {
    format!("/domains/{id}/edit")
}
pub fn delete_domain(id: i32) -> String {
    format!("/domains/{id}/delete")
}
pub fn mailbox(id: i32) -> String {
    format!("/mailboxes/{id}")
}
pub fn delete_mailbox(id: i32) -> String {
    format!("/mailboxes/{id}/delete")
}
pub fn admins() -> String {
    "/admins".into()
}
pub fn admin(id: i32) -> String {
    format!("/admins/{id}")
}
pub fn delete_admin(id: i32) -> String {
    format!("/admins/{id}/delete")
}
pub fn account_password() -> String {
    "/account/password".into()
}
pub fn mailbox_status(id: i32) -> String {
    format!("/mailboxes/{id}/status")
}
pub fn lift_and_delete(id: i32) -> String {
    format!("/mailboxes/{id}/lift-and-delete")
}
pub fn suspended() -> String {
    "/suspended".into()
}
pub fn new_contact(company_id: i32) -> String {
    format!("/companies/{company_id}/contacts/new")
}
pub fn edit_contact(id: i32) -> String {
    format!("/contacts/{id}/edit")
}
pub fn delete_contact(id: i32) -> String {
    format!("/contacts/{id}/delete")
}
pub fn audit() -> String {
    "/audit".into()
}
pub fn audit_export() -> String {
    "/audit/export".into()
}
pub fn company_audit(company_id: i32) -> String {
    format!("/companies/{company_id}/audit")
}
pub fn company_audit_export(company_id: i32) -> String {
    format!("/companies/{company_id}/audit/export")
}
pub fn mailbox_complaints(mailbox_id: i32) -> String {
    format!("/mailboxes/{mailbox_id}/complaints")
}
pub fn company_complaints(company_id: i32) -> String {
    format!("/companies/{company_id}/complaints")
}
pub fn complaint(id: i32) -> String {
    format!("/complaints/{id}")
}
pub fn unattributed_complaints() -> String {
    "/complaints/unattributed".into()
}
pub fn quarantine() -> String {
    "/complaints/quarantine".into()
}
pub fn tokens() -> String {
    "/tokens".into()
}
pub fn notices() -> String {
    "/notices".into()
}
