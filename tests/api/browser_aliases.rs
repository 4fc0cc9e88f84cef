//! A domain admin, in a real browser, sets up an alias and a mailbox's forward: from the domain
//! page through the forms, a refused form keeping what was typed, to the alias list.
use crate::db_tests;
use crate::helpers::*;
use crate::webdriver::*;
use thirtyfour::prelude::*;

async fn domain_admin_sets_up_an_alias_and_a_forward(
    driver: WebDriver,
    base: String,
    (domain_id, mailbox_id): (i32, i32),
    backend: String,
) -> WebDriverResult<()> {
    sign_in(&driver, &base, "dom-a").await?;
    driver.goto(format!("{base}/domains/{domain_id}")).await?;
    click_and_wait(&driver, &driver.find(By::Id("domain-aliases-link")).await?).await?;
    assert_eq!(heading(&driver).await?, "Aliases of alpha.example");
    click_and_wait(&driver, &driver.find(By::LinkText("New alias")).await?).await?;

    // A typo in a target: refused, with the reason beside the field and the input kept.
    wait_for(&driver, "#local_part").await?.send_keys("sales").await?;
    driver.find(By::Id("targets")).await?.send_keys("anna@alpha.example\npartner@elsewhere").await?;
    click_and_wait(&driver, &driver.find(By::Css("form.card button[type=submit]")).await?).await?;
    let error = wait_for(&driver, "#targets-error").await?;
    assert!(text_of(&error).await?.starts_with("\"partner@elsewhere\" is not an address"));
    assert_eq!(driver.find(By::Id("local_part")).await?.value().await?.as_deref(), Some("sales"));
    screenshot(&driver, &format!("alias-refused-{backend}.png")).await?;

    let targets = driver.find(By::Id("targets")).await?;
    targets.clear().await?;
    targets.send_keys("anna@alpha.example, partner@elsewhere.example").await?;
    click_and_wait(&driver, &driver.find(By::Css("form.card button[type=submit]")).await?).await?;
    assert_eq!(
        text_of(&wait_for(&driver, ".flash-success").await?).await?,
        "Alias sales@alpha.example created."
    );
    let row =
        find_row(&driver, "table.aliases", "sales@alpha.example").await?.expect("the new alias is listed");
    assert_eq!(text_of(&row[1]).await?, "anna@alpha.example, partner@elsewhere.example");
    screenshot(&driver, &format!("aliases-{backend}.png")).await?;

    // The mailbox's forward, from Edit Mailbox.
    driver.goto(format!("{base}/mailboxes/{mailbox_id}")).await?;
    click_and_wait(&driver, &driver.find(By::LinkText("Forward…")).await?).await?;
    wait_for(&driver, "#targets").await?.send_keys("anna@home.example").await?;
    // Keeping a copy is the default: no mail is lost by a forward set in haste.
    assert!(driver.find(By::Css("input[name=keep_copy]")).await?.is_selected().await?);
    click_and_wait(&driver, &driver.find(By::Css("form.card button[type=submit]")).await?).await?;
    let forward = wait_for(&driver, "#mailbox-forward").await?;
    assert_eq!(text_of(&forward).await?, "Forwards to anna@home.example and keeps a copy");
    screenshot(&driver, &format!("edit-mailbox-forward-{backend}.png")).await?;
    Ok(())
}

db_tests! {
    async fn a_domain_admin_sets_up_an_alias_and_a_forward_in_a_real_browser(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let backend = format!("{:?}", app.backend).to_lowercase();
        let base = app.address.clone();
        let ids = (f.domain_a, f.mailbox_a);
        run_in_browser(&backend, |driver| domain_admin_sets_up_an_alias_and_a_forward(driver, base, ids, backend.clone())).await;
    }
}
