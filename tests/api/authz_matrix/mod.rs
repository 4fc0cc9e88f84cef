//! The authorization matrix: every route × every role × own and foreign objects.
//!
//! The expected answers are written by hand, from the rules, as one table with a column per
//! caller: `[anonymous, plat, support, comp-a, dom-a]`. Each caller walks the whole table on a
//! fresh app and database (so its destructive cells cannot disturb another caller), and for
//! every cell the test checks
//!
//! * the status (and, for "sign in first", that the redirect goes to `/login`);
//! * that the database is unchanged, unless the cell is a POST that is allowed to change it —
//!   so a handler that does the change and *then* refuses is caught too;
//! * for list pages, that links to objects outside the caller's scope are absent (and that the
//!   caller's own objects are listed, so the check is not vacuous).
//!
//! POSTs send valid forms with fresh names, so a handler that skipped its authorization check
//! would answer 303 and fail its cell. Destructive cells come last. At the end, the platform
//! admin checks that every object whose change was refused still exists.
//!
//! The fixture has no suspensions and no contacts: each run adds some first ([`seed_extra`]).
//! Suspensions block deletions, so the suspension cells come before every deletion and every
//! confirmation page, and whoever may lift a suspension lifts each one in their scope there.
//! It adds the complaint intake's objects too, through the services: a complaint about each
//! fixture mailbox and an unattributed one, a quarantined message, an API token, and an AUP
//! notice per company (from an extra mailbox passing its allowance, lifted again at once).
//!
//! `every_route_is_in_the_matrix` (no database) fails when a route exists that the matrix does
//! not cover for every caller.
//!
//! Here: the table's types, the order of the areas, the per-role tests and the coverage test.
//! The cells are in a file per area; `forms` builds the POSTed forms, `seed` adds the run's
//! objects to the fixture, and `walk` walks the table and reports the wrong cells.
use crate::db_tests;
use crate::helpers::*;
use mailadmin::web::routes::ROUTES;

mod admins;
mod aliases;
mod audit;
mod complaints;
mod forms;
mod hierarchy;
mod limits;
mod public;
mod seed;
mod suspensions;
mod walk;

use forms::*;
use seed::{Extra, fake_extra, fake_fixture};
use walk::walk;

/// The callers, in the order of the table's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Platform,
    Support,
    CompanyA,
    DomainA,
}

impl Who {
    const ALL: [Who; 5] = [Who::Anonymous, Who::Platform, Who::Support, Who::CompanyA, Who::DomainA];

    fn login(self) -> Option<&'static str> {
        match self {
            Who::Anonymous => None,
            Who::Platform => Some("plat"),
            Who::Support => Some("support"),
            Who::CompanyA => Some("comp-a"),
            Who::DomainA => Some("dom-a"),
        }
    }

    fn label(self) -> &'static str {
        self.login().unwrap_or("anonymous")
    }
}

/// The answer a cell expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// 200: the page.
    R200,
    /// 303: done (a POST that may change things), or a plain redirect.
    R303,
    /// 303 to `/login…`: sign in first.
    Login,
    /// 401: the JSON API takes a bearer token, never a session.
    R401,
    /// 403: visible, but the role may not do this.
    R403,
    /// 404: outside the caller's part of the hierarchy, or not there at all.
    R404,
    /// 409: allowed, but not possible in this state.
    R409,
    /// 422: the form is refused.
    R422,
}
use Expect::{Login, R200, R303, R401, R403, R404, R409, R422};

impl Expect {
    fn status(self) -> u16 {
        match self {
            R200 => 200,
            R303 | Login => 303,
            R401 => 401,
            R403 => 403,
            R404 => 404,
            R409 => 409,
            R422 => 422,
        }
    }

    fn label(self) -> &'static str {
        match self {
            R200 => "200",
            R303 => "303",
            Login => "303 /login",
            R401 => "401",
            R403 => "403",
            R404 => "404",
            R409 => "409",
            R422 => "422",
        }
    }
}

/// One expected answer per caller: `[anonymous, plat, support, comp-a, dom-a]`.
type Row = [Expect; 5];

/// An answer for every caller but the anonymous one, who is sent to sign in.
const fn signed_in(plat: Expect, support: Expect, comp_a: Expect, dom_a: Expect) -> Row {
    [Login, plat, support, comp_a, dom_a]
}

struct Cell {
    who: Who,
    /// As in [`ROUTES`]: `get` or `post`.
    method: &'static str,
    /// The route pattern, as in [`ROUTES`].
    pattern: &'static str,
    path: String,
    /// What the path points at, for the failure report.
    object: String,
    fields: Vec<(String, String)>,
    expect: Expect,
    /// Text that must appear in a 200 page (the caller's own objects).
    shown: Vec<String>,
    /// Text that must not appear in a 200 page (objects outside the caller's scope).
    hidden: Vec<String>,
    /// Tables this cell may change although it is no allowed POST answering 303: a token is
    /// shown on a 200, an unreadable paste is kept in quarantine on its 422.
    writes: Vec<&'static str>,
}

impl Cell {
    /// For caller `who` only: links the page must show and must not show.
    fn links(&mut self, who: Who, shown: &[String], hidden: &[String]) -> &mut Self {
        if self.who == who {
            self.shown.extend_from_slice(shown);
            self.hidden.extend_from_slice(hidden);
        }
        self
    }

