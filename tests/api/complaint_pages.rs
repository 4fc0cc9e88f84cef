//! The complaint pages: pasting a report, a mailbox's and a company's complaints with the chart,
//! the unattributed list, the quarantine, API tokens end to end, and the notices.
use crate::db_tests;
use crate::helpers::*;
use mailadmin::entity::{complaint, notice, quarantine};
use mailadmin::intake::arf;
use mailadmin::services::complaints::intake::{self as complaints};
use mailadmin::services::complaints::outcome::Source;
use mailadmin::services::notices::outbox::NoticeSettings;
use reqwest::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};

/// An ARF fixture as text.
fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/arf/{name}", env!("CARGO_MANIFEST_DIR"));
    String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))).into_owned()
}

/// The RFC 5965 example report, about mail from `sender`, with a hostile sample body and the
/// given report Message-ID (so several pastes are distinct reports).
fn full_abuse(sender: &str, report_id: &str) -> String {
    fixture("full-abuse.eml")
        .replace("somespammer@Example.NET", sender)
        .replace("arf-full-0001@example.com", report_id)
        .replace("8787KJKJ3K4J3K4J3K4J3.mail@example.net", &format!("orig-{report_id}"))
        .replacen("Spam Spam Spam\r\n", "<script>alert(1)</script> & <b>bold</b>\r\n", 1)
}

async fn count<E: EntityTrait>(app: &TestApp, _: E) -> u64
where
    E::Model: Sync,
{
    E::find().count(&app.db).await.unwrap()
}

