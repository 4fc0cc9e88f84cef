//! The audit log pages and their CSV export.
use crate::db_tests;
use crate::helpers::*;
use chrono::{Duration, Utc};
use mailadmin::domain::DomainName;
use mailadmin::entity::audit_entry;
use mailadmin::services::{access::admins, hierarchy::domains};
use reqwest::StatusCode;
use scraper::Selector;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

/// One row of the log's table, as text.
#[derive(Debug, Clone)]
struct Row {
    id: i32,
    actor: String,
    addr: String,
    kind: String,
    label: String,
    object_id: String,
    action: String,
    before: String,
    after: String,
}

fn rows(page: &Page) -> Vec<Row> {
    let html = page.html();
    let row_sel = Selector::parse("table.audit tbody tr").unwrap();
    let text = |row: &scraper::ElementRef, selector: &str| {
        let sel = Selector::parse(selector).unwrap();
        row.select(&sel)
            .next()
            .map(|e| e.text().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    html.select(&row_sel)
        .map(|row| Row {
            id: row.value().attr("data-id").expect("data-id").parse().expect("numeric id"),
            actor: text(&row, "td.actor"),
            addr: text(&row, "td.addr"),
            kind: text(&row, "td.object .kind"),
            label: text(&row, "td.object .label"),
            object_id: text(&row, "td.object .object-id"),
            action: text(&row, "td.action"),
            before: text(&row, "td.change .before"),
            after: text(&row, "td.change .after"),
        })
        .collect()
}

/// The href of the pager link with this `rel`, if there is one.
fn pager_link(page: &Page, rel: &str) -> Option<String> {
    page.attrs(&format!(".pager a[rel={rel}]"), "href").pop()
}

async fn entry_count(db: &DatabaseConnection) -> u64 {
    audit_entry::Entity::find().count(db).await.unwrap()
}

/// Every entry as (id, action, object label), oldest first.
async fn all_entries(db: &DatabaseConnection) -> Vec<(i32, String, String)> {
    audit_entry::Entity::find()
        .order_by_asc(audit_entry::Column::Id)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.id, e.action, e.object_label))
        .collect()
}

/// The status and headers of a GET, and its body.
async fn fetch(client: &Client, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let response = client.http.get(format!("{}{path}", client.base)).send().await.expect("GET");
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.text().await.expect("body"))
}

/// `n` domains in company `company_id`, made by the system: `n` audit entries, cheaply.
async fn make_domains(db: &DatabaseConnection, company_id: i32, n: usize) {
    let system = admins::system_actor("fixture");
    for i in 0..n {
        let name = DomainName::parse(&format!("page-{i}.example")).unwrap();
        domains::create(db, &system, company_id, name).await.unwrap();
    }
}