    /// For caller `who` only: the tables the cell may change although it answers no 303.
    fn may_write(&mut self, who: Who, tables: &[&'static str]) -> &mut Self {
        if self.who == who {
            self.writes.extend_from_slice(tables);
        }
        self
    }

    /// Only an allowed POST may change the database (but see [`Cell::writes`]).
    fn may_change(&self) -> bool {
        self.method == "post" && self.expect == R303
    }
}

struct Table {
    who: Who,
    cells: Vec<Cell>,
    counter: u32,
}

impl Table {
    /// A number for fresh names, so uniqueness never refuses a form.
    fn fresh(&mut self) -> u32 {
        self.counter += 1;
        self.counter
    }

    fn cell(
        &mut self,
        method: &'static str,
        pattern: &'static str,
        path: String,
        object: &str,
        fields: Vec<(String, String)>,
        row: Row,
    ) -> &mut Cell {
        self.cells.push(Cell {
            who: self.who,
            method,
            pattern,
            path,
            object: object.to_owned(),
            fields,
            expect: row[self.who as usize],
            shown: Vec::new(),
            hidden: Vec::new(),
            writes: Vec::new(),
        });
        self.cells.last_mut().expect("just pushed")
    }

    fn get(&mut self, pattern: &'static str, path: String, object: &str, row: Row) -> &mut Cell {
        self.cell("get", pattern, path, object, Vec::new(), row)
    }

    fn post(
        &mut self,
        pattern: &'static str,
        path: String,
        object: &str,
        fields: Vec<(String, String)>,
        row: Row,
    ) -> &mut Cell {
        self.cell("post", pattern, path, object, fields, row)
    }
}

fn company(id: i32) -> String {
    format!("/companies/{id}")
}

fn domain(id: i32) -> String {
    format!("/domains/{id}")
}

fn mailbox(id: i32) -> String {
    format!("/mailboxes/{id}")
}

fn admin(id: i32) -> String {
    format!("/admins/{id}")
}

/// The whole matrix, as caller `who` walks it, in order: an area after another, each in its file.
fn matrix(who: Who, fx: &Fixture, x: &Extra) -> Vec<Cell> {
    let mut t = Table { who, cells: Vec::new(), counter: 0 };
    // Columns: [anonymous, plat, support, comp-a, dom-a]; signed_in(plat, support, comp-a, dom-a)
    // sends the anonymous caller to sign in.
    public::public_routes(&mut t);
    public::home(&mut t, fx);
    // Suspensions come before every deletion and confirmation page, which they block.
    suspensions::cells(&mut t, fx, x);
    hierarchy::companies(&mut t, fx);
    hierarchy::contacts(&mut t, fx, x);
    hierarchy::domains(&mut t, fx);
    hierarchy::mailboxes(&mut t, fx);
    admins::cells(&mut t, fx);
    audit::cells(&mut t, fx, x);
    complaints::cells(&mut t, fx, x);
    limits::cells(&mut t, fx);
    aliases::cells(&mut t, fx, x);

    // Ids that do not exist, and ids that are not numbers.
    let n = t.fresh();
    for (bad, object) in [("999999", "missing id"), ("abc", "non-numeric id")] {
        for (method, pattern, fields) in id_routes(n) {
            let path = pattern.replace("{id}", bad);
            t.cell(method, pattern, path, object, fields, signed_in(R404, R404, R404, R404));
        }
    }

    hierarchy::deletions(&mut t, fx);
    public::sign_out_and_in(&mut t);
    t.cells
}

db_tests! {
    async fn anonymous(app: TestApp) {
        walk(app, Who::Anonymous).await;
    }

    async fn platform_admin(app: TestApp) {
        walk(app, Who::Platform).await;
    }

    async fn support_desk(app: TestApp) {
        walk(app, Who::Support).await;
    }

    async fn company_admin(app: TestApp) {
        walk(app, Who::CompanyA).await;
    }

    async fn domain_admin(app: TestApp) {
        walk(app, Who::DomainA).await;
    }
}

/// Whether `path` (query string aside) is an instance of `pattern`.
fn matches_pattern(pattern: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    let (want, have): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), path.split('/').collect());
    want.len() == have.len()
        && want.iter().zip(&have).all(|(w, h)| {
            if *w == "{id}" {
                !h.is_empty() && (h.chars().all(|c| c.is_ascii_digit()) || *h == "abc")
            } else if *w == "{address}" {
                h.contains('@')
            } else {
                w == h
            }
        })
}

#[test]
fn every_route_is_in_the_matrix() {
    let (fx, x) = (fake_fixture(), fake_extra());
    let mut problems = Vec::new();
    for who in Who::ALL {
        let cells = matrix(who, &fx, &x);
        for (method, pattern) in ROUTES {
            if !cells.iter().any(|c| c.method == *method && c.pattern == *pattern) {
                problems.push(format!("{}: no cell for {} {pattern}", who.label(), method.to_uppercase()));
            }
        }
        for cell in &cells {
            if !ROUTES.contains(&(cell.method, cell.pattern)) {
                problems.push(format!("{}: {} {} is not a route", who.label(), cell.method, cell.pattern));
            }
            if !matches_pattern(cell.pattern, &cell.path) {
                problems.push(format!("{}: {} does not match {}", who.label(), cell.path, cell.pattern));
            }
        }
        for (method, pattern) in ROUTES.iter().filter(|(_, p)| p.contains("{id}")) {
            for bad in ["999999", "abc"] {
                let path = pattern.replace("{id}", bad);
                if !cells.iter().any(|c| c.method == *method && c.path == path) {
                    problems.push(format!("{}: no cell for {} {path}", who.label(), method.to_uppercase()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "the authorization matrix is incomplete:\n{}", problems.join("\n"));
}
