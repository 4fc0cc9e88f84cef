//! Revocable sessions: a copy of a session cookie stops working after sign-out, after the
//! admin's password is changed by themselves or reset by a platform admin, and after the admin
//! is deleted — on every app instance, since they share the database.
use crate::db_tests;
use crate::helpers::*;
use reqwest::StatusCode;

/// The session cookie a signed-in client holds, as a browser would send it.
async fn cookie_of(app: &TestApp, login: &str) -> (Client, String) {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let login_page = http.get(format!("{}/login", app.address)).send().await.unwrap();
    let anonymous = session_cookie(&login_page).unwrap();
    let body = login_page.text().await.unwrap();
    let csrf =
        body.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let signed_in = http
        .post(format!("{}/login", app.address))
        .header("cookie", format!("mailadmin_session={anonymous}"))
        .form(&[("csrf_token", csrf.as_str()), ("login", login), ("password", FIXTURE_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let cookie = session_cookie(&signed_in).expect("a new session cookie at sign-in");
    (app.signed_in(login).await, cookie)
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response.headers().get_all("set-cookie").iter().find_map(|v| {
        let pair = v.to_str().ok()?.split(';').next()?.to_owned();
        pair.strip_prefix("mailadmin_session=").map(str::to_owned)
    })
}

/// GET `path` with only this cookie: 200, or 303 to the sign-in page.
async fn with_cookie(base: &str, cookie: &str, path: &str) -> (StatusCode, Option<String>) {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = http
        .get(format!("{base}{path}"))
        .header("cookie", format!("mailadmin_session={cookie}"))
        .send()
        .await
        .unwrap();
    let location = response.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_owned);
    (response.status(), location)
}

fn signed_out((status, location): (StatusCode, Option<String>)) -> bool {
    status == StatusCode::SEE_OTHER && location.is_some_and(|l| l.starts_with("/login"))
}

db_tests! {
    async fn a_copied_cookie_dies_with_sign_out_on_every_instance(app: TestApp) {
        seed_fixture(&app.db).await;
        let other = spawn_app_on(app.backend, &app.database_url).await;
        let (_, copied) = cookie_of(&app, "plat").await;
        assert_eq!(with_cookie(&app.address, &copied, "/companies").await.0, StatusCode::OK);
        assert_eq!(with_cookie(&other.address, &copied, "/companies").await.0, StatusCode::OK, "the second instance knows it");
        // Sign out with this very session.
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let page = http.get(format!("{}/account/password", app.address)).header("cookie", format!("mailadmin_session={copied}")).send().await.unwrap();
        let body = page.text().await.unwrap();
        let csrf = body.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let out = http
            .post(format!("{}/logout", app.address))
            .header("cookie", format!("mailadmin_session={copied}"))
            .form(&[("csrf_token", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), StatusCode::SEE_OTHER);
        assert!(signed_out(with_cookie(&app.address, &copied, "/companies").await), "the copy is dead after sign-out");
        assert!(signed_out(with_cookie(&other.address, &copied, "/companies").await), "on the other instance too");
    }

    async fn a_password_change_or_reset_ends_every_session_of_the_admin(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        // Reset by a platform admin: the support admin's copied cookie is dead.
        let (_, support_cookie) = cookie_of(&app, "support").await;
        let plat = app.signed_in("plat").await;
        let reset = plat
            .post(&format!("/admins/{}/password", f.admin_support), &[("password", "a-reset-password"), ("confirm", "a-reset-password")])
            .await;
        assert_eq!(reset.status, StatusCode::SEE_OTHER, "{}", reset.body);
        assert!(signed_out(with_cookie(&app.address, &support_cookie, "/lookup").await));

        // Their own change: the other copies die, the browser that changed it goes on.
        let (changer, copy) = cookie_of(&app, "comp-a").await;
        let changed = changer
            .post("/account/password", &[("current", FIXTURE_PASSWORD), ("password", "new-password-1"), ("confirm", "new-password-1")])
            .await;
        assert_eq!(changed.status, StatusCode::SEE_OTHER);
        assert!(signed_out(with_cookie(&app.address, &copy, "/lookup").await), "a copy from before the change");
        assert_eq!(changer.get("/lookup").await.status, StatusCode::OK, "the browser that changed it");

        // Deleted: out at once.
        let (_, domain_cookie) = cookie_of(&app, "dom-a").await;
        let deleted = plat.post(&format!("/admins/{}/delete", f.admin_domain_a), &[]).await;
        assert_eq!(deleted.status, StatusCode::SEE_OTHER);
        assert!(signed_out(with_cookie(&app.address, &domain_cookie, "/lookup").await));
    }

    async fn refusals_made_outside_the_pages_carry_the_security_headers(app: TestApp) {
        seed_fixture(&app.db).await;
        let client = app.signed_in("plat").await;
        let csrf = client.http.post(format!("{}/companies/new", app.address)).form(&[("name", "x")]).send().await.unwrap();
        assert_eq!(csrf.status(), StatusCode::FORBIDDEN);
        let huge = "x".repeat(2 * 1024 * 1024);
        let too_large = client.http.post(format!("{}/companies/new", app.address)).form(&[("name", huge.as_str())]).send().await.unwrap();
        assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
        for response in [csrf, too_large] {
            for header in ["content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy"] {
                assert!(response.headers().contains_key(header), "{} lacks {header}", response.status());
            }
        }
    }
}
