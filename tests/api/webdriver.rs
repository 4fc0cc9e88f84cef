//! The WebDriver harness of the browser tests: a headless Chromium over WebDriver.
//!
//! [`run_in_browser`] starts its own chromedriver (Debian's `chromium-driver`) on a free port,
//! with a Drop guard and a fresh browser profile, and runs a scenario in a headless Chromium.
//! The helpers below sign in and out, wait for elements and pages, read texts, rows and computed
//! colours, and take screenshots (they land in `target/screenshots/`).
use crate::helpers::FIXTURE_PASSWORD;
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
pub(crate) const RED: &str = "rgb(200, 30, 40)";
/// The same colour as WebDriver's "Get Element CSS Value" reports it.
pub(crate) const RED_RGBA: &str = "rgba(200, 30, 40, 1)";

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

/// Starts chromedriver (its scratch directory named after `label`) and a headless Chromium with
/// a fresh profile, runs `scenario` in it, and fails the test if the scenario fails. The browser
/// is quit and the driver killed afterwards, also when an assertion in the scenario panics.
pub(crate) async fn run_in_browser<F, Fut>(label: &str, scenario: F)
where
    F: FnOnce(WebDriver) -> Fut,
    Fut: Future<Output = WebDriverResult<()>>,
{
    let chromedriver = Chromedriver::start(label).await;
    let driver = WebDriver::new(chromedriver.url.clone(), chromedriver.capabilities())
        .await
        .unwrap_or_else(|e| panic!("cannot start headless Chromium through chromedriver: {e}"));
    // run_and_quit quits the browser after the scenario, also when an assertion panics.
    driver.run_and_quit(scenario).await.unwrap_or_else(|e| panic!("browser scenario failed: {e:?}"));
    drop(chromedriver);
}

fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("create target/screenshots");
    dir
}

/// Saves a screenshot of the current page as `target/screenshots/{name}`.
pub(crate) async fn screenshot(driver: &WebDriver, name: &str) -> WebDriverResult<PathBuf> {
    let path = screenshot_dir().join(name);
    driver.screenshot(&path).await?;
    Ok(path)
}

/// Waits (up to the default poller's limit) for an element of a page that is loading.
pub(crate) async fn wait_for(driver: &WebDriver, css: &str) -> WebDriverResult<WebElement> {
    driver.query(By::Css(css)).desc(css).first().await
}

/// Every element matching `css` on the current page (none is fine).
pub(crate) async fn all(driver: &WebDriver, css: &str) -> WebDriverResult<Vec<WebElement>> {
    driver.find_all(By::Css(css)).await
}

/// The text of an element with its whitespace collapsed.
pub(crate) async fn text_of(element: &WebElement) -> WebDriverResult<String> {
    Ok(element.text().await?.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The texts of elements, each with its whitespace collapsed.
pub(crate) async fn texts_of(elements: &[WebElement]) -> WebDriverResult<Vec<String>> {
    let mut texts = Vec::with_capacity(elements.len());
    for element in elements {
        texts.push(text_of(element).await?);
    }
    Ok(texts)
}

/// The colour the browser renders `element` in (`getComputedStyle`), as `rgb(r, g, b)`.
pub(crate) async fn computed_color(driver: &WebDriver, element: &WebElement) -> WebDriverResult<String> {
    let ret =
        driver.execute("return getComputedStyle(arguments[0]).color;", vec![element.to_json()?]).await?;
    ret.convert::<String>()
}

/// Clicks `element` and waits until the page it was on has gone (the next page is loading or
/// loaded), also when the next page has the same URL (a form that redirects back to itself).
pub(crate) async fn click_and_wait(driver: &WebDriver, element: &WebElement) -> WebDriverResult<()> {
    let old_page = driver.find(By::Css("html")).await?;
    element.click().await?;
    old_page.wait_until().stale().await
}

/// The heading of the current page, once it is there.
pub(crate) async fn heading(driver: &WebDriver) -> WebDriverResult<String> {
    text_of(&wait_for(driver, "main h1").await?).await
}

/// The path of the current URL.
pub(crate) async fn path_of(driver: &WebDriver) -> WebDriverResult<String> {
    Ok(driver.current_url().await?.path().to_owned())
}

/// Signs in as fixture admin `login` (fixture password) and checks the header names them.
pub(crate) async fn sign_in(driver: &WebDriver, base: &str, login: &str) -> WebDriverResult<()> {
    driver.goto(format!("{base}/login")).await?;
    wait_for(driver, "#login").await?.send_keys(login).await?;
    driver.find(By::Css("#password")).await?.send_keys(FIXTURE_PASSWORD).await?;
    let submit = driver.find(By::Css("form[action='/login'] button[type=submit]")).await?;
    click_and_wait(driver, &submit).await?;
    let whoami = wait_for(driver, "header .signout .whoami").await?;
    let who = text_of(&whoami).await?;
    assert!(who.starts_with(login), "signed in as {login:?}, but the header says {who:?}");
    Ok(())
}

/// Signs out with the header's Sign out button (from the front page, which has the header).
pub(crate) async fn sign_out(driver: &WebDriver, base: &str) -> WebDriverResult<()> {
    driver.goto(format!("{base}/")).await?;
    let button = wait_for(driver, "header form.signout button[type=submit]").await?;
    assert_eq!(text_of(&button).await?, "Sign out");
    click_and_wait(driver, &button).await?;
    wait_for(driver, "#login").await?;
    assert!(all(driver, "header .signout").await?.is_empty(), "still signed in after Sign out");
    Ok(())
}

/// The cells of the `<tr>` of the table matching `table_css` whose first cell reads
/// `first_cell`, once the table has a row; `None` if no row does.
pub(crate) async fn find_row(
    driver: &WebDriver,
    table_css: &str,
    first_cell: &str,
) -> WebDriverResult<Option<Vec<WebElement>>> {
    wait_for(driver, &format!("{table_css} tbody tr")).await?;
    for row in all(driver, &format!("{table_css} tbody tr")).await? {
        let cells = row.find_all(By::Css("td")).await?;
        if let Some(first) = cells.first()
            && text_of(first).await? == first_cell
        {
            return Ok(Some(cells));
        }
    }
    Ok(None)
}

/// Like [`find_row`], but fails the test (showing the page) if there is no such row.
pub(crate) async fn row_of(
    driver: &WebDriver,
    table_css: &str,
    first_cell: &str,
) -> WebDriverResult<Vec<WebElement>> {
    match find_row(driver, table_css, first_cell).await? {
        Some(cells) => Ok(cells),
        None => panic!("no row for {first_cell} in {table_css}:\n{}", driver.source().await?),
    }
}