db_tests! {
    async fn changes_and_sign_ins_made_through_the_ui_appear_in_the_log(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let mut stranger = app.client();
        let failed = stranger.sign_in("Nobody", "guessed-secret-123").await;
        assert_eq!(failed.status, StatusCode::UNPROCESSABLE_ENTITY);
        let plat = app.signed_in("plat").await;
        let created = plat
            .post("/companies/new", &[("name", "Gamma Corp"), ("status", "active"), ("complaint_allowance", "12")])
            .await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
        let gamma: i32 = created.location.unwrap().rsplit('/').next().unwrap().parse().unwrap();
        let comp_a = app.signed_in("comp-a").await;
        let edit = [
            ("display_name", "Anna S."), ("svc_send_mail", "on"), ("svc_receive_mail", "on"), ("svc_imap", "on"),
            ("svc_pop3", "on"), ("svc_webmail_login", "on"), ("svc_webmail_send", "on"),
        ];
        let saved = comp_a.post(&format!("/mailboxes/{}", f.mailbox_a), &edit).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);

        let page = plat.get("/audit").await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.text("h1"), "Audit log");
        let rows = rows(&page);
        let total = entry_count(&app.db).await as usize;
        assert_eq!(rows.len(), total, "fewer than a page: all entries shown");
        assert!(page.text("#count").starts_with(&format!("{total} entries")), "{}", page.text("#count"));
        assert!(rows.windows(2).all(|w| w[0].id > w[1].id), "newest first");

        // Newest first: comp-a's change, comp-a's sign-in, plat's company, plat's sign-in, the failure.
        let mailbox = &rows[0];
        assert_eq!(mailbox.actor, "comp-a (company)");
        assert_eq!(mailbox.addr, "127.0.0.1");
        assert_eq!((mailbox.kind.as_str(), mailbox.label.as_str()), ("mailbox", "anna@alpha.example"));
        assert_eq!(mailbox.object_id, format!("#{}", f.mailbox_a));
        assert_eq!(mailbox.action, "update");
        assert!(mailbox.before.contains(r#""display_name":"Test User""#), "{}", mailbox.before);
        assert!(mailbox.after.contains(r#""display_name":"Anna S.""#), "{}", mailbox.after);

        let sign_in = &rows[1];
        assert_eq!(sign_in.actor, "comp-a (company)");
        assert_eq!((sign_in.kind.as_str(), sign_in.label.as_str(), sign_in.action.as_str()), ("session", "comp-a", "sign_in"));

        let company = &rows[2];
        assert_eq!(company.actor, "plat (platform)");
        assert_eq!((company.kind.as_str(), company.label.as_str()), ("company", "Gamma Corp"));
        assert_eq!(company.object_id, format!("#{gamma}"));
        assert_eq!(company.action, "create");
        assert_eq!(company.before, "null");
        assert!(company.after.contains(r#""name":"Gamma Corp""#), "{}", company.after);
        assert!(company.after.contains(r#""complaint_allowance":12"#), "{}", company.after);
        // The JSON is text on the page: its quotes arrive escaped.
        assert!(!page.body.contains(r#""name":"Gamma Corp""#));

        assert_eq!((rows[3].actor.as_str(), rows[3].action.as_str()), ("plat (platform)", "sign_in"));

        let failure = &rows[4];
        assert_eq!(failure.actor, "nobody (anonymous)");
        assert_eq!(failure.addr, "127.0.0.1");
        assert_eq!((failure.kind.as_str(), failure.label.as_str()), ("session", "nobody"));
        assert_eq!(failure.action, "sign_in_failed");
        assert!(!page.body.contains("guessed-secret-123"), "the password is never shown");
        let csv = plat.get("/audit/export").await;
        assert!(csv.body.contains("sign_in_failed") && !csv.body.contains("guessed-secret-123"));

        // Below them, the fixture's own entries, made by the system.
        let fixture_rows: Vec<&Row> = rows.iter().filter(|r| r.actor == "fixture (platform)").collect();
        assert_eq!(fixture_rows.len(), total - 5);
        assert!(fixture_rows.iter().all(|r| r.addr == "local" && r.action == "create"));
    }

    async fn each_role_reads_only_the_logs_it_may(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let (own, foreign) = (format!("/companies/{}/audit", f.company_a), format!("/companies/{}/audit", f.company_b));

        let comp_a = app.signed_in("comp-a").await;
        let page = comp_a.get(&own).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.text("h1"), "Audit log: Alpha Mail");
        let labels: Vec<String> = rows(&page).into_iter().map(|r| r.label).collect();
        for expected in ["Alpha Mail", "alpha.example", "alpha2.example", "anna@alpha.example", "otto@alpha2.example", "comp-a", "dom-a"] {
            assert!(labels.iter().any(|l| l == expected), "{expected} missing from {labels:?}");
        }
        for foreign_label in ["Beta Hosting", "beta.example", "bert@beta.example", "comp-b", "dom-b", "plat", "support"] {
            assert!(!labels.iter().any(|l| l == foreign_label), "{foreign_label} in company A's log: {labels:?}");
        }
        assert_eq!(page.attrs("a#export", "href"), vec![format!("{own}/export")]);
        assert_eq!(comp_a.get(&foreign).await.status, StatusCode::NOT_FOUND);
        assert_eq!(comp_a.get(&format!("{foreign}/export")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(comp_a.get("/companies/999999/audit").await.status, StatusCode::NOT_FOUND);
        assert_eq!(comp_a.get("/audit").await.status, StatusCode::NOT_FOUND);
        assert_eq!(comp_a.get("/audit/export").await.status, StatusCode::NOT_FOUND);
        // A bad filter does not reveal a log the caller may not read.
        assert_eq!(comp_a.get("/audit?from=2026-13-45").await.status, StatusCode::NOT_FOUND);
        assert_eq!(comp_a.get(&format!("{foreign}?from=2026-13-45")).await.status, StatusCode::NOT_FOUND);

        // A domain admin cannot see the company page, so its log answers like a foreign one.
        let dom_a = app.signed_in("dom-a").await;
        for path in [own.clone(), format!("{own}/export"), foreign.clone(), "/audit".into(), "/audit/export".into()] {
            assert_eq!(dom_a.get(&path).await.status, StatusCode::NOT_FOUND, "dom-a on {path}");
        }
        assert_eq!(dom_a.get(&format!("{own}?from=2026-13-45")).await.status, StatusCode::NOT_FOUND);

        let support = app.signed_in("support").await;
        for path in ["/audit".to_owned(), own.clone(), foreign.clone()] {
            let page = support.get(&path).await;
            assert_eq!(page.status, StatusCode::OK, "support on {path}");
            assert!(!rows(&page).is_empty());
        }
        let beta = support.get(&foreign).await;
        assert!(rows(&beta).iter().any(|r| r.label == "Beta Hosting"));
        assert!(!rows(&beta).iter().any(|r| r.label == "Alpha Mail"));

        let anonymous = app.client();
        let page = anonymous.get("/audit").await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert!(page.location.unwrap().starts_with("/login"));
    }

    async fn filters_narrow_the_rows(app: TestApp) {
        seed_fixture(&app.db).await;
        let plat = app.signed_in("plat").await;
        let all = rows(&plat.get("/audit").await);
        assert_eq!(all.len(), entry_count(&app.db).await as usize);

        let domains = plat.get("/audit?kind=domain").await;
        let domain_rows = rows(&domains);
        assert_eq!(domain_rows.len(), 3);
        assert!(domain_rows.iter().all(|r| r.kind == "domain"));
        assert_eq!(domains.attrs("select[name=kind] option[selected]", "value"), vec!["domain"]);

        let sessions = rows(&plat.get("/audit?kind=session").await);
        assert_eq!(sessions.len(), 1);
        assert_eq!(sessions[0].actor, "plat (platform)");

        // The actor filter is a case-insensitive part of the login.
        let by_plat = rows(&plat.get("/audit?actor=LAT").await);
        assert_eq!(by_plat.len(), 1);
        assert!(by_plat.iter().all(|r| r.actor.starts_with("plat ")));
        let mailboxes_by_fixture = rows(&plat.get("/audit?kind=mailbox&actor=fixt").await);
        assert_eq!(mailboxes_by_fixture.len(), 3);
        assert!(mailboxes_by_fixture.iter().all(|r| r.kind == "mailbox" && r.actor == "fixture (platform)"));
        let nobody = plat.get("/audit?actor=nobody-at-all").await;
        assert_eq!(nobody.status, StatusCode::OK);
        assert!(rows(&nobody).is_empty());
        assert_eq!(nobody.text(".empty"), "No entries match these filters.");

        // Dates are whole UTC days, both ends included.
        let today = Utc::now().date_naive();
        let (yesterday, tomorrow) = (today - Duration::days(1), today + Duration::days(1));
        let around = rows(&plat.get(&format!("/audit?from={yesterday}&to={tomorrow}")).await);
        assert_eq!(around.len(), all.len());
        let both_today = rows(&plat.get(&format!("/audit?from={today}&to={today}")).await);
        let made_today = audit_entry::Entity::find().all(&app.db).await.unwrap();
        let made_today = made_today.iter().filter(|e| e.at.date_naive() == today).count();
        assert!(made_today > 0);
        assert_eq!(both_today.len(), made_today, "a day from and to is that whole day");
        assert!(rows(&plat.get(&format!("/audit?from={tomorrow}")).await).is_empty());
        assert_eq!(rows(&plat.get("/audit?from=0001-01-01&to=9999-12-31").await).len(), all.len(), "the widest dates");
        assert!(rows(&plat.get(&format!("/audit?to={yesterday}")).await).is_empty());
        let domains_today = rows(&plat.get(&format!("/audit?kind=domain&from={yesterday}&to={tomorrow}")).await);
        assert_eq!(domains_today.len(), 3);

        // The CSV link carries the filters.
        let filtered = plat.get("/audit?kind=domain&actor=fix").await;
        assert_eq!(filtered.attrs("a#export", "href"), vec!["/audit/export?kind=domain&actor=fix"]);

        // Bad input: 422, a message beside the field, the other filters kept.
        let bad = plat.get("/audit?kind=domain&actor=fix&from=2026-13-45").await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.text(".has-error label"), "From (UTC)");
        assert!(bad.text("#from-error").contains("YYYY-MM-DD"));
        assert_eq!(bad.attrs("input[name=from]", "value"), vec!["2026-13-45"]);
        assert_eq!(bad.attrs("input[name=actor]", "value"), vec!["fix"]);
        assert_eq!(bad.attrs("select[name=kind] option[selected]", "value"), vec!["domain"]);
        assert!(rows(&bad).is_empty());
        assert!(bad.attrs("a#export", "href").is_empty());

        let reversed = plat.get(&format!("/audit?from={tomorrow}&to={yesterday}")).await;
        assert_eq!(reversed.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reversed.text("#to-error").contains("before the start date"));
        assert_eq!(plat.get("/audit?kind=spaceship").await.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(plat.get("/audit?kind=spaceship").await.text("#kind-error").contains("object kind"));
        assert_eq!(plat.get("/audit?to=yesterday").await.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(plat.get("/audit?from=99999-01-01").await.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(plat.get("/audit?before=abc").await.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(plat.get(&format!("/audit?actor={}", "x".repeat(101))).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        let bad_export = plat.get("/audit/export?to=2026-02-30").await;
        assert_eq!(bad_export.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad_export.text("#to-error").contains("YYYY-MM-DD"));
        // Characters that mean something in SQL LIKE or HTML are just text.
        assert!(rows(&plat.get("/audit?actor=%25").await).is_empty());
        assert!(rows(&plat.get("/audit?actor=_").await).is_empty());
        assert_eq!(plat.get("/audit?actor=%3Cscript%3E").await.attrs("input[name=actor]", "value"), vec!["<script>"]);
    }

    async fn paging_goes_back_in_time_without_repeating_a_row(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        make_domains(&app.db, f.company_a, 60).await;
        let plat = app.signed_in("plat").await;
        let total = entry_count(&app.db).await as usize;
        assert!(total > 50 && total <= 100, "{total}");

        let first = plat.get("/audit").await;
        let first_rows = rows(&first);
        assert_eq!(first_rows.len(), 50);
        assert!(first.text("#count").starts_with("50 entries"));
        assert_eq!(pager_link(&first, "first"), None, "no Newest link on the newest page");
        assert_eq!(first.text(".pager a[rel=next]"), "Next (older) ›");
        let next = pager_link(&first, "next").expect("a next page");
        assert_eq!(next, format!("/audit?before={}", first_rows.last().unwrap().id));

        let second = plat.get(&next).await;
        assert_eq!(second.status, StatusCode::OK);
        let second_rows = rows(&second);
        assert_eq!(second_rows.len(), total - 50);
        assert_eq!(pager_link(&second, "next"), None, "the oldest page");
        assert_eq!(pager_link(&second, "first").as_deref(), Some("/audit"));
        assert_eq!(second.text(".pager a[rel=first]"), "« Newest");
        let mut ids: Vec<i32> = first_rows.iter().chain(&second_rows).map(|r| r.id).collect();
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first across pages, no row twice");
        ids.dedup();
        assert_eq!(ids.len(), total);

        // Filters travel with the page links.
        let first = plat.get("/audit?kind=domain&actor=fixture").await;
        assert_eq!(rows(&first).len(), 50);
        let next = pager_link(&first, "next").unwrap();
        assert!(next.starts_with("/audit?kind=domain&actor=fixture&before="), "{next}");
        let second = plat.get(&next).await;
        let older = rows(&second);
        assert_eq!(older.len(), 63 - 50);
        assert!(older.iter().all(|r| r.kind == "domain"));
        assert!(older[0].id < rows(&first).last().unwrap().id);
        assert_eq!(pager_link(&second, "first").as_deref(), Some("/audit?kind=domain&actor=fixture"));
        assert_eq!(second.attrs("a#export", "href"), vec!["/audit/export?kind=domain&actor=fixture"]);

        // The company log pages the same way, over its own entries only.
        let company_a_entries = audit_entry::Entity::find()
            .filter(audit_entry::Column::CompanyId.eq(f.company_a))
            .count(&app.db)
            .await
            .unwrap() as usize;
        let comp_a = app.signed_in("comp-a").await;
        let path = format!("/companies/{}/audit", f.company_a);
        let first = comp_a.get(&path).await;
        let next = pager_link(&first, "next").unwrap();
        assert!(next.starts_with(&format!("{path}?before=")));
        let second = comp_a.get(&next).await;
        assert_eq!(rows(&first).len() + rows(&second).len(), company_a_entries + 1, "and comp-a's sign-in");
        assert_eq!(pager_link(&second, "first"), Some(path));
        assert!(!rows(&second).iter().any(|r| r.label.contains("beta")));
    }

    async fn the_csv_export_holds_the_filtered_entries(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let plat = app.signed_in("plat").await;
        let (status, headers, body) = fetch(&plat, "/audit/export").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
        let disposition = headers["content-disposition"].to_str().unwrap();
        assert!(disposition.starts_with("attachment; filename=\"audit-") && disposition.ends_with(".csv\""), "{disposition}");
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines[0], "id,at,actor,role,client_address,company_id,object_kind,object_id,object,action,before,after");
        assert_eq!(lines.len() - 1, entry_count(&app.db).await as usize);
        assert!(lines[1].contains(",plat,platform,127.0.0.1,,session,"), "{}", lines[1]);

        let (status, _, body) = fetch(&plat, "/audit/export?kind=domain&actor=fix").await;
        assert_eq!(status, StatusCode::OK);
        let lines: Vec<&str> = body.lines().skip(1).collect();
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|l| l.contains(",fixture,platform,local,") && l.contains(",domain,")));
        assert!(lines[0].contains("beta.example"), "newest first: {lines:?}");
        // The JSON columns contain commas and quotes, so they are quoted.
        assert!(lines[0].ends_with(r#",create,null,"{""name"":""beta.example""}""#), "{}", lines[0]);

        let comp_a = app.signed_in("comp-a").await;
        let (status, headers, body) = fetch(&comp_a, &format!("/companies/{}/audit/export", f.company_a)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers["content-disposition"].to_str().unwrap().contains(&format!("audit-company-{}-", f.company_a)));
        let company_entries = audit_entry::Entity::find()
            .filter(audit_entry::Column::CompanyId.eq(f.company_a))
            .count(&app.db)
            .await
            .unwrap() as usize;
        assert_eq!(body.lines().count() - 1, company_entries);
        assert!(!body.contains("beta.example") && !body.contains("Beta Hosting"));
        let (status, _, _) = fetch(&comp_a, &format!("/companies/{}/audit/export", f.company_b)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let empty = fetch(&plat, "/audit/export?actor=nobody-at-all").await;
        assert_eq!(empty.0, StatusCode::OK);
        assert_eq!(empty.2.lines().count(), 1, "the header line only");
    }

    async fn the_database_refuses_to_change_history(app: TestApp) {
        seed_fixture(&app.db).await;
        let before = all_entries(&app.db).await;
        assert!(!before.is_empty());
        for sql in [
            "UPDATE audit_entry SET action = 'x'",
            "UPDATE audit_entry SET object_label = 'rewritten' WHERE id = 1",
            "DELETE FROM audit_entry",
            "DELETE FROM audit_entry WHERE id = 1",
        ] {
            let result = app.db.execute_unprepared(sql).await;
            let error = result.expect_err(sql);
            assert!(error.to_string().contains("append-only"), "{sql}: {error}");
        }
        assert_eq!(all_entries(&app.db).await, before);
    }

    async fn a_change_that_rolls_back_leaves_no_audit_row(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let plat = app.signed_in("plat").await;
        let before = all_entries(&app.db).await;
        let duplicate = plat
            .post("/companies/new", &[("name", "Alpha Mail"), ("status", "active"), ("complaint_allowance", "10")])
            .await;
        assert_eq!(duplicate.status, StatusCode::UNPROCESSABLE_ENTITY);
        let renamed = plat.post(&format!("/domains/{}/edit", f.domain_a), &[("name", "beta.example")]).await;
        assert_eq!(renamed.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(all_entries(&app.db).await, before);
        let creates = rows(&plat.get("/audit?kind=company").await);
        assert_eq!(creates.iter().filter(|r| r.label == "Alpha Mail").count(), 1, "the fixture's create only");
        assert!(rows(&plat.get("/audit?kind=domain").await).iter().all(|r| r.action == "create"));
    }
}
