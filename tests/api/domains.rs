//! Domains: create with normalisation, duplicates, rename, delete with its mailboxes.
use crate::db_tests;
use crate::helpers::*;
use reqwest::StatusCode;

db_tests! {
    async fn domains_are_stored_normalised_and_unique(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let client = app.signed_in("comp-a").await;
        let path = format!("/companies/{}/domains/new", f.company_a);
        let created = client.post(&path, &[("name", "Bücher.Example.")]).await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
        let page = client.get(&created.location.unwrap()).await;
        assert_eq!(page.text("h1"), "xn--bcher-kva.example");
        let duplicate = client.post(&path, &[("name", "BETA.example")]).await;
        assert_eq!(duplicate.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(duplicate.text(".has-error .error"), "This domain is hosted already.");
        assert_eq!(duplicate.attrs("input[name=name]", "value"), vec!["BETA.example"]);
        let invalid = client.post(&path, &[("name", "no_dots")]).await;
        assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    }

    async fn renaming_a_domain_renames_its_addresses(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let client = app.signed_in("plat").await;
        let renamed = client.post(&format!("/domains/{}/edit", f.domain_a), &[("name", "alpha-mail.example")]).await;
        assert_eq!(renamed.status, StatusCode::SEE_OTHER);
        let mailbox = client.get(&format!("/mailboxes/{}", f.mailbox_a)).await;
        assert!(mailbox.body.contains("anna@alpha-mail.example"));
        let lookup = client.get("/lookup?q=anna@alpha-mail").await;
        assert_eq!(lookup.texts("table.lookup tbody tr").len(), 1, "the search index follows the rename");
    }

    async fn deleting_a_domain_takes_its_mailboxes(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let client = app.signed_in("comp-a").await;
        let confirm = client.get(&format!("/domains/{}/delete", f.domain_a)).await;
        assert!(confirm.text(".confirm").contains("1 mailboxes of alpha.example"));
        let deleted = client.post(&format!("/domains/{}/delete", f.domain_a), &[]).await;
        assert_eq!(deleted.status, StatusCode::SEE_OTHER);
        assert_eq!(client.get(&format!("/mailboxes/{}", f.mailbox_a)).await.status, StatusCode::NOT_FOUND);
        let company = client.get(&format!("/companies/{}", f.company_a)).await;
        assert_eq!(company.text(".flash-success"), "Domain alpha.example deleted.");
        assert_eq!(company.texts("tbody tr").len(), 1);
    }
}
