//! End to end with a real Postfix: a private instance on loopback (`scripts/mailstack`), SASL
//! through Dovecot's auth service, `check_policy_service` pointing at a policy service this test
//! starts, every message discarded (nothing leaves the machine). The SMTP client is swaks.
use crate::db_tests;
use crate::helpers::seed_fixture;
use crate::policy::{Policy, spawn_policy};
use mailadmin::domain::Service;
use mailadmin::enforcement::limits::BreachAction;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

const MAILSTACK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/mailstack");
const PASSWORD: &str = "mailbox-password";

/// A running private Postfix + Dovecot, stopped when dropped.
struct MailStack {
    dir: PathBuf,
    ports: HashMap<String, String>,
}

impl MailStack {
    fn start(policy: &Policy, users: &[&str]) -> Self {
        let check = Command::new(MAILSTACK).arg("check").output().expect("run scripts/mailstack");
        assert!(
            check.status.success(),
            "the Postfix end-to-end tests need postfix, dovecot-core and swaks (scripts/test installs them):\n{}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        let dir = std::env::temp_dir().join(format!("ma-pf-{:08x}", rand::random::<u32>()));
        std::fs::create_dir_all(&dir).unwrap();
        let users_file = dir.join("users");
        let lines: Vec<String> = users.iter().map(|u| format!("{u}:{{PLAIN}}{PASSWORD}\n")).collect();
        std::fs::write(&users_file, lines.concat()).unwrap();
        let out = Command::new(MAILSTACK)
            .arg("start")
            .arg(&dir)
            .args(["--policy", &policy.address, "--users"])
            .arg(&users_file)
            .args(["--domains", "alpha.example,alpha2.example,beta.example"])
            .output()
            .expect("run scripts/mailstack start");
        assert!(
            out.status.success(),
            "scripts/mailstack start failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let ports = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        MailStack { dir, ports }
    }

    fn port(&self, name: &str) -> &str {
        self.ports.get(name).unwrap_or_else(|| panic!("no {name} from scripts/mailstack: {:?}", self.ports))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log/postfix.log")).unwrap_or_default()
    }
}

impl Drop for MailStack {
    fn drop(&mut self) {
        let _ = Command::new(MAILSTACK).arg("stop").arg(&self.dir).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What swaks saw: its exit status (0 sent, 24 refused at RCPT) and the whole dialogue.
struct Sent {
    code: i32,
    dialogue: String,
}

async fn swaks(port: &str, auth: Option<&str>, from: &str, to: &str) -> Sent {
    swaks_from("127.0.0.1", port, auth, from, to).await
}

/// From a given loopback address: 127.0.0.2 is the webmail host in these tests.
async fn swaks_from(client: &str, port: &str, auth: Option<&str>, from: &str, to: &str) -> Sent {
    let mut cmd = Command::new("swaks");
    cmd.args(["--server", &format!("127.0.0.1:{port}"), "--from", from, "--to", to, "--timeout", "30"]);
    cmd.args(["--local-interface", client]);
    if let Some(user) = auth {
        cmd.args(["--auth", "PLAIN", "--auth-user", user, "--auth-password", PASSWORD]);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output()).await.unwrap().expect("swaks runs");
    Sent {
        code: out.status.code().unwrap_or(-1),
        dialogue: format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    }
}

fn assert_sent(sent: &Sent, what: &str, stack: &MailStack) {
    assert_eq!(sent.code, 0, "{what}: not accepted:\n{}\n-- postfix log --\n{}", sent.dialogue, stack.log());
    assert!(sent.dialogue.contains("250 2.0.0 Ok: queued"), "{what}:\n{}", sent.dialogue);
}

fn assert_refused(sent: &Sent, reply: &str, what: &str) {
    assert_eq!(sent.code, 24, "{what}: not refused at RCPT:\n{}", sent.dialogue);
    assert!(sent.dialogue.contains(reply), "{what}: wanted {reply:?} in:\n{}", sent.dialogue);
}

db_tests! {
    async fn postfix_obeys_the_dashboard(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        crate::helpers::suspend_send_mail(&app.db, f.mailbox_a).await;
        crate::helpers::switch_off(&app.db, f.mailbox_a2, &[Service::ReceiveMail, Service::WebmailSend]).await;
        // Company A: two external recipients an hour per mailbox, then a pause.
        crate::helpers::set_company_limits(&app.db, f.company_a, None, Some(2), None, BreachAction::Defer).await;
        let policy = spawn_policy(&app.db, true).await;
        let stack = MailStack::start(&policy, &["anna@alpha.example", "otto@alpha2.example", "bert@beta.example"]);
        let submission = stack.port("SUBMISSION_PORT").to_owned();
        let smtp = stack.port("SMTP_PORT").to_owned();

        // An active mailbox sends; a suspended one sees only the generic 5.7.1.
        let sent = swaks(&submission, Some("bert@beta.example"), "bert@beta.example", "x@elsewhere.test").await;
        assert_sent(&sent, "bert, active", &stack);
        let sent = swaks(&submission, Some("anna@alpha.example"), "anna@alpha.example", "x@elsewhere.test").await;
        assert_refused(&sent, "554 5.7.1 <x@elsewhere.test>: Recipient address rejected: Sending failed", "anna, suspended");
        assert!(!sent.dialogue.to_lowercase().contains("suspend"), "the user is not told why:\n{}", sent.dialogue);

        // The company admin unticks Send Mail on the Status page: within a second anna sends.
        let admin = app.signed_in("comp-a").await;
        let page = admin.post(&format!("/mailboxes/{}/status", f.mailbox_a), &[]).await;
        assert_eq!(page.status, reqwest::StatusCode::SEE_OTHER, "{}", page.body);
        let lifted = Instant::now();
        tokio::time::sleep(Duration::from_secs(1).saturating_sub(lifted.elapsed())).await;
        let sent = swaks(&submission, Some("anna@alpha.example"), "anna@alpha.example", "x@elsewhere.test").await;
        assert_sent(&sent, "anna, one second after the lift", &stack);

        // Receive Mail off: refused at RCPT on port 25; others receive.
        let sent = swaks(&smtp, None, "someone@outside.test", "otto@alpha2.example").await;
        assert_refused(&sent, "550 5.2.1 <otto@alpha2.example>: Recipient address rejected: Mailbox unavailable", "otto, receive off");
        let sent = swaks(&smtp, None, "someone@outside.test", "bert@beta.example").await;
        assert_sent(&sent, "inbound to bert", &stack);

        // Send via Webmail off: refused from the webmail host, though SMTP from elsewhere works.
        let sent = swaks_from(crate::policy::WEBMAIL_LOOPBACK, &submission, Some("otto@alpha2.example"), "otto@alpha2.example", "x@elsewhere.test").await;
        assert_refused(&sent, "554 5.7.1 <x@elsewhere.test>: Recipient address rejected: Sending failed", "otto from webmail");

        // The hourly external limit: two external recipients go, the third is paused with a
        // temporary 4.7.1 while internal mail (a domain hosted here) still flows.
        for n in 1..=2 {
            let sent = swaks(&submission, Some("otto@alpha2.example"), "otto@alpha2.example", &format!("x{n}@elsewhere.test")).await;
            assert_sent(&sent, &format!("otto, external recipient {n} of 2"), &stack);
        }
        let sent = swaks(&submission, Some("otto@alpha2.example"), "otto@alpha2.example", "x3@elsewhere.test").await;
        assert_refused(&sent, "452 4.7.1 <x3@elsewhere.test>: Recipient address rejected: Too many recipients, try again later", "otto, third external");
        let sent = swaks(&submission, Some("otto@alpha2.example"), "otto@alpha2.example", "bert@beta.example").await;
        assert_sent(&sent, "otto, internal mail past the external limit", &stack);

        // With the policy service gone, Postfix applies the configured default action: a
        // temporary failure, nothing accepted unchecked.
        drop(policy);
        let sent = swaks(&submission, Some("bert@beta.example"), "bert@beta.example", "x@elsewhere.test").await;
        assert_eq!(sent.code, 24, "{}", sent.dialogue);
        assert!(sent.dialogue.contains("450 4.7.1") && sent.dialogue.contains("Service temporarily unavailable"), "{}", sent.dialogue);
    }
}
