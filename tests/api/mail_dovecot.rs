//! A real Dovecot reads mailadmin: its passdb and userdb are the configuration
//! `mailadmin mail-config dovecot` prints, pointed at the test's database. The dashboard's own
//! argon2id hashes are verified as `{ARGON2ID}` (no second hash), and Connect via IMAP4 and
//! Connect via POP3 decide per protocol: a service switched off fails the login exactly as a
//! wrong password does. Dovecot runs privately (its own config, base directory, no listeners).
use crate::db_tests;
use crate::helpers::{FIXTURE_MAILBOX_PASSWORD, seed_fixture, switch_off};
use mailadmin::domain::Service;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// A private Dovecot, stopped when dropped.
struct Dovecot {
    dir: PathBuf,
    conf: PathBuf,
}

fn require(binary: &str, package: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {binary}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(found, "this test needs {binary}: apt-get install {package} (scripts/test installs it)");
}

/// The files `mail-config` prints: each starts at a `# /absolute/path` line and holds the
/// lines up to the next blank line, its own comments left out.
pub fn printed_files(printed: &str) -> Vec<(String, Vec<String>)> {
    let mut files: Vec<(String, Vec<String>)> = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in printed.lines() {
        if let Some(path) = line.strip_prefix("# /") {
            files.extend(current.take());
            current = Some((format!("/{}", path.split_whitespace().next().unwrap_or("")), Vec::new()));
        } else if line.trim().is_empty() {
            files.extend(current.take());
        } else if let Some((_, lines)) = current.as_mut().filter(|_| !line.starts_with('#')) {
            lines.push(line.to_owned());
        }
    }
    files.extend(current);
    files
}

impl Dovecot {
    fn start(database_url: &str) -> Self {
        require("dovecot", "dovecot-core");
        let out = Command::new(env!("CARGO_BIN_EXE_mailadmin"))
            .args(["mail-config", "dovecot"])
            .env("MAILADMIN_DATABASE_URL", database_url)
            .output()
            .expect("run mailadmin mail-config");
        assert!(out.status.success(), "mail-config: {}", String::from_utf8_lossy(&out.stderr));
        let printed = String::from_utf8(out.stdout).unwrap();
        // The SQL file, as printed.
        let files = printed_files(&printed);
        let sql: Vec<&str> = files
            .iter()
            .find(|(path, _)| path.ends_with("/dovecot-mailadmin.conf.ext"))
            .map(|(_, lines)| lines.iter().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(sql.len(), 6, "mail-config printed:\n{printed}");
        let driver = sql[0].trim_start_matches("driver = ");
        let module = format!("/usr/lib/dovecot/modules/auth/libdriver_{driver}.so");
        let sql_module = format!("/usr/lib/dovecot/modules/libdriver_{driver}.so");
        assert!(
            std::path::Path::new(&module).exists() || std::path::Path::new(&sql_module).exists(),
            "this test needs Dovecot's {driver} driver: apt-get install dovecot-{driver} (scripts/test installs it)"
        );
        let dir = std::env::temp_dir().join(format!("ma-dovecot-{:08x}", rand::random::<u32>()));
        std::fs::create_dir_all(dir.join("run")).unwrap();
        let sql_file = dir.join("dovecot-mailadmin.conf.ext");
        std::fs::write(&sql_file, sql.join("\n") + "\n").unwrap();
        let conf = dir.join("dovecot.conf");
        std::fs::write(
            &conf,
            format!(
                "protocols =\nbase_dir = {run}\nstate_dir = {run}\ninstance_name = ma-{name}\n\
                 log_path = {dir}/dovecot.log\nssl = no\ndisable_plaintext_auth = no\n\
                 auth_mechanisms = plain login\nauth_cache_size = 0\nauth_failure_delay = 0\n\
                 passdb {{\n  driver = sql\n  args = {sql}\n}}\nuserdb {{\n  driver = sql\n  args = {sql}\n}}\n",
                run = dir.join("run").display(),
                dir = dir.display(),
                name = dir.file_name().unwrap().to_string_lossy(),
                sql = sql_file.display(),
            ),
        )
        .unwrap();
        // The daemon keeps the descriptors it was started with: no pipes, or waiting for their
        // end would wait for Dovecot to stop.
        let errors = std::fs::File::create(dir.join("start.err")).unwrap();
        let started = Command::new("dovecot")
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(errors)
            .status()
            .expect("start dovecot");
        let log = || {
            std::fs::read_to_string(dir.join("start.err")).unwrap_or_default()
                + std::fs::read_to_string(dir.join("dovecot.log")).unwrap_or_default().as_str()
        };
        assert!(started.success(), "dovecot did not start: {}", log());
        Dovecot { dir, conf }
    }

    /// `doveadm auth test` as the given service (imap, pop3): whether the login succeeds.
    fn login(&self, service: &str, user: &str, password: &str) -> bool {
        let out = Command::new("doveadm")
            .arg("-c")
            .arg(&self.conf)
            // Each login from its own address: Dovecot delays the next login from an address
            // that just failed by seconds (its auth penalty).
            .args([
                "auth",
                "test",
                "-x",
                &format!("service={service}"),
                "-x",
                &format!("rip=127.0.1.{}", rand::random::<u8>()),
            ])
            .args([user, password])
            .output()
            .expect("run doveadm");
        let text =
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        if !out.status.success() {
            assert!(
                text.contains("auth failed"),
                "not a plain authentication failure:\n{text}\n{}",
                self.log()
            );
        }
        out.status.success()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dovecot.log")).unwrap_or_default()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = Command::new("doveadm")
            .arg("-c")
            .arg(&self.conf)
            .arg("stop")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

db_tests! {
    async fn dovecot_verifies_the_dashboards_passwords_and_enforces_imap_and_pop3(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let dovecot = Dovecot::start(&app.database_url);
        let anna = "anna@alpha.example";
        assert!(dovecot.login("imap", anna, FIXTURE_MAILBOX_PASSWORD), "IMAP with the dashboard's password:\n{}", dovecot.log());
        assert!(dovecot.login("pop3", anna, FIXTURE_MAILBOX_PASSWORD));
        assert!(!dovecot.login("imap", anna, "a wrong password"));
        // Connect via IMAP4 unticked in the dashboard: the next IMAP login fails like a wrong
        // password; POP3 still works.
        switch_off(&app.db, f.mailbox_a, &[Service::Imap]).await;
        assert!(!dovecot.login("imap", anna, FIXTURE_MAILBOX_PASSWORD));
        assert!(dovecot.login("pop3", anna, FIXTURE_MAILBOX_PASSWORD));
        // A new password set in the dashboard works at the next login, the old one no more.
        let system = mailadmin::services::access::admins::system_actor("test");
        let secret = mailadmin::services::common::passwords::Secret::new("a-new-mailbox-password".into());
        mailadmin::services::hierarchy::mailboxes::set_password(&app.db, &system, f.mailbox_a, secret).await.unwrap();
        assert!(dovecot.login("pop3", anna, "a-new-mailbox-password"));
        assert!(!dovecot.login("pop3", anna, FIXTURE_MAILBOX_PASSWORD));
        // Unknown mailboxes fail the same way.
        assert!(!dovecot.login("imap", "nobody@alpha.example", FIXTURE_MAILBOX_PASSWORD));
    }
}
