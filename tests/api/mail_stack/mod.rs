//! A private, loopback-only Postfix + Dovecot configured from what `mailadmin mail-config
//! postfix|dovecot` prints for a test's database: the lookup-table files, the Dovecot SQL file,
//! the quota-usage dict file and the printed main.cf / conf.d settings are used verbatim; this
//! module adds only what makes the instance private (ports, directories, logs). Everything lives
//! in one temporary directory; Drop stops both servers and removes it. Nothing leaves the host:
//! Postfix's default, relay and local transports are `error:`.
//!
//! SMTP goes through swaks; IMAP and POP3 through Python's imaplib/poplib (stdlib).
mod support;

use crate::mail_dovecot::printed_files;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
pub use support::require;
use support::*;

/// The numeric owner of the maildirs (no passwd entry needed).
const MAIL_UID: u32 = 5000;
/// Every test message comes from here; bounces to it end in Postfix's `error:` transport.
pub const SENDER: &str = "sender@outside.test";

/// What swaks saw: its exit status (0 accepted, 24 refused at RCPT) and the whole dialogue.
pub struct Sent {
    pub code: i32,
    pub dialogue: String,
}

impl Sent {
    pub fn queue_id(&self) -> Option<String> {
        let (_, rest) = self.dialogue.split_once("250 2.0.0 Ok: queued as ")?;
        rest.split_whitespace().next().map(str::to_owned)
    }
}

/// One recipient's fate in Postfix's log.
#[derive(Debug)]
pub struct Delivery {
    pub to: String,
    pub orig_to: Option<String>,
    /// sent, bounced, deferred
    pub status: String,
    pub line: String,
}

/// A login's outcome: the subjects of the messages in the INBOX, or the server's refusal.
pub type Login = Result<Vec<String>, String>;

pub struct MailStack {
    dir: PathBuf,
    etc: PathBuf,
    dovecot_conf: PathBuf,
    smtp_port: u16,
    imap_port: u16,
    pop3_port: u16,
    postfix_started: bool,
    dovecot_started: bool,
    failing_logins: std::sync::atomic::AtomicU8,
}

