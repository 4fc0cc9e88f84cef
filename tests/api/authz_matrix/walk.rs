//! Walking the matrix as one caller, with a snapshot of the database around every cell.
use super::Expect::{Login, R200};
use super::seed::seed_extra;
use super::{Who, matrix};
use crate::helpers::*;
use mailadmin::entity::{
    abuse_contact, admin_domain, admin_user, api_token, company, complaint, domain, mailbox, notice,
    quarantine, suspension,
};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};
use std::fmt::Write as _;

/// The rows of every table the matrix touches, one string per table.
async fn snapshot(db: &DatabaseConnection) -> [(&'static str, String); 11] {
    let companies =
        company::Entity::find().order_by_asc(company::Column::Id).all(db).await.expect("companies");
    let domains = domain::Entity::find().order_by_asc(domain::Column::Id).all(db).await.expect("domains");
    let mailboxes =
        mailbox::Entity::find().order_by_asc(mailbox::Column::Id).all(db).await.expect("mailboxes");
    let admins =
        admin_user::Entity::find().order_by_asc(admin_user::Column::Id).all(db).await.expect("admins");
    let links = admin_domain::Entity::find()
        .order_by_asc(admin_domain::Column::AdminId)
        .order_by_asc(admin_domain::Column::DomainId)
        .all(db)
        .await
        .expect("admin domains");
    let contacts = abuse_contact::Entity::find()
        .order_by_asc(abuse_contact::Column::Id)
        .all(db)
        .await
        .expect("contacts");
    let suspensions =
        suspension::Entity::find().order_by_asc(suspension::Column::Id).all(db).await.expect("suspensions");
    let complaints =
        complaint::Entity::find().order_by_asc(complaint::Column::Id).all(db).await.expect("complaints");
    let quarantined =
        quarantine::Entity::find().order_by_asc(quarantine::Column::Id).all(db).await.expect("quarantine");
    let tokens =
        api_token::Entity::find().order_by_asc(api_token::Column::Id).all(db).await.expect("api tokens");
    let notices = notice::Entity::find().order_by_asc(notice::Column::Id).all(db).await.expect("notices");
    [
        ("company", format!("{companies:?}")),
        ("domain", format!("{domains:?}")),
        ("mailbox", format!("{mailboxes:?}")),
        ("admin_user", format!("{admins:?}")),
        ("admin_domain", format!("{links:?}")),
        ("abuse_contact", format!("{contacts:?}")),
        ("suspension", format!("{suspensions:?}")),
        ("complaint", format!("{complaints:?}")),
        ("quarantine", format!("{quarantined:?}")),
        ("api_token", format!("{tokens:?}")),
        ("notice", format!("{notices:?}")),
    ]
}

/// The page showing the object a path points at: `/domains/3/edit` → `/domains/3`; a contact
/// has no page of its own but its edit form: `/contacts/5/delete` → `/contacts/5/edit`.
fn object_page(path: &str) -> Option<String> {
    let mut parts = path.trim_start_matches('/').split('/');
    let (kind, id) = (parts.next()?, parts.next()?);
    let numeric = id.parse::<i32>().is_ok_and(|id| id != 999_999);
    if numeric && kind == "contacts" {
        return Some(format!("/contacts/{id}/edit"));
    }
    (numeric && ["companies", "domains", "mailboxes", "admins"].contains(&kind))
        .then(|| format!("/{kind}/{id}"))
}

struct Miss {
    cell: usize,
    got: String,
    problem: String,
}

/// Walks the matrix as `who` and fails with every wrong cell listed.
pub(super) async fn walk(app: TestApp, who: Who) {
    let fx = seed_fixture(&app.db).await;
    let x = seed_extra(&app.db, &fx).await;
    let cells = matrix(who, &fx, &x);
    let mut client = match who.login() {
        Some(login) => app.signed_in(login).await,
        // A session with a CSRF token, so that POSTs get past the CSRF check to the sign-in check.
        None => {
            let mut client = app.client();
            client.start_session().await;
            client
        }
    };
    let mut misses: Vec<Miss> = Vec::new();
    let mut before = snapshot(&app.db).await;
    for (i, cell) in cells.iter().enumerate() {
        let page = if cell.method == "get" {
            client.get(&cell.path).await
        } else {
            let fields: Vec<(&str, &str)> =
                cell.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            client.post(&cell.path, &fields).await
        };
        let status = page.status.as_u16();
        let got = match &page.location {
            Some(location) => format!("{status} {location}"),
            None => status.to_string(),
        };
        let mut problems = Vec::new();
        if status != cell.expect.status() {
            problems.push("wrong status".to_owned());
        } else if cell.expect == Login && !page.location.as_deref().unwrap_or("").starts_with("/login") {
            problems.push("not sent to /login".to_owned());
        }
        if status == 200 {
            for text in &cell.shown {
                if !page.body.contains(text.as_str()) {
                    problems.push(format!("page lacks {text}"));
                }
            }
            for text in &cell.hidden {
                if page.body.contains(text.as_str()) {
                    problems.push(format!("page shows {text}"));
                }
            }
        }
        let after = snapshot(&app.db).await;
        if !cell.may_change() {
            let changed: Vec<&str> = before
                .iter()
                .zip(&after)
                .filter(|(x, y)| x.1 != y.1)
                .map(|(x, _)| x.0)
                .filter(|table| !cell.writes.contains(table))
                .collect();
            if !changed.is_empty() {
                problems.push(format!("changed the database ({})", changed.join(", ")));
            }
        }
        before = after;
        if !problems.is_empty() {
            misses.push(Miss { cell: i, got, problem: problems.join("; ") });
        }
        // Keep the client's CSRF token in step with its session.
        if cell.method == "post" && cell.pattern == "/logout" {
            client.start_session().await;
        } else if cell.method == "post" && cell.pattern == "/login" && status == 303 {
            let page = client.get("/account/password").await;
            client.csrf =
                page.attrs("input[name=csrf_token]", "value").pop().expect("csrf token after sign-in");
        }
    }

    // Every object the caller was refused a change to, or could not even see, is still there.
    let plat = app.signed_in("plat").await;
    let deleted: Vec<String> = cells
        .iter()
        // `…/delete`, and `/mailboxes/{id}/lift-and-delete`.
        .filter(|c| c.may_change() && c.pattern.ends_with("delete"))
        .filter_map(|c| object_page(&c.path))
        .collect();
    let mut survivors: Vec<String> = cells
        .iter()
        .filter(|c| !c.may_change() && c.expect != R200)
        .filter_map(|c| object_page(&c.path))
        .filter(|p| !deleted.contains(p))
        .collect();
    survivors.sort();
    survivors.dedup();
    let mut lost = Vec::new();
    for path in &survivors {
        let status = plat.get(path).await.status.as_u16();
        if status != 200 {
            lost.push(format!("{path} answers {status} to plat"));
        }
    }
    if who == Who::CompanyA {
        // comp-a saved company A with status "suspended" and allowance 77: both are the platform's.
        let a =
            company::Entity::find_by_id(fx.company_a).one(&app.db).await.expect("query").expect("company A");
        if (a.status.as_str(), a.complaint_allowance) != ("active", 10) {
            lost.push(format!(
                "comp-a changed company A's policy: status {}, allowance {}",
                a.status, a.complaint_allowance
            ));
        }
    }

    if misses.is_empty() && lost.is_empty() {
        return;
    }
    let mut report = format!(
        "authorization matrix for {} on {:?}: {} of {} cells wrong\n",
        who.label(),
        app.backend,
        misses.len(),
        cells.len()
    );
    let _ = writeln!(
        report,
        "{:<9} {:<5} {:<32} {:<24} {:<10} {:<22} problem",
        "role", "verb", "path", "object", "expected", "got"
    );
    for miss in &misses {
        let cell = &cells[miss.cell];
        let _ = writeln!(
            report,
            "{:<9} {:<5} {:<32} {:<24} {:<10} {:<22} {}",
            who.label(),
            cell.method.to_uppercase(),
            cell.path,
            cell.object,
            cell.expect.label(),
            miss.got,
            miss.problem
        );
    }
    for line in &lost {
        let _ = writeln!(report, "after the walk: {line}");
    }
    panic!("{report}");
}
