//! Mailboxes: create, validate, Edit Mailbox and its Status line, passwords, deletion, the list.
use crate::db_tests;
use crate::helpers::*;
use mailadmin::services::demo::seed;
use reqwest::StatusCode;

db_tests! {
    async fn domain_admin_creates_a_mailbox_and_the_address_is_normalised(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let client = app.signed_in("dom-a").await;
        let page = client
            .post(
                &format!("/domains/{}/mailboxes/new", f.domain_a),
                &[("local_part", "Carla.Meyer"), ("display_name", "Carla Meyer"), ("password", "a-long-password"), ("confirm", "a-long-password")],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        let edit = client.get(&page.location.unwrap()).await;
        assert_eq!(edit.text(".flash-success"), "Mailbox carla.meyer@alpha.example created.");
        assert_eq!(edit.text("#mailbox-status"), "Active");
        assert!(edit.body.contains("carla.meyer@alpha.example"));
    }

    async fn a_bad_mailbox_form_keeps_the_input_but_not_the_password(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let client = app.signed_in("comp-a").await;
        let path = format!("/domains/{}/mailboxes/new", f.domain_a);
        let page = client
            .post(&path, &[("local_part", "bad name"), ("display_name", "Bad"), ("password", "short"), ("confirm", "short")])
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(page.attrs("input[name=local_part]", "value"), vec!["bad name"]);
        assert_eq!(page.attrs("input[name=display_name]", "value"), vec!["Bad"]);
        assert_eq!(page.attrs("input[name=password]", "value"), vec![""]);
        assert_eq!(page.texts(".has-error .error").len(), 2);

        let duplicate = client
            .post(&path, &[("local_part", "ANNA"), ("display_name", ""), ("password", "a-long-password"), ("confirm", "a-long-password")])
            .await;
        assert_eq!(duplicate.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(duplicate.text(".has-error .error"), "This address exists already.");
    }

    async fn racing_creates_of_one_address_give_one_mailbox(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let client = app.signed_in("plat").await;
        let path = format!("/domains/{}/mailboxes/new", f.domain_a);
        let fields = [("local_part", "race"), ("display_name", ""), ("password", "a-long-password"), ("confirm", "a-long-password")];
        let attempts = (0..6).map(|_| client.post(&path, &fields));
        let statuses: Vec<StatusCode> = futures_util::future::join_all(attempts).await.into_iter().map(|p| p.status).collect();
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::SEE_OTHER).count(), 1, "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == StatusCode::SEE_OTHER || *s == StatusCode::UNPROCESSABLE_ENTITY), "{statuses:?}");
    }

    async fn unticking_a_service_shows_some_services_disabled(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let client = app.signed_in("comp-a").await;
        let path = format!("/mailboxes/{}", f.mailbox_a);
        let all_but_pop3 = [
            ("display_name", "Anna S."), ("svc_send_mail", "on"), ("svc_receive_mail", "on"), ("svc_imap", "on"),
            ("svc_webmail_login", "on"), ("svc_webmail_send", "on"),
        ];
        let saved = client.post(&path, &all_but_pop3).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER);
        let page = client.get(&path).await;
        assert_eq!(page.text("#mailbox-status"), "Some Services Disabled");
        assert_eq!(page.attrs("#mailbox-status .status-disabled", "class").len(), 1);
        assert_eq!(page.attrs("input[name=svc_pop3]", "checked"), Vec::<String>::new());
        assert_eq!(page.attrs("input[name=display_name]", "value"), vec!["Anna S."]);
        let list = client.get(&format!("/domains/{}", f.domain_a)).await;
        assert_eq!(list.text("tbody .status"), "Some Services Disabled");
    }

    async fn a_mailbox_password_is_set_and_checked(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let client = app.signed_in("dom-a").await;
        let path = format!("/mailboxes/{}/password", f.mailbox_a);
        let mismatch = client.post(&path, &[("password", "a-long-password"), ("confirm", "another-password")]).await;
        assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(mismatch.text(".has-error .error"), "The two passwords differ.");
        let ok = client.post(&path, &[("password", "a-long-password"), ("confirm", "a-long-password")]).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER);
        use sea_orm::EntityTrait;
        let stored = mailadmin::entity::mailbox::Entity::find_by_id(f.mailbox_a).one(&app.db).await.unwrap().unwrap();
        assert!(stored.password_hash.starts_with("$argon2id$"));
        assert!(!stored.password_hash.contains("a-long-password"));
    }

    async fn deleting_a_mailbox_asks_first(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let client = app.signed_in("dom-a").await;
        let confirm = client.get(&format!("/mailboxes/{}/delete", f.mailbox_a)).await;
        assert_eq!(confirm.status, StatusCode::OK);
        assert_eq!(confirm.text(".question"), "Delete the mailbox anna@alpha.example?");
        let deleted = client.post(&format!("/mailboxes/{}/delete", f.mailbox_a), &[]).await;
        assert_eq!(deleted.status, StatusCode::SEE_OTHER);
        let list = client.get(&deleted.location.unwrap()).await;
        assert_eq!(list.text(".flash-success"), "Mailbox anna@alpha.example deleted.");
        assert_eq!(client.get(&format!("/mailboxes/{}", f.mailbox_a)).await.status, StatusCode::NOT_FOUND);
    }

    async fn the_mailbox_list_pages_by_keyset_both_ways_and_sorts(app: TestApp) {
        seed_fixture(&app.db).await;
        let options = seed::SeedOptions { companies: 1, domains_per_company: 1, mailboxes_per_domain: 120 };
        let report = seed::seed(&app.db, options, |_, _| {}).await.unwrap();
        let domain = report.domain_ids[0][0];
        let client = app.signed_in("plat").await;
        let mut seen = Vec::new();
        let mut path = format!("/domains/{domain}");
        let mut pages = Vec::new();
        loop {
            let page = client.get(&path).await;
            assert_eq!(page.status, StatusCode::OK);
            assert!(page.body.contains("120 mailboxes"));
            let rows = page.texts("table.mailboxes tbody td:first-child");
            seen.extend(rows.clone());
            pages.push(path.clone());
            match page.attrs("a[rel=next]", "href").pop() {
                Some(next) => path = next.replace("&amp;", "&"),
                None => break,
            }
        }
        assert_eq!(pages.len(), 3);
        assert_eq!(seen.len(), 120);
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, seen, "ascending by address, no row twice");
        // Back from the last page lands on the second page's rows.
        let last = client.get(&pages[2]).await;
        let prev = last.attrs("a[rel=prev]", "href").pop().expect("a previous link");
        let second = client.get(&prev).await;
        assert_eq!(second.texts("table.mailboxes tbody td:first-child"), seen[50..100].to_vec());
        // Display name, descending.
        let by_name = client.get(&format!("/domains/{domain}?sort=name&dir=desc")).await;
        let names = by_name.texts("table.mailboxes tbody td:nth-child(2)");
        let mut expected = names.clone();
        expected.sort_by(|a, b| b.cmp(a));
        assert_eq!(names, expected);
        // Search narrows the list and the count.
        let search = client.get(&format!("/domains/{domain}?q=anna.")).await;
        let rows = search.texts("table.mailboxes tbody td:first-child");
        assert!(!rows.is_empty() && rows.iter().all(|r| r.contains("anna.")), "{rows:?}");
        assert!(search.body.contains(&format!("{} mailboxes matching", rows.len())));
    }
}
