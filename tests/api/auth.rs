//! Signing in and out, throttling, CSRF, session cookies and security headers.
use crate::db_tests;
use crate::helpers::*;
use reqwest::StatusCode;

db_tests! {
    async fn wrong_password_is_refused_and_the_login_kept(app: TestApp) {
        seed_fixture(&app.db).await;
        let mut client = app.client();
        let page = client.sign_in("plat", "not-the-password").await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(page.text(".error"), "The login or the password is wrong.");
        assert_eq!(page.attrs("input[name=login]", "value"), vec!["plat"]);
        assert_eq!(client.get("/").await.status, StatusCode::SEE_OTHER, "still signed out");
    }

    async fn sign_in_is_throttled_after_five_failures(app: TestApp) {
        seed_fixture(&app.db).await;
        let mut client = app.client();
        for attempt in 1..=5 {
            let page = client.sign_in("plat", "wrong-password").await;
            assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "attempt {attempt}");
        }
        // Even the right password is refused now, for this login and from this address.
        let page = client.sign_in("plat", FIXTURE_PASSWORD).await;
        assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(page.text(".error").starts_with("Too many failed sign-ins"));
        let other = app.client().sign_in("support", FIXTURE_PASSWORD).await;
        assert_eq!(other.status, StatusCode::TOO_MANY_REQUESTS, "same client address");
    }

    async fn a_success_forgives_the_logins_earlier_failures_but_not_the_addresss(app: TestApp) {
        use mailadmin::services::common::passwords::Secret;
        use mailadmin::services::{common::ServiceError, access::sign_in};
        seed_fixture(&app.db).await;
        let throttle = sign_in::SignInThrottle::default();
        let attempt = |password: &str, addr: &str| {
            let (password, addr) = (Secret::new(password.into()), addr.to_owned());
            let (db, throttle) = (&app.db, &throttle);
            async move { sign_in::sign_in(db, throttle, "plat", password, &addr).await }
        };
        // Four failures from four addresses, then a success: the login starts afresh, so four
        // more failures (from yet other addresses) still leave it open.
        for n in 1..=4 {
            assert!(matches!(attempt("wrong", &format!("192.0.2.{n}")).await, Err(ServiceError::Invalid(_))));
        }
        attempt(FIXTURE_PASSWORD, "192.0.2.5").await.expect("the right password");
        for n in 6..=9 {
            assert!(matches!(attempt("wrong", &format!("192.0.2.{n}")).await, Err(ServiceError::Invalid(_))));
        }
        attempt(FIXTURE_PASSWORD, "192.0.2.10").await.expect("four failures since the success");
        // Five more without a success in between block the login from everywhere.
        for n in 11..=15 {
            assert!(matches!(attempt("wrong", &format!("192.0.2.{n}")).await, Err(ServiceError::Invalid(_))));
        }
        assert!(matches!(attempt(FIXTURE_PASSWORD, "192.0.2.16").await, Err(ServiceError::Throttled { .. })));
        // One address's failures block it for every login, success or not.
        for _ in 1..=5 {
            let wrong = sign_in::sign_in(&app.db, &throttle, "support", Secret::new("wrong".into()), "198.51.100.1");
            assert!(matches!(wrong.await, Err(ServiceError::Invalid(_))));
        }
        let other = sign_in::sign_in(&app.db, &throttle, "dom-a", Secret::new(FIXTURE_PASSWORD.into()), "198.51.100.1");
        assert!(matches!(other.await, Err(ServiceError::Throttled { .. })), "same address, other login");
    }

    async fn signing_in_renews_the_session_and_returns_to_next(app: TestApp) {
        seed_fixture(&app.db).await;
        let mut client = app.client();
        let redirect = client.get("/lookup?q=anna").await;
        assert_eq!(redirect.status, StatusCode::SEE_OTHER);
        let to_login = redirect.location.unwrap();
        assert_eq!(to_login, "/login?next=%2Flookup%3Fq%3Danna");
        client.start_session().await;

        let page = client
            .post("/login", &[("login", "PLAT"), ("password", FIXTURE_PASSWORD), ("next", "/lookup?q=anna")])
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert_eq!(page.location.as_deref(), Some("/lookup?q=anna"));
        // The anonymous session's CSRF token does not survive sign-in (no session fixation).
        let signed_in = client.post("/account/password", &[("password", "x"), ("confirm", "x")]).await;
        assert_eq!(signed_in.status, StatusCode::FORBIDDEN);
    }

    async fn next_may_only_point_into_the_site(app: TestApp) {
        seed_fixture(&app.db).await;
        let mut client = app.client();
        client.start_session().await;
        let page = client
            .post("/login", &[("login", "plat"), ("password", FIXTURE_PASSWORD), ("next", "//evil.example/")])
            .await;
        assert_eq!(page.location.as_deref(), Some("/"));
        // A tab or backslash browsers read as `//`, and CR/LF: the same safe landing, no 500.
        for next in ["/\t/evil.example/", "/\\evil.example", "/x\r\nSet-Cookie: a=b"] {
            let mut client = app.client();
            client.start_session().await;
            let page = client.post("/login", &[("login", "plat"), ("password", FIXTURE_PASSWORD), ("next", next)]).await;
            assert_eq!((page.status, page.location.as_deref()), (StatusCode::SEE_OTHER, Some("/")), "{next:?}");
        }
    }

    async fn posts_without_the_csrf_token_are_refused(app: TestApp) {
        seed_fixture(&app.db).await;
        let client = app.signed_in("plat").await;
        let page = client
            .post_raw("/companies/new", &[("name", "Sneaky"), ("status", "active"), ("complaint_allowance", "10")])
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        assert_eq!(page.text("h1"), "Form expired");
        let wrong = client
            .post_raw("/companies/new", &[("csrf_token", "0000"), ("name", "Sneaky"), ("status", "active")])
            .await;
        assert_eq!(wrong.status, StatusCode::FORBIDDEN);
        let list = client.get("/companies?q=Sneaky").await;
        assert_eq!(list.texts("tbody tr").len(), 0, "nothing was created");
    }

    async fn cookies_and_headers_are_hardened(app: TestApp) {
        let response = reqwest::get(format!("{}/login", app.address)).await.unwrap();
        let headers = response.headers();
        let cookie = headers.get("set-cookie").unwrap().to_str().unwrap().to_owned();
        assert!(cookie.starts_with("mailadmin_session="), "{cookie}");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        let csp = headers.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
        assert_eq!(headers.get("x-frame-options").unwrap(), "DENY");
        assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(headers.get("referrer-policy").unwrap(), "same-origin");
    }

    async fn signing_out_ends_the_session(app: TestApp) {
        seed_fixture(&app.db).await;
        let client = app.signed_in("support").await;
        assert_eq!(client.get("/").await.status, StatusCode::OK);
        let out = client.post("/logout", &[]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert_eq!(client.get("/").await.status, StatusCode::SEE_OTHER);
    }

    async fn unknown_pages_answer_404_in_the_layout_and_health_answers(app: TestApp) {
        let client = app.client();
        let page = client.get("/no/such/page").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert_eq!(page.text("h1"), "Not found");
        assert_eq!(page.text("a.brand"), "mailadmin");
        assert!(page.texts("form.signout").is_empty(), "no one is signed in");
        // Signed in, an error page keeps the frame: navigation and sign-out.
        seed_fixture(&app.db).await;
        for (login, path, status) in [
            ("comp-a", "/no/such/page", StatusCode::NOT_FOUND),
            ("comp-a", "/companies/999999", StatusCode::NOT_FOUND),
            ("support", "/companies/new", StatusCode::FORBIDDEN),
        ] {
            let page = app.signed_in(login).await.get(path).await;
            assert_eq!(page.status, status, "{path}");
            assert_eq!(page.texts("form.signout").len(), 1, "{path} is framed");
            assert!(page.texts("nav a").iter().any(|t| t == "Home"), "{path} has the navigation");
        }
        let health = client.get("/healthz").await;
        assert_eq!((health.status, health.body.as_str()), (StatusCode::OK, "ok\n"));
    }
}

