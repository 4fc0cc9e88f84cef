//! The test harness: the real app on a random port with a fresh database (a SQLite file, or a
//! PostgreSQL database of its own), a cookie-keeping HTTP client, and a fixture hierarchy.
use mailadmin::config::WebArgs;
use mailadmin::domain::{AdminLogin, CompanyName, CompanyStatus, ComplaintAllowance, DomainName, Role};
use mailadmin::domain::{DisplayName, LocalPart};
use mailadmin::services::{
    access::admins, common::passwords::Secret, hierarchy::companies, hierarchy::domains, hierarchy::mailboxes,
};
use reqwest::StatusCode;
use scraper::{Html, Selector};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub address: String,
    /// The metrics listener: `{metrics_address}/metrics`.
    pub metrics_address: String,
    pub db: DatabaseConnection,
    pub backend: Backend,
    /// The database's URL, for tools the test starts.
    pub database_url: String,
}

/// Runs each test body twice: once on SQLite, once on PostgreSQL.
#[macro_export]
macro_rules! db_tests {
    ($(async fn $name:ident($app:ident: TestApp) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($app: $crate::helpers::TestApp) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    run($crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    run($crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await).await
                }
            }
        )*
    };
}

fn unique_name() -> String {
    format!("mailadmin_t_{}_{:08x}", std::process::id(), rand::random::<u32>())
}

/// The URL of a fresh, empty database on the given backend.
pub async fn fresh_database_url(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("{}.db", unique_name()));
            format!("sqlite://{}?mode=rwc", path.display())
        }
        Backend::Postgres => {
            let admin_url = std::env::var("MAILADMIN_TEST_POSTGRES_URL").unwrap_or_else(|_| {
                panic!(
                    "MAILADMIN_TEST_POSTGRES_URL is not set. Run the tests with scripts/test, which \
                     starts PostgreSQL and sets it, or point it at a server you own, e.g. \
                     postgres://postgres@127.0.0.1:5432/postgres (apt-get install postgresql)."
                )
            });
            let name = unique_name();
            let admin = Database::connect(&admin_url)
                .await
                .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at MAILADMIN_TEST_POSTGRES_URL: {e}"));
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
            admin.close().await.ok();
            let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin_url);
            format!("{base}/{name}")
        }
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    let database_url = fresh_database_url(backend).await;
    spawn_app_on(backend, &database_url).await
}

pub async fn spawn_app_on(backend: Backend, database_url: &str) -> TestApp {
    // The app's log, for a failing test: TEST_LOG=1 cargo nextest run …
    if std::env::var_os("TEST_LOG").is_some() {
        mailadmin::telemetry::init();
    }
    let db = mailadmin::db::connect(database_url).await.expect("connect to the test database");
    mailadmin::db::migrate(&db).await.expect("migrations");
    let web = WebArgs {
        bind: "127.0.0.1:0".into(),
        session_key: None,
        secure_cookies: false,
        shutdown_seconds: 5,
        metrics_bind: Some("127.0.0.1:0".into()),
    };
    let intake = mailadmin::config::IntakeArgs {
        platform_abuse_address: "abuse-desk@platform.test".into(),
        public_url: None,
        max_report_bytes: 1024 * 1024,
    };
    let app = mailadmin::startup::Application::build(db.clone(), &web, &intake, &Default::default())
        .await
        .expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app.metrics_address().map(|a| format!("http://{a}")).unwrap_or_default();
    tokio::spawn(app.run_until_stopped());
    TestApp { address, metrics_address, db, backend, database_url: database_url.to_owned() }
}

/// A browser-like client: keeps cookies, does not follow redirects, knows its CSRF token.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: String,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    pub fn html(&self) -> Html {
        Html::parse_document(&self.body)
    }

    /// The text of every element matching `selector`, trimmed.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let sel = Selector::parse(selector).expect("selector");
        self.html()
            .select(&sel)
            .map(|e| e.text().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    }

    pub fn text(&self, selector: &str) -> String {
        self.texts(selector).into_iter().next().unwrap_or_else(|| panic!("no {selector} in:\n{}", self.body))
    }

    pub fn attrs(&self, selector: &str, attr: &str) -> Vec<String> {
        let sel = Selector::parse(selector).expect("selector");
        self.html().select(&sel).filter_map(|e| e.value().attr(attr).map(str::to_owned)).collect()
    }
}

