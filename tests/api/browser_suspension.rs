//! A soft-suspension handled end to end in a real browser (headless Chromium over WebDriver).
//!
//! A company admin signs in, opens a suspended mailbox from the red entry in the domain's
//! mailbox list, lifts the suspension on its Status page, adds an abuse contact with New
//! Contact, and is refused the deletion of a mailbox that is still suspended. Then the support
//! role looks the mailbox up: it sees the reason, who can lift it and what to tell the customer,
//! and no control to change anything. Screenshots land in `target/screenshots/`. The harness is
//! in `webdriver.rs`.
use crate::db_tests;
use crate::helpers::*;
use crate::webdriver::*;
use thirtyfour::components::SelectElement;
use thirtyfour::prelude::*;

/// The plain-words label of `SuspensionReason::SpamComplaints`, as `suspend_send_mail` sets it.
const REASON: &str = "spam complaints from recipients";
const ANNA: &str = "anna@alpha.example";
const OTTO: &str = "otto@alpha2.example";
const ABUSE_NAME: &str = "Abuse desk";
const ABUSE_EMAIL: &str = "abuse@alpha.example";

/// Step 2: from the red entry in the domain's list to a lifted suspension.
async fn lift_from_the_red_entry(
    driver: &WebDriver,
    base: &str,
    fixture: &Fixture,
    backend: &str,
) -> WebDriverResult<()> {
    driver.goto(format!("{base}/domains/{}", fixture.domain_a)).await?;
    assert_eq!(heading(driver).await?, "alpha.example");
    let cells = row_of(driver, "table.mailboxes", ANNA).await?;
    let status = cells[3].find(By::Css(".status")).await?;
    assert_eq!(text_of(&status).await?, "Some Services Disabled", "anna's status in the list");
    assert_eq!(computed_color(driver, &status).await?, RED, "anna's status in the list is red");

    // The red status is a link to Edit Mailbox.
    let link = cells[3].find(By::Css("a")).await?;
    click_and_wait(driver, &link).await?;
    assert_eq!(heading(driver).await?, "Edit Mailbox");
    assert_eq!(path_of(driver).await?, format!("/mailboxes/{}", fixture.mailbox_a));
    assert_eq!(text_of(&driver.find(By::Css("dl.facts dd")).await?).await?, ANNA);

    // Edit Mailbox → Status.
    let status_link = driver.find(By::Css("#status-link")).await?;
    assert_eq!(text_of(&status_link).await?, "Status");
    click_and_wait(driver, &status_link).await?;
    assert_eq!(heading(driver).await?, format!("Status of {ANNA}"));
    assert_eq!(path_of(driver).await?, format!("/mailboxes/{}/status", fixture.mailbox_a));

    let checkbox = wait_for(driver, "#suspend_send_mail").await?;
    assert!(checkbox.is_selected().await?, "Send Mail must be ticked (suspended) before the lift");
    assert!(checkbox.is_enabled().await?, "a company admin may untick Send Mail");
    let open = texts_of(&all(driver, "table.suspensions tbody tr").await?).await?;
    assert!(
        open.iter().any(|row| row.starts_with("Send Mail") && row.contains(REASON)),
        "the open suspension with its reason {REASON:?}: {open:?}"
    );
    let status = driver.find(By::Css("#mailbox-status .status")).await?;
    assert_eq!(text_of(&status).await?, "Some Services Disabled");
    assert_eq!(computed_color(driver, &status).await?, RED);
    screenshot(driver, &format!("suspension-status-before-{backend}.png")).await?;

    // Untick Send Mail and save: the suspension is lifted at once.
    checkbox.click().await?;
    assert!(!checkbox.is_selected().await?, "Send Mail is unticked");
    let save = driver.find(By::Css("#save-status")).await?;
    click_and_wait(driver, &save).await?;
    assert_eq!(heading(driver).await?, format!("Status of {ANNA}"));
    let flash = text_of(&wait_for(driver, "main .flash").await?).await?;
    assert!(
        flash.starts_with("Lifted:") && flash.contains("Send Mail"),
        "the flash should say Send Mail was lifted: {flash:?}"
    );
    let status = driver.find(By::Css("#mailbox-status .status")).await?;
    assert_eq!(text_of(&status).await?, "Active", "#mailbox-status after the lift");
    assert_ne!(computed_color(driver, &status).await?, RED, "an Active status must not be red");
    assert_eq!(text_of(&driver.find(By::Css("#mailbox-status")).await?).await?, "Status: Active");
    assert!(!driver.find(By::Css("#suspend_send_mail")).await?.is_selected().await?);
    assert!(all(driver, "table.suspensions").await?.is_empty(), "no open suspension is left");
    screenshot(driver, &format!("suspension-status-after-{backend}.png")).await?;
    Ok(())
}

