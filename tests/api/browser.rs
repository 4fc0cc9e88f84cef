//! A real browser (headless Chromium over WebDriver) using the dashboard.
//!
//! The test starts its own chromedriver (the harness is in `webdriver.rs`), drives a headless
//! Chromium with a fresh profile through the sign-in, the mailbox look-up and the Edit Mailbox
//! page, and checks what a support admin actually sees: the status text and its colour.
//! Screenshots land in `target/screenshots/`.
use crate::db_tests;
use crate::helpers::*;
use crate::webdriver::*;
use thirtyfour::prelude::*;

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
    match find_row(driver, "table.lookup", address).await? {
        Some(cells) => Ok(cells),
        None => panic!("no look-up row for {address} after searching {query:?}:\n{}", driver.source().await?),
    }
}

/// Clicks the address link of a look-up row and returns the Edit Mailbox status element.
async fn open_mailbox(driver: &WebDriver, cells: &[WebElement]) -> WebDriverResult<WebElement> {
    cells[0].find(By::Css("a")).await?.click().await?;
    assert_eq!(heading(driver).await?, "Edit Mailbox");
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
    let texts = texts_of(&cells).await?;
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
        let base = app.address.clone();
        run_in_browser(&backend, |driver| support_sees_the_suspension(driver, base, backend.clone())).await;
    }
}