/// Failures counted by one instance block the login on another sharing the database, and a
/// restart forgives nothing: the throttle reads the audit log both write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_throttle_is_shared_by_app_instances_on_one_postgres() {
    let url = fresh_database_url(Backend::Postgres).await;
    let first = spawn_app_on(Backend::Postgres, &url).await;
    let second = spawn_app_on(Backend::Postgres, &url).await;
    seed_fixture(&first.db).await;
    for attempt in 1..=5 {
        let app = if attempt % 2 == 0 { &first } else { &second };
        let page = app.client().sign_in("plat", "wrong-password").await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "attempt {attempt}");
    }
    for app in [&first, &second] {
        let page = app.client().sign_in("plat", FIXTURE_PASSWORD).await;
        assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "blocked on every instance");
    }
    let restarted = spawn_app_on(Backend::Postgres, &url).await;
    let page = restarted.client().sign_in("plat", FIXTURE_PASSWORD).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "a new instance knows the failures");
}

/// Parallel guesses cannot all pass the count before the first failure is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_parallel_guesses_gets_at_most_five_tries() {
    let app = spawn_app(Backend::Sqlite).await;
    seed_fixture(&app.db).await;
    let guesses = (0..20).map(|n| {
        let app = &app;
        async move { app.client().sign_in("plat", &format!("guess-{n}")).await.status }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let tried = statuses.iter().filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!(tried + refused, 20, "{statuses:?}");
    assert!(tried <= 5, "{tried} guesses were checked: {statuses:?}");
}