/// Step 3: the missing abuse contact, added with New Contact.
async fn add_abuse_contact(
    driver: &WebDriver,
    base: &str,
    fixture: &Fixture,
    backend: &str,
) -> WebDriverResult<()> {
    driver.goto(format!("{base}/companies/{}/edit", fixture.company_a)).await?;
    assert_eq!(heading(driver).await?, "Edit Company: Alpha Mail");
    let warning = text_of(&wait_for(driver, "#no-abuse-contact").await?).await?;
    assert!(warning.contains("no abuse contact"), "warning: {warning:?}");

    let new_contact = driver.find(By::Css("#new-contact")).await?;
    assert_eq!(text_of(&new_contact).await?, "New Contact");
    click_and_wait(driver, &new_contact).await?;
    assert_eq!(heading(driver).await?, "New Contact for Alpha Mail");
    let kind = SelectElement::new(&wait_for(driver, "#kind").await?).await?;
    kind.select_by_value("abuse").await?;
    driver.find(By::Css("#name")).await?.send_keys(ABUSE_NAME).await?;
    driver.find(By::Css("#email")).await?.send_keys(ABUSE_EMAIL).await?;
    let save = driver.find(By::Css("main form button[type=submit]")).await?;
    assert_eq!(text_of(&save).await?, "Save contact");
    click_and_wait(driver, &save).await?;

    // Back on Edit Company: the contact at the bottom, the warning gone.
    assert_eq!(heading(driver).await?, "Edit Company: Alpha Mail");
    assert_eq!(path_of(driver).await?, format!("/companies/{}/edit", fixture.company_a));
    let flash = text_of(&wait_for(driver, "main .flash").await?).await?;
    assert!(flash.contains(ABUSE_EMAIL), "flash: {flash:?}");
    let cells = texts_of(&row_of(driver, "table.contacts", "Abuse").await?).await?;
    assert_eq!(cells[1], ABUSE_NAME, "contact row: {cells:?}");
    assert_eq!(cells[2], ABUSE_EMAIL, "contact row: {cells:?}");
    let at_bottom = driver
        .execute(
            "const form = document.querySelector('main form.card');
             const table = document.querySelector('main table.contacts');
             return !!(form && table && (form.compareDocumentPosition(table) & Node.DOCUMENT_POSITION_FOLLOWING));",
            vec![],
        )
        .await?
        .convert::<bool>()?;
    assert!(at_bottom, "the contacts table comes after the company form");
    assert!(all(driver, "#no-abuse-contact").await?.is_empty(), "the no-abuse-contact warning is gone");
    screenshot(driver, &format!("suspension-contact-added-{backend}.png")).await?;
    Ok(())
}

/// Step 4: a suspended mailbox offers no plain Delete, and the delete URL refuses.
async fn delete_is_refused(
    driver: &WebDriver,
    base: &str,
    fixture: &Fixture,
    backend: &str,
) -> WebDriverResult<()> {
    let id = fixture.mailbox_a2;
    driver.goto(format!("{base}/mailboxes/{id}")).await?;
    assert_eq!(heading(driver).await?, "Edit Mailbox");
    assert_eq!(text_of(&driver.find(By::Css("dl.facts dd")).await?).await?, OTTO);
    assert_eq!(
        text_of(&driver.find(By::Css("#mailbox-status .status")).await?).await?,
        "Some Services Disabled"
    );
    let danger = all(driver, ".heading .actions a.danger").await?;
    assert_eq!(danger.len(), 1, "one danger action on Edit Mailbox");
    assert_eq!(text_of(&danger[0]).await?, "Delete… (lift first)");
    let href = danger[0].attr("href").await?.unwrap_or_default();
    assert_eq!(href, format!("/mailboxes/{id}/status"), "the Delete… button leads to Status");
    let delete_links = all(driver, &format!("a[href$='/mailboxes/{id}/delete']")).await?;
    assert!(delete_links.is_empty(), "Edit Mailbox of a suspended mailbox must not link to Delete");
    let buttons = texts_of(&all(driver, "main button, main a.button").await?).await?;
    assert!(!buttons.iter().any(|b| b == "Delete"), "no plain Delete control: {buttons:?}");

    // Straight to the delete URL: refused, naming the mailbox and what to do.
    driver.goto(format!("{base}/mailboxes/{id}/delete")).await?;
    assert_eq!(heading(driver).await?, "Not possible");
    let title = driver.title().await?;
    assert!(title.starts_with("Not possible"), "title: {title:?}");
    let message = text_of(&driver.find(By::Css("main h1 + p")).await?).await?;
    assert!(message.contains(OTTO), "the refusal names {OTTO}: {message:?}");
    assert!(message.contains("lift the suspension"), "the refusal says to lift first: {message:?}");
    assert!(all(driver, "main form").await?.is_empty(), "the refusal offers no form");
    screenshot(driver, &format!("suspension-delete-refused-{backend}.png")).await?;
    Ok(())
}