/// The id at the end of a `/complaints/{id}` redirect.
fn complaint_id(location: &Option<String>) -> i32 {
    let location = location.as_deref().expect("a redirect");
    location
        .strip_prefix("/complaints/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("{location}"))
}

async fn api_post(app: &TestApp, token: &str, json: &serde_json::Value) -> (StatusCode, serde_json::Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/complaints", app.address))
        .bearer_auth(token)
        .json(json)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

db_tests! {
    async fn a_pasted_report_is_stored_and_shown_with_its_sample_as_text(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let plat = app.signed_in("plat").await;
        let form = plat.get("/complaints/new").await;
        assert_eq!(form.status, StatusCode::OK);
        assert_eq!(form.attrs("form#paste-form textarea", "name"), vec!["report"]);

        let report = full_abuse("anna@alpha.example", "paste-1@fbl.example.com");
        let stored = plat.post("/complaints/new", &[("report", &report)]).await;
        assert_eq!(stored.status, StatusCode::SEE_OTHER, "{}", stored.body);
        let id = complaint_id(&stored.location);

        let page = plat.get(&format!("/complaints/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        let flash = page.text(".flash-success");
        assert!(flash.starts_with(&format!("Stored as complaint #{id} about anna@alpha.example.")), "{flash}");
        // The sample is text in a <pre>: its markup is escaped, never rendered.
        let sample = page.text("pre#sample");
        assert!(sample.contains("<script>alert(1)</script> & <b>bold</b>"), "{sample}");
        let escaped = ["&lt;script&gt;alert(1)&lt;/script&gt;", "&#60;script&#62;alert(1)&#60;/script&#62;"];
        assert!(escaped.iter().any(|e| page.body.contains(e)), "escaped in the HTML: {}", page.body);
        assert!(!page.body.contains("<script>alert(1)"), "never raw markup");
        assert!(!page.body.contains("<b>bold</b>"));
        assert!(page.text("#feedback-type").starts_with("abuse — counts"));

        // The mailbox's complaints page: the count in the window, the chart, the row.
        let list = plat.get(&format!("/mailboxes/{}/complaints", f.mailbox_a)).await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.text("#window-count").starts_with("1 counted complaint in the current window"), "{}", list.text("#window-count"));
        let rows = list.texts("table.complaints tbody tr");
        assert_eq!(rows.len(), 1);
        assert!(rows[0].contains("abuse counts"), "{}", rows[0]);
        assert!(rows[0].contains("user@example.com"), "the complaining recipient: {}", rows[0]);
        assert!(rows[0].contains("<orig-paste-1@fbl.example.com>"), "{}", rows[0]);
        assert!(rows[0].contains("manual"), "the source: {}", rows[0]);
        assert!(rows[0].contains("2005-03-08 18:00 UTC"), "the report's arrival date: {}", rows[0]);
        assert_eq!(list.attrs("table.complaints tbody a", "href"), vec![format!("/complaints/{id}")]);
        // The chart: server-rendered SVG, one bar per day over 30 days, today's of full height.
        assert_eq!(list.attrs("svg#complaints-chart", "role"), vec!["img"]);
        let counts = list.attrs("svg#complaints-chart rect.bar", "data-count");
        assert_eq!(counts.len(), 30);
        assert_eq!(counts.last().map(String::as_str), Some("1"), "today's bar is last");
        assert_eq!(counts.iter().filter(|c| *c == "0").count(), 29);
        let heights = list.attrs("svg#complaints-chart rect.bar", "height");
        assert_eq!(heights.iter().filter(|h| *h == "0").count(), 29, "empty days have no height");
        assert!(list.attrs("svg [style]", "style").is_empty(), "no inline style (CSP)");

        // The same report again is a duplicate, counted once.
        let again = plat.post("/complaints/new", &[("report", &report)]).await;
        assert_eq!(again.status, StatusCode::SEE_OTHER);
        assert_eq!(complaint_id(&again.location), id);
        let page = plat.get(&format!("/complaints/{id}")).await;
        assert!(page.text(".flash-success").contains("came in before"), "{}", page.text(".flash-success"));
        assert_eq!(count(&app, complaint::Entity).await, 1);

        // The company's page lists it with the sender, and has the chart too.
        let company = plat.get(&format!("/companies/{}/complaints", f.company_a)).await;
        assert_eq!(company.status, StatusCode::OK);
        assert_eq!(company.texts("table.complaints td.sender"), vec!["anna@alpha.example"]);
        assert_eq!(company.attrs("svg#complaints-chart rect.bar", "data-count").len(), 30);
        // The mailbox's Status page links to its complaints.
        let status = plat.get(&format!("/mailboxes/{}/status", f.mailbox_a)).await;
        assert_eq!(status.attrs("#complaints-link", "href"), vec![format!("/mailboxes/{}/complaints", f.mailbox_a)]);
        // The look-up shows the count in the window.
        let lookup = plat.get("/lookup?q=anna").await;
        assert_eq!(lookup.texts("table.lookup td.complaints-now"), vec!["1"]);
    }

    async fn company_admins_see_their_own_complaints_only(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let plat = app.signed_in("plat").await;
        let own = plat.post("/complaints/new", &[("report", &full_abuse("anna@alpha.example", "own@fbl.example.com"))]).await;
        let own_id = complaint_id(&own.location);
        let foreign = plat.post("/complaints/new", &[("report", &full_abuse("bert@beta.example", "foreign@fbl.example.com"))]).await;
        let foreign_id = complaint_id(&foreign.location);

        let comp_a = app.signed_in("comp-a").await;
        let page = comp_a.get(&format!("/mailboxes/{}/complaints", f.mailbox_a)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.attrs("table.complaints tbody a", "href"), vec![format!("/complaints/{own_id}")]);
        assert_eq!(comp_a.get(&format!("/complaints/{own_id}")).await.status, StatusCode::OK);
        let company = comp_a.get(&format!("/companies/{}/complaints", f.company_a)).await;
        assert_eq!(company.status, StatusCode::OK);
        assert_eq!(company.attrs("table.complaints tbody a", "href"), vec![format!("/complaints/{own_id}")]);
        // Another company's mailbox, company and complaint do not exist for them.
        assert_eq!(comp_a.get(&format!("/mailboxes/{}/complaints", f.mailbox_b)).await.status, StatusCode::NOT_FOUND);
        assert_eq!(comp_a.get(&format!("/companies/{}/complaints", f.company_b)).await.status, StatusCode::NOT_FOUND);
        assert_eq!(comp_a.get(&format!("/complaints/{foreign_id}")).await.status, StatusCode::NOT_FOUND);
        // Nor do the platform's pages.
        for path in ["/complaints/unattributed", "/complaints/quarantine", "/complaints/new", "/tokens", "/notices"] {
            assert_eq!(comp_a.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
        }
        // A domain admin sees their mailbox's complaints, not the company's.
        let dom_a = app.signed_in("dom-a").await;
        assert_eq!(dom_a.get(&format!("/mailboxes/{}/complaints", f.mailbox_a)).await.status, StatusCode::OK);
        assert_eq!(dom_a.get(&format!("/companies/{}/complaints", f.company_a)).await.status, StatusCode::NOT_FOUND);
    }

    async fn an_unreadable_paste_goes_to_quarantine(app: TestApp) {
        seed_fixture(&app.db).await;
        let plat = app.signed_in("plat").await;
        let raw = fixture("missing-feedback-type.eml").replace("x\r\n--nofb--", "<i>kept</i>\r\n--nofb--");
        let refused = plat.post("/complaints/new", &[("report", &raw)]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let problem = refused.text("#paste-problem");
        assert!(problem.contains("the feedback report has no Feedback-Type field"), "{problem}");
        // The pasted text is kept in the form (the browser normalises line ends to CRLF).
        let kept = refused.html().select(&scraper::Selector::parse("textarea#report").unwrap()).next().unwrap().text().collect::<String>();
        assert_eq!(kept.replace("\r\n", "\n"), raw.replace("\r\n", "\n"));
        assert_eq!(count(&app, complaint::Entity).await, 0);
        assert_eq!(count(&app, quarantine::Entity).await, 1);
        let link = refused.attrs("#paste-problem a", "href").pop().expect("a link to the quarantined message");

        let support = app.signed_in("support").await;
        let list = support.get("/complaints/quarantine").await;
        assert_eq!(list.status, StatusCode::OK);
        assert_eq!(list.texts("table.quarantine td.reason"), vec!["the feedback report has no Feedback-Type field"]);
        assert_eq!(list.attrs("table.quarantine tbody a", "href"), vec![link.clone()]);
        let shown = support.get(&link).await;
        assert_eq!(shown.status, StatusCode::OK);
        assert_eq!(shown.text("#size"), format!("{} bytes", raw.len()));
        assert!(shown.text("pre#raw").contains("<i>kept</i>"));
        assert!(!shown.body.contains("<i>kept</i>"), "escaped");

        // An empty paste is refused without keeping anything.
        let empty = plat.post("/complaints/new", &[("report", "  ")]).await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(count(&app, quarantine::Entity).await, 1);
    }

    async fn an_unattributed_complaint_is_listed_for_the_platform(app: TestApp) {
        seed_fixture(&app.db).await;
        let plat = app.signed_in("plat").await;
        let report = fixture("full-abuse.eml");
        let stored = plat.post("/complaints/new", &[("report", &report)]).await;
        assert_eq!(stored.status, StatusCode::SEE_OTHER, "{}", stored.body);
        let id = complaint_id(&stored.location);
        let page = plat.get(&format!("/complaints/{id}")).await;
        assert!(page.text(".flash-success").contains("unattributed"), "{}", page.text(".flash-success"));

        let support = app.signed_in("support").await;
        let list = support.get("/complaints/unattributed").await;
        assert_eq!(list.status, StatusCode::OK);
        assert_eq!(list.texts("table.complaints td.sender"), vec!["somespammer@example.net"]);
        assert_eq!(list.attrs("table.complaints tbody a", "href"), vec![format!("/complaints/{id}")]);
        assert_eq!(support.get(&format!("/complaints/{id}")).await.status, StatusCode::OK);
        let comp_a = app.signed_in("comp-a").await;
        assert_eq!(comp_a.get(&format!("/complaints/{id}")).await.status, StatusCode::NOT_FOUND);
    }

    async fn a_token_is_shown_once_works_and_stops_when_revoked(app: TestApp) {
        seed_fixture(&app.db).await;
        let plat = app.signed_in("plat").await;
        let refused = plat.post("/tokens/new", &[("name", " ")]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.text("#name-error").starts_with("Name the token"));

        let created = plat.post("/tokens/new", &[("name", "Yahoo <FBL>")]).await;
        assert_eq!(created.status, StatusCode::OK, "the token is on the answer, not behind a redirect");
        let token = created.text("pre#token");
        assert!(token.starts_with("mad_"), "{token}");
        assert!(created.text("#shown-once").contains("shown only this once"));
        let list = plat.get("/tokens").await;
        assert_eq!(list.texts("table.tokens td.name"), vec!["Yahoo <FBL>"]);
        assert!(!list.body.contains(&token), "never shown again");
        let row_id = list.attrs("table.tokens tbody tr", "id").pop().unwrap();
        let token_id = row_id.strip_prefix("token-").unwrap();

        let json = serde_json::json!({
            "sender": "anna@alpha.example",
            "recipient": "x@example.net",
            "original_message_id": "<m1@alpha.example>",
        });
        let (status, answer) = api_post(&app, &token, &json).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        assert_eq!(answer["attributed"], true);
        let (status, answer) = api_post(&app, &token, &json).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["status"], "duplicate");
        let list = plat.get("/tokens").await;
        assert_ne!(list.text(&format!("tr#{row_id} td:nth-child(4)")), "never", "last used is shown");

        let revoked = plat.post(&format!("/tokens/{token_id}/revoke"), &[]).await;
        assert_eq!(revoked.status, StatusCode::SEE_OTHER);
        assert_eq!(revoked.location.as_deref(), Some("/tokens"));
        let list = plat.get("/tokens").await;
        assert!(list.text(".flash-success").contains("revoked"));
        assert!(list.text(&format!("tr#{row_id} td.state")).starts_with("revoked"));
        assert!(list.attrs(&format!("tr#{row_id} form"), "action").is_empty(), "no second revoke button");
        let (status, _) = api_post(&app, &token, &serde_json::json!({"sender": "anna@alpha.example", "recipient": "y@example.net"})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(plat.post(&format!("/tokens/{token_id}/revoke"), &[]).await.status, StatusCode::CONFLICT);
    }

    async fn support_may_look_but_not_paste_or_make_tokens(app: TestApp) {
        seed_fixture(&app.db).await;
        let support = app.signed_in("support").await;
        assert_eq!(support.get("/complaints/new").await.status, StatusCode::FORBIDDEN);
        let report = full_abuse("anna@alpha.example", "support@fbl.example.com");
        assert_eq!(support.post("/complaints/new", &[("report", &report)]).await.status, StatusCode::FORBIDDEN);
        assert_eq!(support.post("/complaints/new", &[("report", "not a report")]).await.status, StatusCode::FORBIDDEN);
        assert_eq!(support.get("/tokens").await.status, StatusCode::FORBIDDEN);
        assert_eq!(support.post("/tokens/new", &[("name", "support's")]).await.status, StatusCode::FORBIDDEN);
        assert_eq!(count(&app, complaint::Entity).await, 0);
        assert_eq!(count(&app, quarantine::Entity).await, 0, "a refused paste keeps nothing");
        assert_eq!(count(&app, mailadmin::entity::api_token::Entity).await, 0);
        for path in ["/complaints/unattributed", "/complaints/quarantine", "/notices"] {
            assert_eq!(support.get(path).await.status, StatusCode::OK, "{path}");
        }
        let plat = app.signed_in("plat").await;
        let created = plat.post("/tokens/new", &[("name", "feed")]).await;
        assert_eq!(created.status, StatusCode::OK);
        let id = plat.get("/tokens").await.attrs("table.tokens tbody tr", "id").pop().unwrap();
        let id = id.strip_prefix("token-").unwrap();
        assert_eq!(support.post(&format!("/tokens/{id}/revoke"), &[]).await.status, StatusCode::FORBIDDEN);
        // The navigation follows the roles.
        let nav = |page: &Page| page.texts("header nav a");
        let plat_nav = nav(&plat.get("/").await);
        assert!(["Complaints", "Notices", "API tokens"].iter().all(|l| plat_nav.iter().any(|n| n == l)), "{plat_nav:?}");
        let support_nav = nav(&support.get("/").await);
        assert!(!support_nav.iter().any(|n| n == "API tokens"), "{support_nav:?}");
    }

    async fn the_notice_of_a_suspension_is_listed_with_its_samples(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let settings = NoticeSettings { platform_address: "abuse-desk@platform.test".into(), public_url: "http://admin.test".into() };
        for n in 1..=11 {
            let raw = arf_report("anna@alpha.example", &format!("r{n}@example.net"), &format!("m{n}@alpha.example"), &format!("rep{n}@fbl.example.net"), "abuse");
            let report = arf::parse(raw.as_bytes(), 1 << 20).unwrap();
            complaints::store(&app.db, &settings, &report, Source::Api).await.unwrap();
        }
        assert_eq!(count(&app, notice::Entity).await, 1, "the 11th complaint suspends");

        let support = app.signed_in("support").await;
        let list = support.get("/notices").await;
        assert_eq!(list.status, StatusCode::OK);
        let rows = list.texts("table.notices tbody tr");
        assert_eq!(rows.len(), 1);
        assert!(rows[0].contains("queued") && rows[0].contains("abuse-desk@platform.test"), "{}", rows[0]);
        assert!(rows[0].contains("AUP Notice: sending suspended for anna@alpha.example"), "{}", rows[0]);
        let link = list.attrs("table.notices td.num a", "href").pop().unwrap();
        let shown = support.get(&link).await;
        assert_eq!(shown.status, StatusCode::OK);
        assert!(shown.text("pre#notice-body").contains("soft-suspended"));
        assert_eq!(shown.attrs("ul.samples a", "href").len(), 3);

        // The company's admin may read their notice and its samples, not the list.
        let comp_a = app.signed_in("comp-a").await;
        let theirs = comp_a.get(&link).await;
        assert_eq!(theirs.status, StatusCode::OK);
        for sample in theirs.attrs("ul.samples a", "href") {
            assert_eq!(comp_a.get(&sample).await.status, StatusCode::OK, "{sample}");
        }
        assert_eq!(comp_a.get("/notices").await.status, StatusCode::NOT_FOUND);
        let comp_b = app.signed_in("comp-b").await;
        assert_eq!(comp_b.get(&link).await.status, StatusCode::NOT_FOUND);

        // The Status page links from the evidence to the complaints; the look-up counts them.
        let status = comp_a.get(&format!("/mailboxes/{}/status", f.mailbox_a)).await;
        let links = status.attrs("td.evidence a", "href");
        assert!(!links.is_empty(), "{}", status.body);
        assert!(links.iter().all(|l| *l == format!("/mailboxes/{}/complaints", f.mailbox_a)), "{links:?}");
        let lookup = support.get("/lookup?q=anna").await;
        assert_eq!(lookup.texts("table.lookup td.complaints-now"), vec!["11"]);
        let page = comp_a.get(&format!("/mailboxes/{}/complaints", f.mailbox_a)).await;
        assert!(page.text("#window-count").starts_with("11 counted complaints"));
        let counts = page.attrs("svg#complaints-chart rect.bar", "data-count");
        assert_eq!(counts.last().map(String::as_str), Some("11"));
        let heights = page.attrs("svg#complaints-chart rect.bar", "height");
        let full: f64 = heights.last().unwrap().parse().unwrap();
        assert!(full > 100.0, "the busiest day fills the plot: {heights:?}");
    }
}
