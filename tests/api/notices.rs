//! The AUP notice reaches the company's abuse contacts through a real SMTP server (aiosmtpd),
//! with the samples attached; and `ingest-arf` answers the MTA in sysexits terms.
use crate::helpers::*;
use mail_parser::MimeHeaders;
use mailadmin::config::SmtpArgs;
use mailadmin::domain::{ContactKind, DisplayName, MailboxAddress};
use mailadmin::entity::notice;
use mailadmin::services::{
    access::admins, complaints::intake as complaints, notices::contacts as abuse_contacts,
};
use sea_orm::EntityTrait;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// An SMTP sink: Python's aiosmtpd writing each message into a Maildir. Killed on drop.
pub(crate) struct SmtpSink {
    child: Child,
    pub(crate) port: u16,
    maildir: PathBuf,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn python() -> String {
    std::env::var("MAILADMIN_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

pub(crate) fn start_sink() -> SmtpSink {
    let has_aiosmtpd =
        Command::new(python()).args(["-c", "import aiosmtpd"]).status().is_ok_and(|s| s.success());
    assert!(
        has_aiosmtpd,
        "aiosmtpd is not installed for {}: run scripts/test (it makes a venv with it), or \
         `python3 -m venv v && v/bin/pip install aiosmtpd` and set MAILADMIN_TEST_PYTHON=v/bin/python",
        python()
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("mailadmin-sink-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let maildir = dir.join("Maildir");
    let child = Command::new(python())
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
        .arg(&maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start aiosmtpd");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    SmtpSink { child, port, maildir }
}

async fn aup_notice_reaches_the_abuse_contacts(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = seed_fixture(&app.db).await;
    let system = admins::system_actor("fixture");
    for email in ["abuse@alpha.example", "noc@alpha.example"] {
        let input = abuse_contacts::ContactInput {
            kind: ContactKind::Abuse,
            name: DisplayName::parse("Abuse desk").unwrap(),
            email: MailboxAddress::parse(email).unwrap(),
        };
        abuse_contacts::create(&app.db, &system, f.company_a, input).await.unwrap();
    }
    let settings = mailadmin::services::notices::outbox::NoticeSettings {
        platform_address: "abuse-desk@platform.test".into(),
        public_url: "https://mac.platform.test/".into(),
    };
    for n in 0..11 {
        let raw = arf_report(
            "anna@alpha.example",
            &format!("n{n}@example.net"),
            &format!("n{n}@alpha.example"),
            &format!("nrep{n}@fbl"),
            "abuse",
        );
        let report = mailadmin::intake::arf::parse(raw.as_bytes(), 1 << 20).unwrap();
        complaints::store(&app.db, &settings, &report, mailadmin::services::complaints::outcome::Source::Api)
            .await
            .unwrap();
    }
    let sink = start_sink();
    let smtp = SmtpArgs {
        smtp_url: Some(format!("smtp://127.0.0.1:{}", sink.port)),
        notice_from: "aup@platform.test".into(),
    };
    let sender = mailadmin::notices::NoticeSender::from_args(&smtp).unwrap();
    let (_stop, stopping) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(mailadmin::notices::run(app.db.clone(), sender, stopping));
    let new = sink.maildir.join("new");
    let mut delivered = Vec::new();
    for _ in 0..100 {
        delivered =
            std::fs::read_dir(&new).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
        if !delivered.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The sink has the message as soon as the relay said 250; the worker records "sent" just
    // after: wait for that before stopping it.
    for _ in 0..100 {
        let stored = notice::Entity::find().one(&app.db).await.unwrap();
        if stored.is_some_and(|n| n.status == "sent") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    worker.abort();
    assert_eq!(delivered.len(), 1, "one notice delivered");
    let raw = std::fs::read(&delivered[0]).unwrap();
    let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
    let rcpt = String::from_utf8_lossy(&raw);
    assert!(
        rcpt.contains("X-RcptTo: abuse@alpha.example, noc@alpha.example")
            || rcpt.contains("X-RcptTo: noc@alpha.example, abuse@alpha.example"),
        "{rcpt}"
    );
    assert_eq!(message.subject(), Some("AUP Notice: sending suspended for anna@alpha.example"));
    let attachments: Vec<_> = message.attachments().collect();
    assert_eq!(attachments.len(), 3, "three samples");
    for attachment in &attachments {
        let kind = attachment.content_type().unwrap();
        assert_eq!((kind.ctype(), kind.subtype()), ("message", Some("rfc822")));
    }
    let body = message.body_text(0).unwrap();
    assert!(body.contains("https://mac.platform.test/mailboxes/"), "{body}");
    assert!(body.contains("11 messages"), "{body}");
    let stored = notice::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!(stored.status, "sent");
    assert!(stored.last_error.unwrap_or_default().starts_with("250"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aup_notice_reaches_the_abuse_contacts_sqlite() {
    aup_notice_reaches_the_abuse_contacts(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aup_notice_reaches_the_abuse_contacts_postgres() {
    aup_notice_reaches_the_abuse_contacts(Backend::Postgres).await;
}

fn ingest(database_url: &str, input: &[u8]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailadmin"))
        .arg("ingest-arf")
        .env("MAILADMIN_DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

async fn ingest_arf_exit_codes(backend: Backend) {
    let url = fresh_database_url(backend).await;
    let app = spawn_app_on(backend, &url).await;
    seed_fixture(&app.db).await;
    let report =
        arf_report("anna@alpha.example", "i@example.net", "ing1@alpha.example", "ingrep1@fbl", "abuse");
    assert_eq!(ingest(&url, report.as_bytes()).0, Some(0));
    let (code, out) = ingest(&url, report.as_bytes());
    assert_eq!(code, Some(0), "a duplicate is a success: {out}");
    assert!(out.contains("duplicate"));
    let (code, out) = ingest(&url, b"Subject: hi\r\n\r\njust a letter\r\n");
    assert_eq!(code, Some(65), "{out}");
    assert!(out.contains("quarantine"), "{out}");
    // The database unreachable: 75, so the MTA keeps the report and retries.
    let unreachable = match backend {
        Backend::Sqlite => "sqlite:///nonexistent-dir/x.db?mode=rw".to_owned(),
        Backend::Postgres => "postgres://postgres@127.0.0.1:1/postgres".to_owned(),
    };
    let later =
        arf_report("anna@alpha.example", "j@example.net", "ing2@alpha.example", "ingrep2@fbl", "abuse");
    assert_eq!(ingest(&unreachable, later.as_bytes()).0, Some(75));
    // With the database back, the same message stores.
    let (code, out) = ingest(&url, later.as_bytes());
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("stored complaint"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_arf_exit_codes_sqlite() {
    ingest_arf_exit_codes(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_arf_exit_codes_postgres() {
    ingest_arf_exit_codes(Backend::Postgres).await;
}
