//! Every path the app links or redirects to; nothing else spells a URL. Templates call these
//! too (`{{ crate::web::urls::mailbox(row.id) }}`); askama passes arguments by reference, hence
//! [`PathId`], which takes an id however many references deep.

/// An id in a path: an `i32`, or a reference to one (askama passes template arguments by reference).
pub trait PathId {
    fn path_id(&self) -> i32;
}

impl PathId for i32 {
    fn path_id(&self) -> i32 {
        *self
    }
}

impl<T: PathId + ?Sized> PathId for &T {
    fn path_id(&self) -> i32 {
        (**self).path_id()
    }
}

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
/// Only paths on this site may be redirected to after sign-in: one leading `/`, then no second
/// `/` or `\` (browsers read `/\t/evil.example/` and `/\evil.example` as `//evil.example`), no
/// control characters or spaces anywhere (they also break the `Location` header), no scheme.
pub fn is_local_path(path: &str) -> bool {
    let mut chars = path.chars();
    chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !path.chars().any(|c| c.is_control() || c == '\\' || c.is_whitespace())
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
pub fn company(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/companies/{id}")
}
pub fn edit_company(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/companies/{id}/edit")
}
pub fn delete_company(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/companies/{id}/delete")
}
pub fn new_domain(company_id: impl PathId) -> String {
    let company_id = company_id.path_id();
    format!("/companies/{company_id}/domains/new")
}
pub fn domain(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/domains/{id}")
}
pub fn edit_domain(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/domains/{id}/edit")
}
pub fn delete_domain(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/domains/{id}/delete")
}
pub fn mailbox(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/mailboxes/{id}")
}
pub fn delete_mailbox(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/mailboxes/{id}/delete")
}
pub fn admins() -> String {
    "/admins".into()
}
pub fn admin(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/admins/{id}")
}
pub fn delete_admin(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/admins/{id}/delete")
}
pub fn account_password() -> String {
    "/account/password".into()
}
pub fn mailbox_status(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/mailboxes/{id}/status")
}
pub fn lift_and_delete(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/mailboxes/{id}/lift-and-delete")
}
pub fn suspended() -> String {
    "/suspended".into()
}
pub fn new_contact(company_id: impl PathId) -> String {
    let company_id = company_id.path_id();
    format!("/companies/{company_id}/contacts/new")
}
pub fn edit_contact(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/contacts/{id}/edit")
}
pub fn delete_contact(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/contacts/{id}/delete")
}
pub fn audit() -> String {
    "/audit".into()
}
pub fn audit_export() -> String {
    "/audit/export".into()
}
pub fn company_audit(company_id: impl PathId) -> String {
    let company_id = company_id.path_id();
    format!("/companies/{company_id}/audit")
}
pub fn company_audit_export(company_id: impl PathId) -> String {
    let company_id = company_id.path_id();
    format!("/companies/{company_id}/audit/export")
}
pub fn mailbox_complaints(mailbox_id: impl PathId) -> String {
    let mailbox_id = mailbox_id.path_id();
    format!("/mailboxes/{mailbox_id}/complaints")
}
pub fn company_complaints(company_id: impl PathId) -> String {
    let company_id = company_id.path_id();
    format!("/companies/{company_id}/complaints")
}
pub fn complaint(id: impl PathId) -> String {
    let id = id.path_id();
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
pub fn admin_domains(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/admins/{id}/domains")
}
pub fn admin_password(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/admins/{id}/password")
}
pub fn company_contacts(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/companies/{id}/edit#contacts")
}
pub fn domain_suspended(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/domains/{id}?suspended=1")
}
pub fn educate_mailbox(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/mailboxes/{id}/educate")
}
pub fn lift_mailbox(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/mailboxes/{id}/lift")
}
pub fn logout() -> String {
    "/logout".into()
}
pub fn mailbox_password(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/mailboxes/{id}/password")
}
pub fn new_admin() -> String {
    "/admins/new".into()
}
pub fn new_complaint() -> String {
    "/complaints/new".into()
}
pub fn new_mailbox(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/domains/{id}/mailboxes/new")
}
pub fn new_token() -> String {
    "/tokens/new".into()
}
pub fn notice(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/notices/{id}")
}
pub fn quarantined(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/complaints/quarantine/{id}")
}
pub fn revoke_token(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/tokens/{id}/revoke")
}
pub fn stylesheet() -> String {
    "/static/style.css".into()
}
pub fn suspended_in_company(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/suspended?company={id}")
}
pub fn token_row(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/tokens#token-{id}")
}
pub fn company_notices(company_id: impl PathId) -> String {
    let company_id = company_id.path_id();
    format!("/companies/{company_id}/notices")
}
pub fn company_limits(id: impl PathId) -> String {
    format!("/companies/{}/limits", id.path_id())
}
pub fn domain_limits(id: impl PathId) -> String {
    format!("/domains/{}/limits", id.path_id())
}
pub fn mailbox_limits(id: impl PathId) -> String {
    format!("/mailboxes/{}/limits", id.path_id())
}

pub fn mailbox_forward(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/mailboxes/{id}/forward")
}

pub fn aliases(domain_id: impl PathId) -> String {
    let id = domain_id.path_id();
    format!("/domains/{id}/aliases")
}

pub fn new_alias(domain_id: impl PathId) -> String {
    let id = domain_id.path_id();
    format!("/domains/{id}/aliases/new")
}

pub fn alias(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/aliases/{id}")
}

pub fn delete_alias(id: impl PathId) -> String {
    let id = id.path_id();
    format!("/aliases/{id}/delete")
}

pub fn retention() -> String {
    "/settings/retention".to_owned()
}

pub fn retention_prune() -> String {
    "/settings/retention/prune".to_owned()
}

#[cfg(test)]
mod tests {
    use super::is_local_path;

    #[test]
    fn only_paths_of_this_site_are_local() {
        for ok in ["/", "/companies", "/lookup?q=anna%40alpha", "/domains/1?after=5"] {
            assert!(is_local_path(ok), "{ok}");
        }
        for bad in [
            "//evil.example/",
            "/\t/evil.example/",
            "/\\evil.example",
            "/\\\\evil",
            "https://evil.example",
            "evil.example",
            "",
            "/x\r\nSet-Cookie: a=b",
            "/ /evil",
            "/\u{0}x",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }
}
