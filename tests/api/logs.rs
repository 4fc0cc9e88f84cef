//! The log of a real `mailadmin serve` (JSON lines, at debug level) after a session that used
//! every kind of secret: a sign-in password, a new mailbox password, an API token, the session
//! cookie. None of them is in the log; every request's line carries its id, method, route
//! pattern, status and duration; every line parses as JSON.
use crate::helpers::*;
use mailadmin::services::access::{admins, api_tokens};

const MAILBOX_SECRET: &str = "a-very-secret-mailbox-password-77";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_names_each_request_and_holds_no_secret() {
    let url = fresh_database_url(Backend::Sqlite).await;
    let db = mailadmin::db::connect(&url).await.unwrap();
    mailadmin::db::migrate(&db).await.unwrap();
    let f = seed_fixture(&db).await;
    let token = api_tokens::create(&db, &admins::system_actor("test"), "log test").await.unwrap().1;
    db.close().await.unwrap();

    let log_path = std::env::temp_dir().join(format!("ma-log-{:08x}.jsonl", rand::random::<u32>()));
    let env = [("MAILADMIN_LOG_FORMAT", "json"), ("RUST_LOG", "debug")];
    let (mut child, base) = spawn_serve(&url, &env, std::fs::File::create(&log_path).unwrap().into());
    assert!(base.starts_with("http://"), "no address printed");

    // A browser's session, by hand, to see the cookies the server sets.
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut cookies: Vec<String> = Vec::new();
    let mut keep_cookies = |response: &reqwest::Response| {
        for value in response.headers().get_all("set-cookie") {
            let pair = value.to_str().unwrap().split(';').next().unwrap().to_owned();
            cookies.push(pair.split_once('=').unwrap().1.to_owned());
        }
    };
    let login = http.get(format!("{base}/login")).send().await.unwrap();
    keep_cookies(&login);
    let page = login.text().await.unwrap();
    let csrf =
        page.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let signed_in = http
        .post(format!("{base}/login"))
        .form(&[("csrf_token", csrf.as_str()), ("login", "plat"), ("password", FIXTURE_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    keep_cookies(&signed_in);
    let form = http
        .get(format!("{base}/mailboxes/{}/password", f.mailbox_a))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf =
        form.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let set = http
        .post(format!("{base}/mailboxes/{}/password", f.mailbox_a))
        .form(&[("csrf_token", csrf.as_str()), ("password", MAILBOX_SECRET), ("confirm", MAILBOX_SECRET)])
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 303);
    let wrong = http
        .post(format!("{base}/login"))
        .form(&[("csrf_token", "stale"), ("login", "plat"), ("password", "wrong-password-in-a-form")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let report = arf_report(
        "anna@alpha.example",
        "victim@isp.example",
        "<m1@alpha.example>",
        "<r1@isp.example>",
        "abuse",
    );
    let posted = reqwest::Client::new()
        .post(format!("{base}/api/v1/complaints"))
        .bearer_auth(&token)
        .header("content-type", "message/rfc822")
        .body(report)
        .send()
        .await
        .unwrap();
    assert!(posted.status().is_success(), "{}", posted.status());
    assert!(reqwest::get(format!("{base}/healthz")).await.unwrap().status().is_success());

    // Stop it, then read what it logged.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    child.wait().unwrap();
    let log = std::fs::read_to_string(&log_path).unwrap();
    std::fs::remove_file(&log_path).ok();
    assert!(!cookies.is_empty());
    for secret in
        [FIXTURE_PASSWORD, MAILBOX_SECRET, "wrong-password-in-a-form", token.as_str(), csrf.as_str()]
            .into_iter()
            .chain(cookies.iter().map(String::as_str))
    {
        assert!(!log.contains(secret), "a secret ({}…) is in the log", &secret[..6.min(secret.len())]);
    }
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let requests: Vec<&serde_json::Value> = lines.iter().filter(|l| l["message"] == "request done").collect();
    assert!(requests.len() >= 7, "{} request lines in\n{log}", requests.len());
    for line in &requests {
        let span = &line["span"];
        assert_eq!(span["id"].as_str().map(str::len), Some(16), "{line}");
        assert!(span["method"].is_string() && span["route"].is_string(), "{line}");
        assert!(line["status"].is_u64() && line["duration_ms"].is_number(), "{line}");
    }
    let routes: Vec<&str> = requests.iter().filter_map(|l| l["span"]["route"].as_str()).collect();
    assert!(routes.contains(&"/mailboxes/{id}/password"), "the route pattern, not the path: {routes:?}");
    assert!(!log.contains(&format!("/mailboxes/{}/password", f.mailbox_a)), "no raw paths");
}
