//! End to end with real mail servers: a private Postfix and Dovecot (`mail_stack`) configured
//! from what `mailadmin mail-config postfix|dovecot` prints for the test's database. Mail goes in
//! over SMTP (swaks → Postfix → LMTP → Dovecot) and is read over IMAP and POP3 (Python's
//! imaplib/poplib), while the dashboard changes mailboxes, aliases, forwards and domains through
//! its forms. Every change is seen by the next SMTP connection or login: nothing is cached.
use crate::db_tests;
use crate::helpers::{Client, FIXTURE_MAILBOX_PASSWORD, Page, seed_fixture};
use crate::mail_stack::MailStack;
use mailadmin::domain::{LiftKind, Service, SuspensionReason};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

const PASSWORD: &str = FIXTURE_MAILBOX_PASSWORD;
/// What Dovecot answers to a wrong password, and to a login whose service is off.
const IMAP_AUTH_FAILED: &str = "[AUTHENTICATIONFAILED] Authentication failed.";

fn subjects(list: &[&str]) -> Result<Vec<String>, String> {
    Ok(list.iter().map(|s| (*s).to_owned()).collect())
}

fn id_from(page: &Page, prefix: &str) -> i32 {
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let location = page.location.as_deref().unwrap_or_default();
    location.strip_prefix(prefix).and_then(|id| id.parse().ok()).unwrap_or_else(|| panic!("{location:?}"))
}

fn saved(page: &Page) {
    assert_eq!(page.status, StatusCode::SEE_OTHER, "not saved:\n{}", page.body);
}

/// Edit Mailbox as a browser posts it: every service ticked but those in `off`.
async fn edit_mailbox(client: &Client, id: i32, quota_mb: &str, off: &[Service]) {
    let keys: Vec<String> =
        Service::ALL.into_iter().filter(|s| !off.contains(s)).map(|s| format!("svc_{}", s.key())).collect();
    let mut fields = vec![("display_name", "Test User"), ("quota_mb", quota_mb)];
    fields.extend(keys.iter().map(|k| (k.as_str(), "on")));
    saved(&client.post(&format!("/mailboxes/{id}"), &fields).await);
}

/// Edit Domain: the checkbox `active` is sent only when ticked.
async fn edit_domain(client: &Client, id: i32, name: &str, active: bool) {
    let mut fields = vec![("name", name)];
    if active {
        fields.push(("active", "1"));
    }
    saved(&client.post(&format!("/domains/{id}/edit"), &fields).await);
}

/// The row Dovecot's quota_clone wrote: (bytes, messages).
async fn quota_usage(db: &DatabaseConnection, address: &str) -> Option<(i64, i64)> {
    let sql = format!(
        "SELECT CAST(bytes AS BIGINT) AS bytes, CAST(messages AS BIGINT) AS messages \
         FROM mailbox_quota_usage WHERE address = '{address}'"
    );
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap()?;
    Some((row.try_get("", "bytes").unwrap(), row.try_get("", "messages").unwrap()))
}