impl MailStack {
    pub fn start(database_url: &str) -> Self {
        require("postfix", "postfix");
        require_file("/usr/lib/postfix/sbin/master", "postfix");
        require("dovecot", "dovecot-core");
        require("doveadm", "dovecot-core");
        require_file("/usr/lib/dovecot/imap", "dovecot-imapd");
        require_file("/usr/lib/dovecot/pop3", "dovecot-pop3d");
        require_file("/usr/lib/dovecot/lmtp", "dovecot-lmtpd");
        require("swaks", "swaks");
        let (python_ok, _, _) = output(Command::new(python()).args(["-c", "import imaplib, poplib"]));
        assert!(python_ok, "this test needs {} with imaplib and poplib: apt-get install python3", python());
        let sqlite = database_url.starts_with("sqlite:");
        let (pf_driver, dc_driver) = if sqlite { ("sqlite", "sqlite") } else { ("pgsql", "pgsql") };
        require_file(&format!("/usr/lib/postfix/postfix-{pf_driver}.so"), &format!("postfix-{pf_driver}"));
        require_file(
            &format!("/usr/lib/dovecot/modules/libdriver_{dc_driver}.so"),
            &format!("dovecot-{dc_driver}"),
        );

        let dir = std::env::temp_dir().join(format!("ma-mx-{:08x}", rand::random::<u32>()));
        let etc = dir.join("etc");
        let mut stack = MailStack {
            dovecot_conf: dir.join("dovecot.conf"),
            dir: dir.clone(),
            etc: etc.clone(),
            smtp_port: 0,
            imap_port: 0,
            pop3_port: 0,
            postfix_started: false,
            dovecot_started: false,
            failing_logins: Default::default(),
        };
        for sub in ["etc", "spool", "pf-data", "log", "run", "state", "mail"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        // The postfix and dovecot users must reach everything below the directory.
        for sub in ["", "etc", "spool", "log", "run", "state"] {
            mode(&dir.join(sub), 0o755);
        }
        chown(&dir.join("pf-data"), "postfix:"); // Postfix refuses a data_directory it does not own.
        chown(&dir.join("mail"), &format!("{MAIL_UID}:{MAIL_UID}"));
        mode(&dir.join("mail"), 0o700);
        if sqlite {
            share_sqlite_database(database_url);
        }

        // What mail-config prints for this database, pointed at this directory.
        let mail_config = |server: &str| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailadmin"));
            cmd.args(["mail-config", server, "--database-url", database_url, "--config-dir"])
                .arg(&etc)
                .arg("--mail-root")
                .arg(dir.join("mail"))
                .args(["--mail-uid", &MAIL_UID.to_string(), "--postfix-spool"])
                .arg(dir.join("spool"))
                .env_remove("MAILADMIN_WEBMAIL_NETWORKS");
            let (ok, _, text) = output(&mut cmd);
            assert!(ok, "mailadmin mail-config {server}:\n{text}");
            text
        };
        let postfix_printed = mail_config("postfix");
        let dovecot_printed = mail_config("dovecot");
        let mut written = Vec::new();
        for (path, lines) in
            printed_files(&postfix_printed).into_iter().chain(printed_files(&dovecot_printed))
        {
            // The usage file's heading goes on after its path ("…usage.conf.ext: each…").
            let path = PathBuf::from(path);
            assert!(
                path.starts_with(&etc),
                "mail-config printed a file outside --config-dir: {}",
                path.display()
            );
            std::fs::write(&path, lines.join("\n") + "\n").unwrap();
            // Closed as for a database password: the lookup tables as printed (640, group
            // postfix: read by proxymap), the passdb/userdb file as printed (600: read by
            // Dovecot's auth as root). The usage file is read by the dict process, which runs as
            // user dovecot: at 600 quota_clone fails ("Can't open configuration file …:
            // Permission denied") while delivery goes on; 640, group dovecot.
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let (file_mode, group) = match name.as_str() {
                "dovecot-mailadmin.conf.ext" => (0o600, "root"),
                "dovecot-mailadmin-usage.conf.ext" => (0o640, "dovecot"),
                _ => (0o640, "postfix"),
            };
            chown(&path, &format!("root:{group}"));
            mode(&path, file_mode);
            written.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
        written.sort();
        assert_eq!(
            written,
            [
                "dovecot-mailadmin-usage.conf.ext",
                "dovecot-mailadmin.conf.ext",
                "mailadmin-aliases.cf",
                "mailadmin-domains.cf",
                "mailadmin-mailboxes.cf"
            ],
            "mail-config printed:\n{postfix_printed}\n{dovecot_printed}"
        );
        let postfix_main = printed_section(&postfix_printed, "# main.cf", "# Receive Mail and Send Mail");
        assert!(postfix_main.contains("virtual_alias_maps = proxy:"), "{postfix_printed}");
        let dovecot_conf_d = printed_section(&dovecot_printed, "# conf.d", "");
        assert!(dovecot_conf_d.contains("quota_clone_dict"), "{dovecot_printed}");

        stack.start_postfix(&postfix_main);
        stack.start_dovecot(&dovecot_conf_d);
        stack
    }

    fn start_postfix(&mut self, printed_main: &str) {
        let dir = self.dir.display().to_string();
        for attempt in 1..=5 {
            self.smtp_port = free_port(&[]);
            std::fs::write(
                self.etc.join("main.cf"),
                format!(
                    "compatibility_level = 3.6\nqueue_directory = {dir}/spool\ndata_directory = {dir}/pf-data\n\
                     maillog_file = {dir}/log/postfix.log\nmaillog_file_prefixes = {dir}/log\n\
                     inet_interfaces = 127.0.0.1\ninet_protocols = ipv4\nmyhostname = mx.mailadmin.test\n\
                     mydomain = mailadmin.test\nmydestination =\nlocal_recipient_maps =\nalias_maps =\n\
                     alias_database =\nmynetworks = 127.0.0.1/32\nsmtp_dns_support_level = disabled\nbiff = no\n\
                     smtpd_error_sleep_time = 0s\n\
                     # Nothing leaves the host, not even a bounce.\n\
                     default_transport = error:outbound mail disabled on this test stack\n\
                     relay_transport = error:outbound mail disabled on this test stack\n\
                     local_transport = error:local delivery disabled on this test stack\n\
                     smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination\n\
                     smtpd_sasl_auth_enable = no\n\
                     # As printed by mailadmin mail-config postfix (its policy service is not run here):\n\
                     {printed_main}"
                ),
            )
            .unwrap();
            // chroot n everywhere; max_use=1: smtpd caches address resolution for its lifetime,
            // and a domain switched back on must be seen by the next connection.
            std::fs::write(
                self.etc.join("master.cf"),
                format!(
                    "127.0.0.1:{port} inet n - n - - smtpd -o max_use=1\n\
                     pickup    unix  n - n 60 1 pickup\ncleanup   unix  n - n - 0 cleanup\n\
                     qmgr      unix  n - n 300 1 qmgr\nrewrite   unix  - - n - - trivial-rewrite\n\
                     bounce    unix  - - n - 0 bounce\ndefer     unix  - - n - 0 bounce\n\
                     trace     unix  - - n - 0 bounce\nverify    unix  - - n - 1 verify\n\
                     flush     unix  n - n 1000? 0 flush\nproxymap  unix  - - n - - proxymap\n\
                     proxywrite unix - - n - 1 proxymap\nshowq     unix  n - n - - showq\n\
                     error     unix  - - n - - error\nretry     unix  - - n - - error\n\
                     discard   unix  - - n - - discard\nlmtp      unix  - - n - - lmtp\n\
                     anvil     unix  - - n - 1 anvil\nscache    unix  - - n - 1 scache\n\
                     postlog   unix-dgram n - n - 1 postlogd\n",
                    port = self.smtp_port
                ),
            )
            .unwrap();
            let log_start = self.postfix_log().len();
            let (ok, _, text) = output(Command::new("postfix").arg("-c").arg(&self.etc).arg("start"));
            if ok {
                self.postfix_started = true;
                break;
            }
            let log = self.postfix_log();
            let retry = log[log_start..].contains("Address already in use") && attempt < 5;
            assert!(retry, "postfix did not start:\n{text}\n{log}");
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        while !smtp_greets(self.smtp_port) {
            assert!(
                Instant::now() < deadline && !self.postfix_log().contains("fatal:"),
                "postfix does not answer on 127.0.0.1:{}:\n{}",
                self.smtp_port,
                self.postfix_log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn start_dovecot(&mut self, printed_conf_d: &str) {
        let dir = self.dir.display().to_string();
        for attempt in 1..=5 {
            self.imap_port = free_port(&[self.smtp_port]);
            self.pop3_port = free_port(&[self.smtp_port, self.imap_port]);
            std::fs::write(
                &self.dovecot_conf,
                format!(
                    "# Standalone: includes nothing from /etc/dovecot.\n\
                     protocols = imap pop3 lmtp\nlisten = 127.0.0.1\nbase_dir = {dir}/run\n\
                     state_dir = {dir}/state\ninstance_name = {name}\nlog_path = {dir}/log/dovecot.log\n\
                     ssl = no\ndisable_plaintext_auth = no\nauth_mechanisms = plain login\n\
                     auth_cache_size = 0\nauth_failure_delay = 0\nfirst_valid_uid = {MAIL_UID}\n\
                     mail_uid = {MAIL_UID}\nmail_gid = {MAIL_UID}\n\
                     service imap-login {{\n  inet_listener imap {{\n    port = {imap}\n  }}\n  \
                     inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
                     service pop3-login {{\n  inet_listener pop3 {{\n    port = {pop3}\n  }}\n  \
                     inet_listener pop3s {{\n    port = 0\n  }}\n}}\n\
                     # As printed by mailadmin mail-config dovecot:\n{printed_conf_d}",
                    name = self.dir.file_name().unwrap().to_string_lossy(),
                    imap = self.imap_port,
                    pop3 = self.pop3_port,
                ),
            )
            .unwrap();
            // The daemon keeps the descriptors it is started with: no pipes of ours.
            let errors = std::fs::File::create(self.dir.join("log/dovecot-start.err")).unwrap();
            let started = tokio::task::block_in_place(|| {
                Command::new("dovecot")
                    .arg("-c")
                    .arg(&self.dovecot_conf)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(errors)
                    .status()
            })
            .expect("start dovecot");
            let log = std::fs::read_to_string(self.dir.join("log/dovecot-start.err")).unwrap_or_default()
                + self.dovecot_log().as_str();
            if started.success() {
                self.dovecot_started = true;
                break;
            }
            assert!(log.contains("Address already in use") && attempt < 5, "dovecot did not start:\n{log}");
        }
        let lmtp = self.dir.join("spool/private/dovecot-lmtp");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !(lmtp.exists()
            && std::net::TcpStream::connect(("127.0.0.1", self.imap_port)).is_ok()
            && std::net::TcpStream::connect(("127.0.0.1", self.pop3_port)).is_ok())
        {
            assert!(Instant::now() < deadline, "dovecot is not ready:\n{}", self.dovecot_log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn postfix_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log/postfix.log")).unwrap_or_default()
    }

    pub fn dovecot_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log/dovecot.log")).unwrap_or_default()
    }

    pub fn logs(&self) -> String {
        format!("-- postfix log --\n{}\n-- dovecot log --\n{}", self.postfix_log(), self.dovecot_log())
    }

    /// A message to `to` over SMTP, its subject `subject`, its body `body` if given.
    pub fn send(&self, to: &str, subject: &str, body: Option<&Path>) -> Sent {
        let mut cmd = Command::new("swaks");
        cmd.args(["--server", &format!("127.0.0.1:{}", self.smtp_port), "--from", SENDER, "--to", to])
            .args(["--header", &format!("Subject: {subject}"), "--timeout", "30", "--suppress-data"]);
        if let Some(body) = body {
            cmd.arg("--body").arg(format!("@{}", body.display()));
        }
        let (_, code, dialogue) = output(&mut cmd);
        Sent { code, dialogue }
    }

    /// Sends, expects Postfix to accept, and waits until it is done with the message: each
    /// recipient's delivery as Postfix logged it.
    pub fn deliver(&self, to: &str, subject: &str, body: Option<&Path>) -> Vec<Delivery> {
        let sent = self.send(to, subject, body);
        assert_eq!(sent.code, 0, "{subject} to {to}: not accepted:\n{}\n{}", sent.dialogue, self.logs());
        let id = sent.queue_id().unwrap_or_else(|| panic!("no queue id:\n{}", sent.dialogue));
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let log = self.postfix_log();
            if log.contains(&format!("{id}: removed")) {
                return log
                    .lines()
                    .filter(|l| l.contains(&format!("{id}: to=<")))
                    .map(|line| Delivery {
                        to: between(line, "to=<", ">").unwrap_or_default(),
                        orig_to: between(line, "orig_to=<", ">"),
                        status: between(line, "status=", " ").unwrap_or_default(),
                        line: line.to_owned(),
                    })
                    .collect();
            }
            assert!(Instant::now() < deadline, "{subject} to {to} ({id}) still queued:\n{}", self.logs());
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Like `deliver`, and asserts that exactly the `expected` addresses got the message over
    /// LMTP: Dovecot's `250 2.0.0 <address> … Saved` for each.
    pub fn deliver_to(&self, address: &str, subject: &str, expected: &[&str]) {
        let deliveries = self.deliver(address, subject, None);
        let mut got: Vec<&str> = deliveries.iter().map(|d| d.to.as_str()).collect();
        got.sort();
        let mut want = expected.to_vec();
        want.sort();
        assert_eq!(got, want, "{subject} to {address}: {deliveries:#?}");
        for d in &deliveries {
            assert!(
                d.status == "sent"
                    && d.line.contains("[private/dovecot-lmtp]")
                    && d.line.contains(&format!("(250 2.0.0 <{}> ", d.to))
                    && d.line.ends_with(" Saved)"),
                "{subject} to {address}: not saved by Dovecot's LMTP: {d:#?}\n{}",
                self.logs()
            );
        }
    }

    fn mail_client(&self, proto: &str, source: &str, user: &str, password: &str) -> Login {
        let port = if proto == "imap" { self.imap_port } else { self.pop3_port };
        let (ok, _, text) = output(Command::new(python()).args([
            "-c",
            IMAP_POP3_CLIENT,
            proto,
            &port.to_string(),
            source,
            user,
            password,
        ]));
        assert!(ok, "{proto} client for {user}:\n{text}\n{}", self.dovecot_log());
        if let Some(refusal) = text.lines().find_map(|l| l.strip_prefix("AUTH-FAILED ")) {
            return Err(refusal.to_owned());
        }
        assert!(text.contains("LOGGED-IN"), "{proto} client for {user}:\n{text}");
        Ok(text.lines().filter_map(|l| l.strip_prefix("SUBJECT ")).map(str::to_owned).collect())
    }

    /// Logs in over IMAP from 127.0.0.1 and lists the INBOX's subjects.
    pub fn imap(&self, user: &str, password: &str) -> Login {
        self.mail_client("imap", "127.0.0.1", user, password)
    }

    pub fn pop3(&self, user: &str, password: &str) -> Login {
        self.mail_client("pop3", "127.0.0.1", user, password)
    }

    /// An IMAP login expected to fail, each from a loopback address of its own (127.0.0.9,
    /// .10, …): after a failure Dovecot delays the next login from that address by seconds
    /// (auth penalty), which would slow down the logins after it.
    pub fn imap_failing(&self, user: &str, password: &str) -> Login {
        let n = self.failing_logins.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.mail_client("imap", &format!("127.0.0.{}", 9 + n), user, password)
    }

    /// A file of about `bytes` bytes of text, for a message body.
    pub fn body_file(&self, bytes: usize) -> PathBuf {
        let path = self.dir.join(format!("body-{bytes}.txt"));
        let line = format!("{}\n", "x".repeat(75));
        std::fs::write(&path, line.repeat(bytes / line.len() + 1)).unwrap();
        path
    }
}

impl Drop for MailStack {
    fn drop(&mut self) {
        let master_pid = std::fs::read_to_string(self.dir.join("spool/pid/master.pid"))
            .map(|p| p.trim().to_owned())
            .unwrap_or_default();
        if self.postfix_started {
            // Returns at once; the master takes its children down and leaves master.pid behind.
            let _ = Command::new("postfix")
                .arg("-c")
                .arg(&self.etc)
                .arg("stop")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        if self.dovecot_started {
            // Waits until Dovecot is gone (~2.5 s); Postfix winds down meanwhile.
            let _ = Command::new("doveadm")
                .arg("-c")
                .arg(&self.dovecot_conf)
                .arg("stop")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        if self.postfix_started && !master_pid.is_empty() {
            let deadline = Instant::now() + Duration::from_secs(10);
            while alive(&master_pid) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(25));
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