impl Client {
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self { http, base: base.to_owned(), csrf: String::new() }
    }

    async fn page(response: reqwest::Response) -> Page {
        let status = response.status();
        let location = response.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        Page { status, location, body: response.text().await.expect("body") }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::page(self.http.get(format!("{}{path}", self.base)).send().await.expect("GET")).await
    }

    /// POSTs a form with this session's CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", self.csrf.as_str())];
        form.extend_from_slice(fields);
        self.post_raw(path, &form).await
    }

    /// POSTs exactly the given fields (no CSRF token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let response =
            self.http.post(format!("{}{path}", self.base)).form(fields).send().await.expect("POST");
        Self::page(response).await
    }

    /// Reads the CSRF token from the sign-in page (it starts the session).
    pub async fn start_session(&mut self) {
        let page = self.get("/login").await;
        self.csrf = page.attrs("input[name=csrf_token]", "value").pop().expect("csrf token on /login");
    }

    pub async fn sign_in(&mut self, login: &str, password: &str) -> Page {
        self.start_session().await;
        let page = self.post("/login", &[("login", login), ("password", password)]).await;
        // A new session starts at sign-in, with a new token: read it from a signed-in page.
        if page.status == StatusCode::SEE_OTHER {
            let home = self.get("/account/password").await;
            self.csrf = home.attrs("input[name=csrf_token]", "value").pop().expect("csrf token");
        }
        page
    }
}

impl TestApp {
    pub fn client(&self) -> Client {
        Client::new(&self.address)
    }

    /// A client signed in as `login` (fixture password).
    pub async fn signed_in(&self, login: &str) -> Client {
        let mut client = self.client();
        let page = client.sign_in(login, FIXTURE_PASSWORD).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "sign-in as {login} failed: {}", page.body);
        client
    }
}

pub const FIXTURE_PASSWORD: &str = "fixture-password";
/// Every fixture mailbox's password.
pub const FIXTURE_MAILBOX_PASSWORD: &str = "mailbox-password";

/// Two companies, A and B, each with domains and mailboxes, and one admin per role.
/// "Own" objects are A's; "foreign" ones are B's.
pub struct Fixture {
    pub company_a: i32,
    pub company_b: i32,
    /// A's first domain: the domain admin `dom-a` looks after it.
    pub domain_a: i32,
    /// A's second domain: not `dom-a`'s.
    pub domain_a2: i32,
    pub domain_b: i32,
    pub mailbox_a: i32,
    pub mailbox_a2: i32,
    pub mailbox_b: i32,
    pub admin_platform: i32,
    pub admin_support: i32,
    pub admin_company_a: i32,
    pub admin_domain_a: i32,
    pub admin_company_b: i32,
    pub admin_domain_b: i32,
}

pub async fn seed_fixture(db: &DatabaseConnection) -> Fixture {
    let system = admins::system_actor("fixture");
    let policy = companies::CompanyPolicy {
        status: CompanyStatus::Active,
        complaint_allowance: ComplaintAllowance::DEFAULT,
    };
    let company = |name: &str| CompanyName::parse(name).unwrap();
    let company_a = companies::create(db, &system, company("Alpha Mail"), policy).await.unwrap();
    let company_b = companies::create(db, &system, company("Beta Hosting"), policy).await.unwrap();
    let domain = |name: &str| DomainName::parse(name).unwrap();
    let domain_a = domains::create(db, &system, company_a, domain("alpha.example")).await.unwrap();
    let domain_a2 = domains::create(db, &system, company_a, domain("alpha2.example")).await.unwrap();
    let domain_b = domains::create(db, &system, company_b, domain("beta.example")).await.unwrap();
    let mailbox = |local: &str| mailboxes::NewMailbox {
        local_part: LocalPart::parse(local).unwrap(),
        display_name: DisplayName::parse("Test User").unwrap(),
        password: Secret::new(FIXTURE_MAILBOX_PASSWORD.into()),
    };
    let mailbox_a = mailboxes::create(db, &system, domain_a, mailbox("anna")).await.unwrap().id;
    let mailbox_a2 = mailboxes::create(db, &system, domain_a2, mailbox("otto")).await.unwrap().id;
    let mailbox_b = mailboxes::create(db, &system, domain_b, mailbox("bert")).await.unwrap().id;
    let admin = |login: &str, role: Role, company_id: Option<i32>, domain_ids: Vec<i32>| admins::NewAdmin {
        login: AdminLogin::parse(login).unwrap(),
        role,
        company_id,
        domain_ids,
        password: Secret::new(FIXTURE_PASSWORD.into()),
    };
    let create = |new| admins::create(db, &system, new);
    Fixture {
        company_a,
        company_b,
        domain_a,
        domain_a2,
        domain_b,
        mailbox_a,
        mailbox_a2,
        mailbox_b,
        admin_platform: create(admin("plat", Role::Platform, None, vec![])).await.unwrap(),
        admin_support: create(admin("support", Role::Support, None, vec![])).await.unwrap(),
        admin_company_a: create(admin("comp-a", Role::Company, Some(company_a), vec![])).await.unwrap(),
        admin_domain_a: create(admin("dom-a", Role::Domain, None, vec![domain_a])).await.unwrap(),
        admin_company_b: create(admin("comp-b", Role::Company, Some(company_b), vec![])).await.unwrap(),
        admin_domain_b: create(admin("dom-b", Role::Domain, None, vec![domain_b])).await.unwrap(),
    }
}

