//! A real browser (headless Chromium over WebDriver) using the dashboard.
//!
//! The test starts its own chromedriver (Debian's `chromium-driver`) on a free port, drives a
//! headless Chromium with a fresh profile through the sign-in, the mailbox look-up and the Edit
//! Mailbox page, and checks what a support admin actually sees: the status text and its colour.
//! Screenshots land in `target/screenshots/`.
use crate::db_tests;
use crate::helpers::*;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use thirtyfour::ChromeCapabilities;
use thirtyfour::prelude::*;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/lib/chromium/chromium";
const MISSING: &str = "chromedriver not found: apt-get install chromium chromium-driver";

/// The colour of `.status-disabled` (`--danger` in static/style.css).
const RED: &str = "rgb(200, 30, 40)";
/// The same colour as WebDriver's "Get Element CSS Value" reports it.
const RED_RGBA: &str = "rgba(200, 30, 40, 1)";

/// `/usr/bin/chromedriver`, or `chromedriver` on PATH; fails the test if there is neither.
fn chromedriver_path() -> PathBuf {
    let fixed = PathBuf::from(CHROMEDRIVER);
    if fixed.is_file() {
        return fixed;
    }
    std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path).map(|dir| dir.join("chromedriver")).find(|p| p.is_file())
        })
        .unwrap_or_else(|| panic!("{MISSING}"))
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// A chromedriver child process and a scratch directory (browser profile, driver log).
/// Dropping it kills the driver, also when the test panics; the scratch directory is kept on
/// panic so the driver log can be read.
struct Chromedriver {
    child: Child,
    url: String,
    scratch: PathBuf,
}

impl Chromedriver {
    async fn start(label: &str) -> Self {
        let binary = chromedriver_path();
        assert!(Path::new(CHROMIUM).is_file(), "{CHROMIUM} is missing. {MISSING}");
        let scratch = std::env::temp_dir().join(format!(
            "mailadmin-browser-{label}-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(scratch.join("profile")).expect("create the browser scratch directory");
        let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().expect("client");

        // The port is free when we look, but another process may take it before chromedriver
        // binds it: then the driver exits, and we try another port.
        for _attempt in 0..3 {
            let port = free_port();
            let log = std::fs::File::create(scratch.join("chromedriver.log")).expect("driver log");
            let child = Command::new(&binary)
                .arg(format!("--port={port}"))
                .arg("--allowed-ips=127.0.0.1")
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("driver log"))
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}. {MISSING}", binary.display()));
            let mut driver =
                Chromedriver { child, url: format!("http://127.0.0.1:{port}"), scratch: scratch.clone() };
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = driver.child.try_wait() {
                    break; // exited, probably the port was taken: try another
                }
                let status = http.get(format!("{}/status", driver.url)).send().await;
                if status.is_ok_and(|r| r.status().is_success()) {
                    return driver;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            // Dropping `driver` kills the child; keep the scratch dir for the next attempt.
            driver.scratch = PathBuf::new();
        }
        panic!(
            "chromedriver ({}) did not answer on /status within 10 s; see {}",
            binary.display(),
            scratch.join("chromedriver.log").display()
        );
    }

    fn capabilities(&self) -> ChromeCapabilities {
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(CHROMIUM).expect("binary");
        let profile = format!("--user-data-dir={}", self.scratch.join("profile").display());
        for arg in [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
            profile.as_str(),
        ] {
            caps.add_arg(arg).expect("chrome argument");
        }
        caps
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if self.scratch.as_os_str().is_empty() {
            return;
        }
        if std::thread::panicking() {
            eprintln!(
                "browser test failed; chromedriver log: {}",
                self.scratch.join("chromedriver.log").display()
            );
        } else {
            let _ = std::fs::remove_dir_all(&self.scratch);
        }
    }
}

fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("create target/screenshots");
    dir
}

async fn screenshot(driver: &WebDriver, name: &str) -> WebDriverResult<PathBuf> {
    let path = screenshot_dir().join(name);
    driver.screenshot(&path).await?;
    Ok(path)
}

/// Waits (up to the default poller's limit) for an element of a page that is loading.
async fn wait_for(driver: &WebDriver, css: &str) -> WebDriverResult<WebElement> {
    driver.query(By::Css(css)).desc(css).first().await
}

/// The text of an element with its whitespace collapsed.
async fn text_of(element: &WebElement) -> WebDriverResult<String> {
    Ok(element.text().await?.split_whitespace().collect::<Vec<_>>().join(" "))
}

async fn computed_color(driver: &WebDriver, element: &WebElement) -> WebDriverResult<String> {
    let ret =
        driver.execute("return getComputedStyle(arguments[0]).color;", vec![element.to_json()?]).await?;
    ret.convert::<String>()
}

async fn sign_in(driver: &WebDriver, base: &str, login: &str) -> WebDriverResult<()> {
    driver.goto(format!("{base}/login")).await?;
    wait_for(driver, "#login").await?.send_keys(login).await?;
    driver.find(By::Css("#password")).await?.send_keys(FIXTURE_PASSWORD).await?;
    driver.find(By::Css("form[action='/login'] button[type=submit]")).await?.click().await?;
    let whoami = wait_for(driver, "header .signout .whoami").await?;
    let who = text_of(&whoami).await?;
    assert!(who.starts_with(login), "signed in as {login:?}, but the header says {who:?}");
    Ok(())
}