/// The usage row once it counts `messages` (quota_clone writes it while LMTP delivers; a
/// second at most is allowed for its write to land), as (bytes, messages).
async fn usage_after(db: &DatabaseConnection, address: &str, messages: i64, stack: &MailStack) -> (i64, i64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        let usage = quota_usage(db, address).await;
        if usage.is_some_and(|(_, m)| m == messages) || std::time::Instant::now() > deadline {
            return usage
                .unwrap_or_else(|| panic!("no mailbox_quota_usage row for {address}:\n{}", stack.logs()));
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

db_tests! {
    async fn mail_delivery_to_a_new_mailbox_and_its_imap_and_pop3_switches(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let admin = app.signed_in("comp-a").await;
        let carla_password = "carla-long-password";
        let page = admin
            .post(
                &format!("/domains/{}/mailboxes/new", f.domain_a),
                &[("local_part", "carla"), ("display_name", "Carla Meyer"), ("password", carla_password), ("confirm", carla_password)],
            )
            .await;
        let carla = id_from(&page, "/mailboxes/");
        let stack = MailStack::start(&app.database_url);
        let address = "carla@alpha.example";

        // SMTP → Postfix → LMTP → Dovecot; read over IMAP and POP3 with the form's password.
        stack.deliver_to(address, "Hello Carla", &[address]);
        let inbox = subjects(&["Hello Carla"]);
        assert_eq!(stack.imap(address, carla_password), inbox, "{}", stack.logs());
        assert_eq!(stack.pop3(address, carla_password), inbox);
        assert_eq!(stack.imap_failing(address, "not-the-password"), Err(IMAP_AUTH_FAILED.into()));

        // Connect via IMAP4 unticked on Edit Mailbox: the next IMAP login fails exactly like a
        // wrong password; POP3 still works. Ticked again: IMAP works again.
        edit_mailbox(&admin, carla, "0", &[Service::Imap]).await;
        assert_eq!(stack.imap_failing(address, carla_password), Err(IMAP_AUTH_FAILED.into()));
        assert_eq!(stack.pop3(address, carla_password), inbox);
        edit_mailbox(&admin, carla, "0", &[]).await;
        assert_eq!(stack.imap(address, carla_password), inbox);

        // Soft-suspended (an abuse measure) it behaves the same; lifted, IMAP works again.
        let system = mailadmin::services::access::admins::system_actor("test");
        mailadmin::services::suspension::actions::suspend(
            &app.db, &system, carla, &[Service::Imap], SuspensionReason::Manual, "IMAP brute-force source",
        )
        .await
        .unwrap();
        assert_eq!(stack.imap_failing(address, carla_password), Err(IMAP_AUTH_FAILED.into()));
        assert_eq!(stack.pop3(address, carla_password), inbox);
        mailadmin::services::suspension::actions::lift(&app.db, &system, carla, &[Service::Imap], LiftKind::Lifted, None)
            .await
            .unwrap();
        assert_eq!(stack.imap(address, carla_password), inbox);
    }

    async fn mail_delivery_through_aliases_catch_alls_and_forwards(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let admin = app.signed_in("comp-a").await;
        let (anna, otto) = ("anna@alpha.example", "otto@alpha2.example");
        saved(&admin.post(&format!("/domains/{}/aliases/new", f.domain_a), &[("local_part", "sales"), ("targets", otto)]).await);
        saved(&admin.post(&format!("/domains/{}/aliases/new", f.domain_a2), &[("local_part", "*"), ("targets", anna)]).await);
        let stack = MailStack::start(&app.database_url);

        // An alias delivers to its hosted target.
        let deliveries = stack.deliver("sales@alpha.example", "For sales", None);
        assert_eq!(deliveries.len(), 1, "{deliveries:#?}");
        assert_eq!((deliveries[0].to.as_str(), deliveries[0].orig_to.as_deref()), (otto, Some("sales@alpha.example")));
        assert_eq!(deliveries[0].status, "sent", "{deliveries:#?}");
        // The catch-all of alpha2.example takes an unknown address, not its real mailbox's mail.
        stack.deliver_to("nobody@alpha2.example", "For nobody", &[anna]);
        stack.deliver_to(otto, "For otto", &[otto]);

        // A forward keeping a copy delivers to both; without the copy only to the target.
        let forward = format!("/mailboxes/{}/forward", f.mailbox_a);
        saved(&admin.post(&forward, &[("targets", otto), ("keep_copy", "1")]).await);
        stack.deliver_to(anna, "Forwarded with a copy", &[anna, otto]);
        saved(&admin.post(&forward, &[("targets", otto)]).await);
        stack.deliver_to(anna, "Forwarded only", &[otto]);

        assert_eq!(stack.imap(anna, PASSWORD), subjects(&["For nobody", "Forwarded with a copy"]), "{}", stack.logs());
        assert_eq!(
            stack.imap(otto, PASSWORD),
            subjects(&["For sales", "For otto", "Forwarded with a copy", "Forwarded only"])
        );
    }

    async fn mail_delivery_follows_domain_activity_quota_and_deletion(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let admin = app.signed_in("comp-a").await;
        let (anna, otto) = ("anna@alpha.example", "otto@alpha2.example");
        let stack = MailStack::start(&app.database_url);

        // A domain made inactive: Postfix refuses its mail at RCPT; active again, it accepts.
        edit_domain(&admin, f.domain_a2, "alpha2.example", false).await;
        let sent = stack.send(otto, "While inactive", None);
        assert_eq!(sent.code, 24, "not refused at RCPT:\n{}", sent.dialogue);
        assert!(sent.dialogue.contains("554 5.7.1 <otto@alpha2.example>: Relay access denied"), "{}", sent.dialogue);
        edit_domain(&admin, f.domain_a2, "alpha2.example", true).await;
        stack.deliver_to(otto, "Active again", &[otto]);
        assert_eq!(stack.imap(otto, PASSWORD), subjects(&["Active again"]));

        // Dovecot's quota_clone writes each delivery's usage back into mailbox_quota_usage.
        assert_eq!(quota_usage(&app.db, anna).await, None);
        stack.deliver_to(anna, "First", &[anna]);
        let (first_bytes, messages) = usage_after(&app.db, anna, 1, &stack).await;
        assert!(first_bytes > 0 && messages == 1, "{first_bytes} bytes, {messages} messages");
        stack.deliver_to(anna, "Second", &[anna]);
        let (bytes, messages) = usage_after(&app.db, anna, 2, &stack).await;
        assert!(bytes > first_bytes && messages == 2, "{bytes} bytes, {messages} messages");

        // Over quota: 1 MB set on Edit Mailbox, a message of 1.2 MB is refused by LMTP at the end
        // of DATA (Postfix accepted it and bounces it); the usage stays as it was.
        edit_mailbox(&admin, f.mailbox_a, "1", &[]).await;
        let big = stack.body_file(1_200_000);
        let deliveries = stack.deliver(anna, "Too big", Some(&big));
        assert_eq!(deliveries.len(), 1, "{deliveries:#?}");
        assert_eq!(deliveries[0].status, "bounced", "{deliveries:#?}");
        assert!(
            deliveries[0].line.contains(
                "said: 552 5.2.2 <anna@alpha.example> Quota exceeded (mailbox for user is full) (in reply to end of DATA command)"
            ),
            "{deliveries:#?}"
        );
        assert_eq!(quota_usage(&app.db, anna).await, Some((bytes, 2)));
        assert_eq!(stack.imap(anna, PASSWORD), subjects(&["First", "Second"]));

        // A mailbox deleted in the dashboard is refused at RCPT at once.
        saved(&admin.post(&format!("/mailboxes/{}/delete", f.mailbox_a2), &[]).await);
        let sent = stack.send(otto, "After deletion", None);
        assert_eq!(sent.code, 24, "not refused at RCPT:\n{}", sent.dialogue);
        assert!(
            sent.dialogue.contains("550 5.1.1 <otto@alpha2.example>: Recipient address rejected: User unknown in virtual mailbox table"),
            "{}",
            sent.dialogue
        );
    }
}
