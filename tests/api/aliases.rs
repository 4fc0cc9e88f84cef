//! Aliases, catch-alls, forwards and quotas in the dashboard: created through the forms,
//! validated with the input kept, listed (paged and searched), audited, shown in the look-up,
//! and carried along when the domain is renamed.
use crate::db_tests;
use crate::helpers::*;
use mailadmin::domain::{AliasName, Targets};
use mailadmin::services::access::admins;
use mailadmin::services::hierarchy::forwarding;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;

db_tests! {
    async fn a_domain_admin_creates_edits_and_deletes_an_alias(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let client = app.signed_in("dom-a").await;
        let new = format!("/domains/{}/aliases/new", f.domain_a);
        let created = client.post(&new, &[("local_part", "Sales"), ("targets", "anna@alpha.example,\n partner@elsewhere.example")]).await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
        let list = client.get(&created.location.unwrap()).await;
        assert_eq!(list.text(".flash-success"), "Alias sales@alpha.example created.");
        assert_eq!(list.text("#alias-total"), "1 alias.");
        assert_eq!(list.text("tbody td.wrap"), "anna@alpha.example, partner@elsewhere.example");
        let id: i32 = list.attrs("tbody a", "href")[0].trim_start_matches("/aliases/").parse().unwrap();

        let saved = client.post(&format!("/aliases/{id}"), &[("targets", "anna@alpha.example")]).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER);
        let audit = app.signed_in("plat").await.get("/audit").await;
        assert!(audit.body.contains("sales@alpha.example"), "the alias's changes are in the audit log");

        let confirm = client.get(&format!("/aliases/{id}/delete")).await;
        assert_eq!(confirm.status, StatusCode::OK);
        assert!(confirm.body.contains("Delete the alias sales@alpha.example?"));
        let deleted = client.post(&format!("/aliases/{id}/delete"), &[]).await;
        assert_eq!(deleted.status, StatusCode::SEE_OTHER);
        assert_eq!(client.get(&format!("/aliases/{id}")).await.status, StatusCode::NOT_FOUND);
    }

    async fn a_bad_alias_is_refused_with_its_reason_and_the_input_kept(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let client = app.signed_in("comp-a").await;
        let new = format!("/domains/{}/aliases/new", f.domain_a);
        let refused = |local: &'static str, targets: &'static str| {
            let (client, new) = (&client, &new);
            async move {
                let page = client.post(new, &[("local_part", local), ("targets", targets)]).await;
                assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{local} → {targets}: {}", page.body);
                assert_eq!(page.attrs("input[name=local_part]", "value"), vec![local]);
                assert_eq!(page.text("textarea[name=targets]"), targets);
                page.text(".has-error .error")
            }
        };
        assert_eq!(refused("info", "anna@alpha.example, not an address").await, "\"not\" is not an address: Enter a full address, e.g. anna@example.com.");
        assert_eq!(refused("info", "info@alpha.example").await, "info@alpha.example cannot deliver to itself.");
        assert_eq!(refused("anna", "x@elsewhere.example").await, "anna@alpha.example is a mailbox. To send its mail elsewhere, set a forward on the mailbox.");
        assert_eq!(refused("info", "nobody@alpha.example").await, "nobody@alpha.example is neither a mailbox nor an alias of alpha.example.");
        assert_eq!(refused("info", "").await, "Enter at least one address to deliver to.");
        assert_eq!(refused("a@b", "anna@alpha.example").await, "Enter only the part before the @ (the domain is set).");
        let many: &'static str = Box::leak((0..51).map(|i| format!("u{i}@elsewhere.example")).collect::<Vec<_>>().join(",").into_boxed_str());
        assert_eq!(refused("info", many).await, "At most 50 addresses; for more, use a mailing list.");

        // A circle through another alias is refused; a chain is fine.
        assert_eq!(client.post(&new, &[("local_part", "one"), ("targets", "anna@alpha.example")]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(client.post(&new, &[("local_part", "two"), ("targets", "one@alpha.example")]).await.status, StatusCode::SEE_OTHER);
        let system = admins::system_actor("test");
        let one = forwarding::get_for(&app.db, &system, alias_id(&app, "one@alpha.example").await, mailadmin::authz::Action::View).await.unwrap();
        let circle = client.post(&format!("/aliases/{}", one.id), &[("targets", "two@alpha.example")]).await;
        assert_eq!(circle.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(circle.text(".has-error .error"), "two@alpha.example delivers back to one@alpha.example: mail would go round in a circle.");

        // One catch-all per domain; a mailbox cannot take an alias's address.
        assert_eq!(client.post(&new, &[("local_part", "*"), ("targets", "anna@alpha.example")]).await.status, StatusCode::SEE_OTHER);
        assert_eq!(refused("*", "anna@alpha.example").await, "This domain has a catch-all already; edit it instead.");
        let mailbox = client
            .post(&format!("/domains/{}/mailboxes/new", f.domain_a), &[("local_part", "one"), ("display_name", ""), ("password", "a-long-password"), ("confirm", "a-long-password")])
            .await;
        assert_eq!(mailbox.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(mailbox.text(".has-error .error"), "An alias has this address; delete the alias first.");
    }

    async fn the_alias_list_pages_and_searches(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let system = admins::system_actor("test");
        for i in 0..57 {
            let name = AliasName::parse(&format!("list{i:02}")).unwrap();
            forwarding::create(&app.db, &system, f.domain_a, name, Targets::parse("anna@alpha.example").unwrap()).await.unwrap();
        }
        forwarding::create(&app.db, &system, f.domain_a, AliasName::CatchAll, Targets::parse("anna@alpha.example").unwrap()).await.unwrap();
        let client = app.signed_in("dom-a").await;
        let first = client.get(&format!("/domains/{}/aliases", f.domain_a)).await;
        assert_eq!(first.text("#alias-total"), "58 aliases.");
        let rows = first.texts("tbody tr td:first-child");
        assert_eq!(rows.len(), 50);
        assert_eq!(rows[0], "Catch-all (any other address@alpha.example)", "the catch-all comes first");
        let next = first.attrs("a[rel=next]", "href");
        let second = client.get(&next[0]).await;
        let rows2 = second.texts("tbody tr td:first-child");
        assert_eq!(rows2.len(), 8);
        assert_eq!(rows2.last().unwrap(), "list56@alpha.example");
        let back = client.get(&second.attrs("a[rel=prev]", "href")[0]).await;
        assert_eq!(back.texts("tbody tr td:first-child"), rows);
        let found = client.get(&format!("/domains/{}/aliases?q=list4", f.domain_a)).await;
        assert_eq!(found.text("#alias-total"), "10 aliases matching \"list4\".");
        // Other companies' admins do not see them.
        assert_eq!(app.signed_in("comp-b").await.get(&format!("/domains/{}/aliases", f.domain_a)).await.status, StatusCode::NOT_FOUND);
    }

    async fn a_forward_is_set_shown_and_checked(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let client = app.signed_in("dom-a").await;
        let path = format!("/mailboxes/{}/forward", f.mailbox_a);
        let to_self = client.post(&path, &[("targets", "anna@alpha.example")]).await;
        assert_eq!(to_self.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(to_self.text(".has-error .error"), "anna@alpha.example cannot deliver to itself. To deliver here as well, tick \u{201c}Keep a copy\u{201d}.");
        let saved = client.post(&path, &[("targets", "anna@home.example"), ("keep_copy", "1")]).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER);
        let edit = client.get(&format!("/mailboxes/{}", f.mailbox_a)).await;
        assert_eq!(edit.text(".flash-success"), "Forward saved.");
        assert_eq!(edit.text("#mailbox-forward"), "Forwards to anna@home.example and keeps a copy");
        let desk = app.signed_in("support").await.get("/lookup?q=anna%40alpha").await;
        assert!(desk.body.contains("Forwards to anna@home.example, and keeps a copy."), "{}", desk.body);
        let removed = client.post(&path, &[("targets", "")]).await;
        assert_eq!(removed.status, StatusCode::SEE_OTHER);
        assert_eq!(client.get(&format!("/mailboxes/{}", f.mailbox_a)).await.text("#mailbox-forward"), "Not forwarded");
    }

    async fn quota_and_usage_show_on_edit_mailbox_and_in_the_list(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let client = app.signed_in("comp-a").await;
        let path = format!("/mailboxes/{}", f.mailbox_a);
        let bad = client.post(&path, &[("display_name", "Anna"), ("quota_mb", "lots"), ("svc_send_mail", "on")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.attrs("input[name=quota_mb]", "value"), vec!["lots"]);
        assert_eq!(bad.attrs("input[name=display_name]", "value"), vec!["Anna"]);
        let all_on = [("display_name", "Anna"), ("quota_mb", "1"), ("svc_send_mail", "on"), ("svc_receive_mail", "on"), ("svc_imap", "on"), ("svc_pop3", "on"), ("svc_webmail_login", "on"), ("svc_webmail_send", "on")];
        assert_eq!(client.post(&path, &all_on).await.status, StatusCode::SEE_OTHER);
        let edit = client.get(&path).await;
        assert_eq!(edit.attrs("input[name=quota_mb]", "value"), vec!["1"]);
        assert_eq!(edit.text("#mailbox-usage"), "not reported yet (Dovecot reports it after the first delivery)");
        // What Dovecot's quota_clone writes after a delivery (the real thing: mail_delivery.rs).
        app.db.execute_unprepared("INSERT INTO mailbox_quota_usage (address, bytes, messages) VALUES ('anna@alpha.example', 1048576, 3)").await.unwrap();
        assert_eq!(client.get(&path).await.text("#mailbox-usage"), "1.0 MB of 1 MB (100 %) in 3 messages");
        let list = client.get(&format!("/domains/{}", f.domain_a)).await;
        assert!(list.texts("tbody td.status-disabled").contains(&"1.0 MB of 1 MB (100 %)".to_owned()), "{}", list.body);
    }

    async fn renaming_a_domain_readdresses_its_aliases_and_an_inactive_domain_says_so(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let system = admins::system_actor("test");
        forwarding::create(&app.db, &system, f.domain_a, AliasName::parse("sales").unwrap(), Targets::parse("anna@alpha.example").unwrap()).await.unwrap();
        forwarding::create(&app.db, &system, f.domain_a, AliasName::CatchAll, Targets::parse("anna@alpha.example").unwrap()).await.unwrap();
        let client = app.signed_in("comp-a").await;
        let saved = client.post(&format!("/domains/{}/edit", f.domain_a), &[("name", "renamed.example")]).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER);
        let list = client.get(&format!("/domains/{}/aliases", f.domain_a)).await;
        assert_eq!(list.texts("tbody tr td:first-child"), ["Catch-all (any other address@renamed.example)", "sales@renamed.example"]);
        // Saved without Active ticked: the domain is inactive, and its page says so.
        let page = client.get(&format!("/domains/{}", f.domain_a)).await;
        assert!(page.text("#domain-inactive").starts_with("This domain is inactive"), "{}", page.body);
        let desk = app.signed_in("support").await.get("/lookup?q=anna%40renamed").await;
        assert!(desk.body.contains("No mail service at all: its domain is inactive."), "{}", desk.body);
    }
}

async fn alias_id(app: &TestApp, address: &str) -> i32 {
    let sql = format!("SELECT id FROM alias WHERE address = '{address}'");
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "id").unwrap()
}