/// Types `query` into the look-up box and returns the cells of the result row for `address`.
async fn look_up(
    driver: &WebDriver,
    base: &str,
    query: &str,
    address: &str,
) -> WebDriverResult<Vec<WebElement>> {
    driver.goto(format!("{base}/lookup")).await?;
    let q = wait_for(driver, "#q").await?;
    q.send_keys(query).await?;
    driver.find(By::Css("form.inline-search button[type=submit]")).await?.click().await?;
    wait_for(driver, "table.lookup tbody tr").await?;
    for row in driver.find_all(By::Css("table.lookup tbody tr")).await? {
        let cells = row.find_all(By::Css("td")).await?;
        if let Some(first) = cells.first()
            && text_of(first).await? == address
        {
            return Ok(cells);
        }
    }
    panic!("no look-up row for {address} after searching {query:?}:\n{}", driver.source().await?);
}

/// Clicks the address link of a look-up row and returns the Edit Mailbox status element.
async fn open_mailbox(driver: &WebDriver, cells: &[WebElement]) -> WebDriverResult<WebElement> {
    cells[0].find(By::Css("a")).await?.click().await?;
    let heading = wait_for(driver, "main h1").await?;
    assert_eq!(text_of(&heading).await?, "Edit Mailbox");
    wait_for(driver, "#mailbox-status .status").await
}

async fn support_sees_the_suspension(
    driver: WebDriver,
    base: String,
    backend: String,
) -> WebDriverResult<()> {
    sign_in(&driver, &base, "support").await?;

    // The look-up: a part of the address finds the mailbox, with its place and status.
    let cells = look_up(&driver, &base, "anna@alp", "anna@alpha.example").await?;
    let texts = {
        let mut texts = Vec::new();
        for cell in &cells {
            texts.push(text_of(cell).await?);
        }
        texts
    };
    assert_eq!(texts[0], "anna@alpha.example", "row: {texts:?}");
    assert_eq!(texts[2], "Alpha Mail", "row: {texts:?}");
    assert_eq!(texts[3], "alpha.example", "row: {texts:?}");
    assert_eq!(texts[4], "Some Services Disabled", "row: {texts:?}");
    assert!(texts[5].contains("Send Mail: Suspended"), "row: {texts:?}");
    let row_status = cells[4].find(By::Css(".status")).await?;
    assert_eq!(computed_color(&driver, &row_status).await?, RED, "look-up status colour");
    screenshot(&driver, &format!("lookup-{backend}.png")).await?;

    // Edit Mailbox: the status is the words and the colour.
    let status = open_mailbox(&driver, &cells).await?;
    assert_eq!(status.text().await?, "Some Services Disabled");
    assert_eq!(computed_color(&driver, &status).await?, RED, "Edit Mailbox status colour (getComputedStyle)");
    assert_eq!(status.css_value("color").await?, RED_RGBA, "Edit Mailbox status colour (WebDriver)");
    let address = driver.find(By::Css("dl.facts dd")).await?;
    assert_eq!(text_of(&address).await?, "anna@alpha.example");
    let suspended = driver.find(By::Css(".service .svc-suspended")).await?;
    assert!(text_of(&suspended).await?.starts_with("Send Mail: Suspended (abuse measure"));
    screenshot(&driver, &format!("edit-mailbox-suspended-{backend}.png")).await?;

    // A mailbox with every service on is "Active", and not red.
    let cells = look_up(&driver, &base, "otto@alp", "otto@alpha2.example").await?;
    assert_eq!(text_of(&cells[4]).await?, "Active");
    let status = open_mailbox(&driver, &cells).await?;
    assert_eq!(status.text().await?, "Active");
    let color = computed_color(&driver, &status).await?;
    assert_ne!(color, RED, "an Active status must not be red");
    assert_ne!(status.css_value("color").await?, RED_RGBA, "an Active status must not be red");
    screenshot(&driver, &format!("edit-mailbox-active-{backend}.png")).await?;
    Ok(())
}

db_tests! {
    async fn support_sees_a_suspended_service_in_red_in_a_real_browser(app: TestApp) {
        let fixture = seed_fixture(&app.db).await;
        suspend_send_mail(&app.db, fixture.mailbox_a).await;

        let backend = format!("{:?}", app.backend).to_lowercase();
        let chromedriver = Chromedriver::start(&backend).await;
        let driver = WebDriver::new(chromedriver.url.clone(), chromedriver.capabilities())
            .await
            .unwrap_or_else(|e| panic!("cannot start headless Chromium through chromedriver: {e}"));
        // run_and_quit quits the browser after the scenario, also when an assertion panics.
        driver
            .run_and_quit(|driver| support_sees_the_suspension(driver, app.address.clone(), backend))
            .await
            .unwrap_or_else(|e| panic!("browser scenario failed: {e:?}"));
        drop(chromedriver);
    }
}
