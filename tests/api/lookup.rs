//! The support look-up: substrings, scope, status, and its limits.
use crate::db_tests;
use crate::helpers::*;
use mailadmin::domain::Service;
use mailadmin::entity::mailbox;
use reqwest::StatusCode;
use sea_orm::EntityTrait;

db_tests! {
    async fn the_look_up_finds_exactly_the_addresses_that_contain_the_query(app: TestApp) {
        use mailadmin::domain::{DisplayName, LocalPart};
        use mailadmin::services::{access::admins, suspension::lookup, hierarchy::mailboxes, common::passwords::Secret};
        let f = seed_fixture(&app.db).await;
        let system = admins::system_actor("fixture");
        for local in ["ulrich.keller3", "ulrich.keller30", "keller3x", "k.eller", "anna-maria", "x_y%z", "mariann", "eller"] {
            let new = mailboxes::NewMailbox {
                local_part: LocalPart::parse(local).unwrap(),
                display_name: DisplayName::parse("Test User").unwrap(),
                password: Secret::new("mailbox-password".into()),
            };
            mailboxes::create(&app.db, &system, f.domain_a, new).await.unwrap();
        }
        let support = actor(&app.db, f.admin_support).await;
        let all: Vec<String> = mailbox::Entity::find().all(&app.db).await.unwrap().into_iter().map(|m| m.address).collect();
        let needles = [
            "keller3", "ulrich.k", "r3@", "a-m", "_y%", "ller", "eller3@alpha.example", "@alpha", "h.k",
            "ann", "nna-ma", "x_y", "zzz", "ulrich.keller3@alpha.example", "3x@", ".eller@",
        ];
        for needle in needles {
            let found = lookup::search(&app.db, &support, needle).await.unwrap();
            let mut got: Vec<String> = found.rows.into_iter().map(|r| r.address).collect();
            got.sort();
            let mut expected: Vec<String> = all.iter().filter(|a| a.contains(needle)).cloned().collect();
            expected.sort();
            assert_eq!(got, expected, "look-up of {needle:?}");
        }
    }

    async fn support_finds_any_substring_with_company_domain_and_status(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        suspend_send_mail(&app.db, f.mailbox_b).await;
        let client = app.signed_in("support").await;
        let page = client.get("/lookup?q=ERT@BETA").await;
        assert_eq!(page.status, StatusCode::OK);
        let row = page.texts("table.lookup tbody tr");
        assert_eq!(row.len(), 1);
        assert!(row[0].contains("bert@beta.example"));
        assert!(row[0].contains("Beta Hosting"));
        assert_eq!(page.text("table.lookup .status-disabled"), "Some Services Disabled");
        assert_eq!(page.text("table.lookup .off"), "Send Mail: Suspended");
        // What the mail server does, in plain words, from the policy service's own decision.
        let words = page.texts("table.lookup .mail-server");
        assert_eq!(words.len(), 1, "{words:?}");
        assert!(words[0].starts_with("Cannot send, by SMTP or webmail: Send Mail suspended since 20"), "{words:?}");
        let middle = client.get("/lookup?q=lpha.exa").await;
        assert_eq!(middle.texts("table.lookup tbody tr").len(), 1, "anna@alpha.example only");
    }

    async fn the_desk_reads_what_the_mail_server_refuses(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        switch_off(&app.db, f.mailbox_a, &[Service::ReceiveMail, Service::WebmailSend]).await;
        let client = app.signed_in("support").await;
        let page = client.get("/lookup?q=anna@alpha").await;
        assert_eq!(
            page.texts("table.lookup .mail-server"),
            vec![
                "Cannot send from webmail (SMTP works): Send via Webmail is disabled.",
                "Incoming mail is refused (550 5.2.1): Receive Mail is disabled.",
            ]
        );
        let active = client.get("/lookup?q=otto@alpha2").await;
        assert!(active.texts("table.lookup .mail-server").is_empty());
    }

    async fn company_admins_look_up_only_their_own_company(app: TestApp) {
        seed_fixture(&app.db).await;
        let client = app.signed_in("comp-a").await;
        let page = client.get("/lookup?q=.example").await;
        let addresses = page.texts("table.lookup tbody td:first-child");
        assert_eq!(addresses, vec!["anna@alpha.example", "otto@alpha2.example"]);
        let domain_admin = app.signed_in("dom-a").await;
        let page = domain_admin.get("/lookup?q=.example").await;
        assert_eq!(page.texts("table.lookup tbody td:first-child"), vec!["anna@alpha.example"]);
    }

    async fn short_or_unmatched_queries_say_what_to_do(app: TestApp) {
        seed_fixture(&app.db).await;
        let client = app.signed_in("support").await;
        let short = client.get("/lookup?q=an").await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(short.text("form .error"), "Type at least 3 characters of the address.");
        let none = client.get("/lookup?q=zzz%22%25_").await;
        assert_eq!(none.status, StatusCode::OK);
        assert!(none.text(".empty").starts_with("No mailbox matches"));
    }
}