/// Step 5: the support desk sees why and who, and can change nothing.
async fn support_sees_reason_and_no_buttons(
    driver: &WebDriver,
    base: &str,
    fixture: &Fixture,
    backend: &str,
) -> WebDriverResult<()> {
    driver.goto(format!("{base}/lookup")).await?;
    let q = wait_for(driver, "#q").await?;
    q.send_keys("otto@alp").await?;
    let look_up = driver.find(By::Css("form.inline-search button[type=submit]")).await?;
    click_and_wait(driver, &look_up).await?;
    let cells = row_of(driver, "table.lookup", OTTO).await?;
    let texts = texts_of(&cells).await?;
    assert_eq!(texts[2], "Alpha Mail", "row: {texts:?}");
    assert_eq!(texts[3], "alpha2.example", "row: {texts:?}");
    assert_eq!(texts[4], "Some Services Disabled", "row: {texts:?}");
    let status = cells[4].find(By::Css(".status")).await?;
    assert_eq!(computed_color(driver, &status).await?, RED, "look-up status colour");

    let desk = &cells[5];
    let why = text_of(&desk.find(By::Css(".why")).await?).await?;
    assert!(why.contains(REASON), "the reason in plain words: {why:?}");
    let who = text_of(&desk.find(By::Css(".who")).await?).await?;
    assert!(who.contains("comp-a (company admin)"), "who can lift it: {who:?}");
    let script = text_of(&desk.find(By::Css(".script")).await?).await?;
    assert!(script.starts_with("Tell the customer:"), "script: {script:?}");
    let lower = script.to_lowercase();
    assert!(
        !lower.contains("spam") && !lower.contains("suspend"),
        "the customer must not be told why: {script:?}"
    );

    // Nothing to press but the look-up and Sign out.
    let forms = all(driver, "form").await?;
    let mut actions = Vec::new();
    for form in &forms {
        actions.push(form.attr("action").await?.unwrap_or_default());
    }
    actions.sort();
    assert_eq!(actions, ["/logout", "/lookup"], "forms on the look-up page");
    let buttons = texts_of(&all(driver, "button, input[type=submit], input[type=button]").await?).await?;
    assert_eq!(buttons.len(), 2, "buttons on the look-up page: {buttons:?}");
    assert!(
        buttons.contains(&"Look up".to_owned()) && buttons.contains(&"Sign out".to_owned()),
        "{buttons:?}"
    );
    assert!(all(driver, "main a.button").await?.is_empty(), "no button-styled links on the look-up page");
    screenshot(driver, &format!("suspension-support-lookup-{backend}.png")).await?;

    // otto's Status page, read-only.
    let id = fixture.mailbox_a2;
    driver.goto(format!("{base}/mailboxes/{id}/status")).await?;
    assert_eq!(heading(driver).await?, format!("Status of {OTTO}"));
    let open = texts_of(&all(driver, "table.suspensions tbody tr").await?).await?;
    assert!(open.iter().any(|row| row.contains(REASON)), "support sees the reason: {open:?}");
    let checkboxes = all(driver, "#status-form input[type=checkbox]").await?;
    assert!(!checkboxes.is_empty(), "the Status page lists the services");
    for checkbox in &checkboxes {
        let name = checkbox.attr("name").await?.unwrap_or_default();
        assert!(!checkbox.is_enabled().await?, "{name} must be disabled for support");
    }
    assert!(driver.find(By::Css("#suspend_send_mail")).await?.is_selected().await?);
    for css in [
        "#save-status",
        "#lift-now",
        "form[action$='/lift']",
        "form[action$='/educate']",
        "a[href$='/lift-and-delete']",
        "a[href$='/delete']",
        "main button",
        "main input[type=submit]",
        "main a.button",
    ] {
        assert!(all(driver, css).await?.is_empty(), "support must not see {css} on the Status page");
    }
    let main = text_of(&driver.find(By::Css("main")).await?).await?;
    for control in ["Lift now", "Educate and lift", "Delete the account"] {
        assert!(!main.contains(control), "support must not be offered {control:?}");
    }
    let buttons = texts_of(&all(driver, "button").await?).await?;
    assert_eq!(buttons, ["Sign out"], "the only button is the header's Sign out");
    screenshot(driver, &format!("suspension-support-status-{backend}.png")).await?;
    Ok(())
}

async fn scenario(driver: WebDriver, base: String, fixture: Fixture, backend: String) -> WebDriverResult<()> {
    sign_in(&driver, &base, "comp-a").await?;
    lift_from_the_red_entry(&driver, &base, &fixture, &backend).await?;
    add_abuse_contact(&driver, &base, &fixture, &backend).await?;
    delete_is_refused(&driver, &base, &fixture, &backend).await?;
    sign_out(&driver, &base).await?;
    sign_in(&driver, &base, "support").await?;
    support_sees_reason_and_no_buttons(&driver, &base, &fixture, &backend).await?;
    Ok(())
}

db_tests! {
    async fn company_admin_lifts_and_support_only_reads_in_a_real_browser(app: TestApp) {
        let fixture = seed_fixture(&app.db).await;
        suspend_send_mail(&app.db, fixture.mailbox_a).await;
        suspend_send_mail(&app.db, fixture.mailbox_a2).await;

        let backend = format!("{:?}", app.backend).to_lowercase();
        let base = app.address.clone();
        let label = format!("suspension-{backend}");
        run_in_browser(&label, |driver| scenario(driver, base, fixture, backend)).await;
    }
}