/// The actor of a fixture admin, as a signed-in request would carry it.
pub async fn actor(db: &DatabaseConnection, admin_id: i32) -> mailadmin::authz::Actor {
    admins::load_actor(db, admin_id, "192.0.2.10".into()).await.unwrap().expect("fixture admin exists")
}

/// Switches `off` services of a mailbox off (disabled) and the others on, as Edit Mailbox does.
pub async fn switch_off(db: &DatabaseConnection, mailbox_id: i32, off: &[mailadmin::domain::Service]) {
    use mailadmin::domain::Service;
    let wanted: Vec<(Service, bool)> = Service::ALL.into_iter().map(|s| (s, !off.contains(&s))).collect();
    let display_name = DisplayName::parse("Test User").unwrap();
    let edit = mailboxes::MailboxEdit { display_name, services: &wanted, quota: Default::default() };
    mailboxes::update(db, &admins::system_actor("test"), mailbox_id, edit)
        .await
        .expect("switch services off");
}

/// Sets a company's outbound limits and breach action as the platform does.
pub async fn set_company_limits(
    db: &DatabaseConnection,
    company_id: i32,
    daily: Option<u32>,
    external_hourly: Option<u32>,
    internal_hourly: Option<u32>,
    breach: mailadmin::enforcement::limits::BreachAction,
) {
    use mailadmin::enforcement::limits::Limits;
    use mailadmin::services::limits::rules::{CompanySending, update_company};
    let limits = Limits { daily, external_hourly, internal_hourly };
    update_company(
        db,
        &admins::system_actor("test"),
        company_id,
        CompanySending { limits, breach, probation: true },
    )
    .await
    .expect("set the company's limits");
}

/// Soft-suspends Send Mail the way the complaint intake will: through the suspension service.
pub async fn suspend_send_mail(db: &DatabaseConnection, mailbox_id: i32) {
    use mailadmin::domain::{Service, SuspensionReason};
    let system = admins::system_actor("complaint-intake");
    mailadmin::services::suspension::actions::suspend(
        db,
        &system,
        mailbox_id,
        &[Service::SendMail],
        SuspensionReason::SpamComplaints,
        "12 spam complaints within 24 hours (allowance 10)",
    )
    .await
    .expect("suspend Send Mail");
}

/// A feedback report (RFC 5965) about a message `sender` sent to `recipient`, as a big mailbox
/// provider's feedback loop sends it.
pub fn arf_report(
    sender: &str,
    recipient: &str,
    original_id: &str,
    report_id: &str,
    feedback_type: &str,
) -> String {
    format!(
        "From: <fbl@feedback.example.net>\r\n\
         To: <fbl@platform.test>\r\n\
         Subject: FW: Earn money fast\r\n\
         Message-ID: <{report_id}>\r\n\
         Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=feedback-report; boundary=\"b1\"\r\n\
         \r\n\
         --b1\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\
         \r\n\
         This is an email abuse report for a message received from 192.0.2.1.\r\n\
         --b1\r\n\
         Content-Type: message/feedback-report\r\n\
         \r\n\
         Feedback-Type: {feedback_type}\r\n\
         User-Agent: ExampleFBL/1.0\r\n\
         Version: 1\r\n\
         Original-Mail-From: <{sender}>\r\n\
         Original-Rcpt-To: <{recipient}>\r\n\
         Arrival-Date: Tue, 24 Nov 2026 09:58:00 +0000\r\n\
         Reporting-MTA: dns; mx.feedback.example.net\r\n\
         Source-IP: 192.0.2.1\r\n\
         \r\n\
         --b1\r\n\
         Content-Type: message/rfc822\r\n\
         \r\n\
         Return-Path: <{sender}>\r\n\
         From: Sender <{sender}>\r\n\
         To: <{recipient}>\r\n\
         Subject: Earn money fast\r\n\
         Message-ID: <{original_id}>\r\n\
         Date: Tue, 24 Nov 2026 09:57:00 +0000\r\n\
         \r\n\
         Buy now! Limited offer.\r\n\
         --b1--\r\n"
    )
}

/// Starts the real `mailadmin serve` on a free port with these settings (stdout is read for its
/// address; stderr goes where `stderr` says) and returns it with its base URL.
pub fn spawn_serve(
    database_url: &str,
    env: &[(&str, &str)],
    stderr: std::process::Stdio,
) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mailadmin"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("MAILADMIN_DATABASE_URL", database_url)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("start mailadmin serve");
    let stdout = child.stdout.take().expect("stdout");
    for line in BufReader::new(stdout).lines() {
        if let Some(address) = line.expect("serve's output").strip_prefix("Dashboard listening on ") {
            return (child, address.trim().trim_end_matches('/').to_owned());
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("mailadmin serve ended without saying where it listens");
}
