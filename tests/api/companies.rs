//! Companies through the dashboard, as a platform admin uses them.
use crate::db_tests;
use crate::helpers::*;
use reqwest::StatusCode;

db_tests! {
    async fn platform_admin_creates_edits_and_deletes_a_company(app: TestApp) {
        seed_fixture(&app.db).await;
        let client = app.signed_in("plat").await;
        let created = client
            .post("/companies/new", &[("name", "Gamma Corp"), ("status", "active"), ("complaint_allowance", "12")])
            .await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
        let location = created.location.unwrap();
        let page = client.get(&location).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.text("h1"), "Gamma Corp");
        assert_eq!(page.text(".flash-success"), "Company \"Gamma Corp\" created.");
        assert!(page.body.contains("12 spam complaints"));

        let edited = client
            .post(&format!("{location}/edit"), &[("name", "Gamma Corporation"), ("status", "suspended"), ("complaint_allowance", "5")])
            .await;
        assert_eq!(edited.status, StatusCode::SEE_OTHER);
        let page = client.get(&location).await;
        assert_eq!(page.text("h1"), "Gamma Corporation");

        let confirm = client.get(&format!("{location}/delete")).await;
        assert_eq!(confirm.status, StatusCode::OK);
        assert!(confirm.text(".confirm").contains("Delete the company \"Gamma Corporation\""));
        let deleted = client.post(&format!("{location}/delete"), &[]).await;
        assert_eq!(deleted.status, StatusCode::SEE_OTHER);
        assert_eq!(client.get(&location).await.status, StatusCode::NOT_FOUND);
    }

    async fn a_bad_company_form_comes_back_with_messages_and_input(app: TestApp) {
        seed_fixture(&app.db).await;
        let client = app.signed_in("plat").await;
        let page = client
            .post("/companies/new", &[("name", "Alpha Mail"), ("status", "active"), ("complaint_allowance", "lots")])
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(page.attrs("input[name=name]", "value"), vec!["Alpha Mail"]);
        assert_eq!(page.attrs("input[name=complaint_allowance]", "value"), vec!["lots"]);
        assert!(page.text(".has-error .error").contains("whole number"));

        let duplicate = client
            .post("/companies/new", &[("name", "Alpha Mail"), ("status", "active"), ("complaint_allowance", "10")])
            .await;
        assert_eq!(duplicate.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(duplicate.text(".has-error .error"), "A company with this name exists already.");
    }
}
