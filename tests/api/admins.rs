//! Admin users, managed by those above them.
use crate::db_tests;
use crate::helpers::*;
use reqwest::StatusCode;

db_tests! {
    async fn a_company_admin_creates_a_domain_admin_who_can_sign_in(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let client = app.signed_in("comp-a").await;
        let domain = f.domain_a2.to_string();
        let created = client
            .post("/admins/new", &[
                ("login", "new-dom"), ("role", "domain"), ("domain_ids", &domain),
                ("password", "a-long-password"), ("confirm", "a-long-password"),
            ])
            .await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
        let mut new_admin = app.client();
        assert_eq!(new_admin.sign_in("new-dom", "a-long-password").await.status, StatusCode::SEE_OTHER);
        let home = new_admin.get("/").await;
        assert_eq!(home.texts("table tbody td:first-child"), vec!["alpha2.example"]);

        let platform = client
            .post("/admins/new", &[
                ("login", "sneaky"), ("role", "platform"), ("password", "a-long-password"), ("confirm", "a-long-password"),
            ])
            .await;
        assert!(matches!(platform.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN), "{}", platform.status);
    }

    async fn a_taken_login_is_refused_with_the_input_kept(app: TestApp) {
        seed_fixture(&app.db).await;
        let client = app.signed_in("plat").await;
        let page = client
            .post("/admins/new", &[
                ("login", "Support"), ("role", "support"), ("password", "a-long-password"), ("confirm", "a-long-password"),
            ])
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(page.text(".has-error .error"), "This login is taken.");
        assert_eq!(page.attrs("input[name=login]", "value"), vec!["Support"]);
    }

    async fn the_last_platform_admin_and_oneself_cannot_be_deleted(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let client = app.signed_in("plat").await;
        let own = client.post(&format!("/admins/{}/delete", f.admin_platform), &[]).await;
        assert_eq!(own.status, StatusCode::CONFLICT);
        assert!(own.body.contains("You cannot delete your own account."));
        let other = client.post(&format!("/admins/{}/delete", f.admin_support), &[]).await;
        assert_eq!(other.status, StatusCode::SEE_OTHER);
    }

    async fn everyone_can_change_their_own_password(app: TestApp) {
        seed_fixture(&app.db).await;
        let client = app.signed_in("support").await;
        // The current password first: a stolen session cannot take the account over.
        let wrong = client
            .post("/account/password", &[("current", "not-mine"), ("password", "my-new-password"), ("confirm", "my-new-password")])
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(wrong.text("#current-error"), "This is not your current password.");
        let changed = client
            .post("/account/password", &[("current", FIXTURE_PASSWORD), ("password", "my-new-password"), ("confirm", "my-new-password")])
            .await;
        assert_eq!(changed.status, StatusCode::SEE_OTHER);
        // This browser goes on signed in.
        assert_eq!(client.get("/account/password").await.status, StatusCode::OK);
        let mut again = app.client();
        assert_eq!(again.sign_in("support", "my-new-password").await.status, StatusCode::SEE_OTHER);
    }
}
