//! The policy service over a real socket, as Postfix speaks to it: the protocol's edges, and
//! decisions that follow the dashboard within a second (on both databases; on PostgreSQL two
//! policy services on one database both hear a change through LISTEN/NOTIFY).
use crate::db_tests;
use crate::helpers::{seed_fixture, switch_off};
use mailadmin::domain::{DisplayName, Service};
use mailadmin::enforcement::limits::BreachAction;
use mailadmin::policy::engine::PolicySettings;
use mailadmin::policy::server::BindAddr;
use mailadmin::policy::table::PolicyState;
use mailadmin::policy::{PolicyService, StopHandle};
use mailadmin::services::access::{admins, api_tokens};
use mailadmin::services::hierarchy::mailboxes;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const SEND_REFUSED: &str = "action=554 5.7.1 Sending failed\n\n";
pub const RECEIVE_REFUSED: &str = "action=550 5.2.1 Mailbox unavailable\n\n";
pub const DUNNO: &str = "action=DUNNO\n\n";
pub const FALLBACK: &str = "action=DEFER_IF_PERMIT Service temporarily unavailable\n\n";
/// The webmail hosts in these tests.
pub const WEBMAIL_CLIENT: &str = "10.9.9.5";
/// A webmail host on loopback, for the end-to-end test with Postfix (swaks binds to it).
pub const WEBMAIL_LOOPBACK: &str = "127.0.0.2";

/// A policy service on a free port, stopped when dropped.
pub struct Policy {
    pub address: String,
    /// `GET` it for the service's status.
    pub status: String,
    pub state: Arc<PolicyState>,
    stop: StopHandle,
    task: tokio::task::JoinHandle<()>,
}

impl Policy {
    /// Stops it as SIGTERM does and waits until it is done (its last counts written).
    pub async fn shutdown(mut self) {
        self.stop.stop();
        let task = std::mem::replace(&mut self.task, tokio::spawn(async {}));
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("the policy service stops within 10 s")
            .expect("the policy service ends cleanly");
    }
}

impl Drop for Policy {
    /// Stops it as the process would stop: listeners and idle connections close.
    fn drop(&mut self) {
        self.stop.stop();
        self.task.abort();
    }
}

pub fn settings() -> PolicySettings {
    PolicySettings {
        send_refused: mailadmin::enforcement::DEFAULT_SEND_REFUSED.into(),
        receive_refused: mailadmin::enforcement::DEFAULT_RECEIVE_REFUSED.into(),
        limit_deferred: mailadmin::enforcement::limits::DEFAULT_LIMIT_DEFERRED.into(),
        fallback: mailadmin::enforcement::DEFAULT_FALLBACK.into(),
        webmail_networks: vec!["10.9.9.0/24".parse().unwrap(), "127.0.0.2/32".parse().unwrap()],
        login_domain: None,
        recipient_delimiter: "+".into(),
    }
}

/// Starts a policy service and waits for its first load (unless `wait` is false).
pub async fn spawn_policy(db: &DatabaseConnection, wait: bool) -> Policy {
    let service = PolicyService::build(db.clone(), &[BindAddr::Tcp("127.0.0.1:0".into())], settings())
        .await
        .expect("bind the policy service")
        .with_status("127.0.0.1:0")
        .expect("bind the status page");
    let status = format!("http://{}/healthz", service.status_address().unwrap());
    let BindAddr::Tcp(address) = service.addresses().remove(0) else { unreachable!() };
    let state = service.state();
    let counters = service.counters();
    let stop = service.stop_handle();
    let task = tokio::spawn(service.run());
    if wait {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !state.is_loaded() || !counters.is_loaded() {
            assert!(Instant::now() < deadline, "the policy service did not load its table");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    Policy { address, status, state, stop, task }
}

/// A request as Postfix 3.7 sends it at RCPT (attribute set from a real capture).
pub fn rcpt(sasl_username: &str, sender: &str, recipient: &str, client: &str) -> String {
    format!(
        "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\nclient_address={client}\n\
         client_name=localhost\nclient_port=58448\nreverse_client_name=localhost\nserver_address=127.0.0.1\n\
         server_port=2525\nhelo_name=vm\nsender={sender}\nrecipient={recipient}\nrecipient_count=0\nqueue_id=\n\
         instance=38be.6b04bf07.cb1bd.0\nsize=0\netrn_domain=\nstress=\nsasl_method=PLAIN\n\
         sasl_username={sasl_username}\nsasl_sender=\nccert_subject=\nccert_issuer=\nccert_fingerprint=\n\
         ccert_pubkey_fingerprint=\nencryption_protocol=\nencryption_cipher=\nencryption_keysize=0\n\
         policy_context=\n\n"
    )
}

/// One client connection, kept open across requests as Postfix does.
pub struct Conn(TcpStream);

impl Conn {
    pub async fn open(address: &str) -> Self {
        Conn(TcpStream::connect(address).await.expect("connect to the policy service"))
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.0.write_all(bytes).await.expect("write a request");
    }

    /// Reads one reply (up to its empty line), or what came before the connection closed.
    pub async fn reply(&mut self) -> String {
        let mut got = Vec::new();
        let mut byte = [0u8; 1];
        while !got.ends_with(b"\n\n") {
            match tokio::time::timeout(Duration::from_secs(15), self.0.read(&mut byte)).await {
                Ok(Ok(1)) => got.push(byte[0]),
                Ok(_) => break,
                Err(_) => panic!("no reply within 15 s; got {:?}", String::from_utf8_lossy(&got)),
            }
        }
        String::from_utf8(got).expect("UTF-8 reply")
    }

    pub async fn ask(&mut self, request: &str) -> String {
        self.send(request.as_bytes()).await;
        self.reply().await
    }

    /// True when the server has closed the connection (reads EOF).
    pub async fn closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(
            tokio::time::timeout(Duration::from_secs(15), self.0.read(&mut byte)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }
}

/// Asks until the answer is `want`; panics after `within`. Returns how long it took.
pub async fn until_answer(address: &str, request: &str, want: &str, within: Duration) -> Duration {
    let started = Instant::now();
    let mut conn = Conn::open(address).await;
    loop {
        let got = conn.ask(request).await;
        if got == want {
            return started.elapsed();
        }
        assert!(started.elapsed() < within, "still {got:?} after {within:?}, wanted {want:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

db_tests! {
    async fn a_suspension_refuses_sending_and_a_lift_in_the_dashboard_lets_it_send_within_a_second(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        crate::helpers::suspend_send_mail(&app.db, f.mailbox_a).await;
        let first = spawn_policy(&app.db, true).await;
        // A second policy service on the same database (one per mail server).
        let second = spawn_policy(&app.db, true).await;
        let anna = rcpt("anna@alpha.example", "anna@alpha.example", "someone@elsewhere.test", "127.0.0.1");
        let otto = rcpt("otto@alpha2.example", "otto@alpha2.example", "someone@elsewhere.test", "127.0.0.1");
        for policy in [&first, &second] {
            let mut conn = Conn::open(&policy.address).await;
            assert_eq!(conn.ask(&anna).await, SEND_REFUSED, "a suspended sender gets the generic refusal");
            assert_eq!(conn.ask(&otto).await, DUNNO, "an active sender is left to Postfix");
            // The sender in another case, as a client may type it.
            assert_eq!(conn.ask(&anna.replace("sasl_username=anna@", "sasl_username=Anna@")).await, SEND_REFUSED);
        }

        // The company admin unticks Send Mail on the Status page.
        let admin = app.signed_in("comp-a").await;
        let page = admin.post(&format!("/mailboxes/{}/status", f.mailbox_a), &[]).await;
        assert_eq!(page.status, reqwest::StatusCode::SEE_OTHER, "{}", page.body);
        let lifted_at = Instant::now();
        let (a, b) = tokio::join!(
            until_answer(&first.address, &anna, DUNNO, Duration::from_secs(1)),
            until_answer(&second.address, &anna, DUNNO, Duration::from_secs(1)),
        );
        eprintln!("lift seen after {a:?} and {b:?} ({:?} since the answer)", lifted_at.elapsed());

        // And suspended again by hand on the same page: refused again within a second.
        let page = admin
            .post(
                &format!("/mailboxes/{}/status", f.mailbox_a),
                &[("suspend_send_mail", "on"), ("reason", "manual"), ("evidence", "seen sending spam")],
            )
            .await;
        assert_eq!(page.status, reqwest::StatusCode::SEE_OTHER, "{}", page.body);
        until_answer(&first.address, &anna, SEND_REFUSED, Duration::from_secs(1)).await;
        until_answer(&second.address, &anna, SEND_REFUSED, Duration::from_secs(1)).await;
    }

    async fn receive_mail_off_refuses_the_recipient_and_unknown_addresses_are_left_to_postfix(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let policy = spawn_policy(&app.db, true).await;
        let status: serde_json::Value = reqwest::get(&policy.status).await.unwrap().json().await.unwrap();
        assert_eq!((status["status"].as_str(), status["mailboxes"].as_u64()), (Some("current"), Some(3)), "{status}");
        let inbound = |to: &str| rcpt("", "someone@outside.test", to, "192.0.2.1");
        let mut conn = Conn::open(&policy.address).await;
        assert_eq!(conn.ask(&inbound("anna@alpha.example")).await, DUNNO);
        assert_eq!(conn.ask(&inbound("nobody@alpha.example")).await, DUNNO, "unknown: Postfix's maps decide");

        switch_off(&app.db, f.mailbox_a, &[Service::ReceiveMail]).await;
        until_answer(&policy.address, &inbound("anna@alpha.example"), RECEIVE_REFUSED, Duration::from_secs(1)).await;
        assert_eq!(conn.ask(&inbound("ANNA@Alpha.Example")).await, RECEIVE_REFUSED);
        // An address extension is the same mailbox (Postfix's recipient_delimiter).
        assert_eq!(conn.ask(&inbound("anna+news@alpha.example")).await, RECEIVE_REFUSED);
        // An internal sender to that mailbox is refused at the recipient too.
        let internal = rcpt("otto@alpha2.example", "otto@alpha2.example", "anna@alpha.example", "127.0.0.1");
        assert_eq!(conn.ask(&internal).await, RECEIVE_REFUSED);
        // The same answers for Prometheus, on the status listener.
        let metrics = reqwest::get(policy.status.replace("/healthz", "/metrics")).await.unwrap().text().await.unwrap();
        let scrape = prometheus_parse::Scrape::parse(metrics.lines().map(|l| Ok(l.to_owned()))).unwrap();
        let refused = scrape.samples.iter().find(|s| {
            s.metric == "mailadmin_policy_decisions_total" && s.labels.get("kind") == Some("refuse_recipient")
        });
        assert!(
            matches!(refused.map(|s| &s.value), Some(prometheus_parse::Value::Counter(n)) if *n >= 3.0),
            "{metrics}"
        );

        // Deleted in the dashboard: no longer ours, so Postfix's own maps decide.
        let system = admins::system_actor("test");
        mailboxes::delete(&app.db, &system, f.mailbox_a).await.unwrap();
        until_answer(&policy.address, &inbound("anna@alpha.example"), DUNNO, Duration::from_secs(1)).await;

        // Created in the dashboard: known at once (its Receive Mail switched off proves it).
        let new = mailboxes::NewMailbox {
            local_part: mailadmin::domain::LocalPart::parse("newbie").unwrap(),
            display_name: DisplayName::parse("New").unwrap(),
            password: mailadmin::services::common::passwords::Secret::new("mailbox-password".into()),
        };
        let created = mailboxes::create(&app.db, &system, f.domain_a, new).await.unwrap();
        switch_off(&app.db, created.id, &[Service::ReceiveMail]).await;
        until_answer(&policy.address, &inbound("newbie@alpha.example"), RECEIVE_REFUSED, Duration::from_secs(1)).await;
    }

    async fn webmail_needs_send_via_webmail_and_its_api_says_the_same(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let policy = spawn_policy(&app.db, true).await;
        switch_off(&app.db, f.mailbox_a, &[Service::WebmailSend]).await;
        let from_webmail = rcpt("anna@alpha.example", "anna@alpha.example", "x@elsewhere.test", super::WEBMAIL_CLIENT);
        until_answer(&policy.address, &from_webmail, SEND_REFUSED, Duration::from_secs(1)).await;
        let mut conn = Conn::open(&policy.address).await;
        // The same mailbox by SMTP from elsewhere: Send Mail is on.
        assert_eq!(conn.ask(&from_webmail.replace(super::WEBMAIL_CLIENT, "198.51.100.7")).await, DUNNO);
        // A webmail host relaying without SASL vouches for the envelope sender.
        let relayed = rcpt("", "anna@alpha.example", "x@elsewhere.test", super::WEBMAIL_CLIENT);
        assert_eq!(conn.ask(&relayed).await, SEND_REFUSED);

        // The webmail API: same decision, same generic words.
        let token = api_tokens::create(&app.db, &admins::system_actor("test"), "webmail").await.unwrap().1;
        let http = reqwest::Client::new();
        let ask = |address: &str, token: Option<&str>| {
            let mut req = http.get(format!("{}/api/v1/mailboxes/{address}/send-permission", app.address));
            if let Some(token) = token {
                req = req.bearer_auth(token);
            }
            req.send()
        };
        let answer = ask("anna@alpha.example", Some(&token)).await.unwrap();
        assert_eq!(answer.status(), 200);
        let body: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(body["allowed"], false);
        assert_eq!(body["reason_code"], "webmail_send_off");
        assert_eq!(body["message"], "Sending failed");
        let body: serde_json::Value = ask("otto@alpha2.example", Some(&token)).await.unwrap().json().await.unwrap();
        assert_eq!(body["allowed"], true);
        crate::helpers::suspend_send_mail(&app.db, f.mailbox_a2).await;
        let body: serde_json::Value = ask("otto@alpha2.example", Some(&token)).await.unwrap().json().await.unwrap();
        assert_eq!((body["allowed"].clone(), body["reason_code"].clone()), (false.into(), "suspended".into()));
        assert_eq!(ask("nobody@alpha.example", Some(&token)).await.unwrap().status(), 404);
        assert_eq!(ask("not-an-address", Some(&token)).await.unwrap().status(), 400);
        let refused = ask("anna@alpha.example", None).await.unwrap();
        assert_eq!(refused.status(), 401);
        let body: serde_json::Value = refused.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains("token"), "{body}");
    }

    async fn the_protocol_as_postfix_speaks_it(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        crate::helpers::suspend_send_mail(&app.db, f.mailbox_a).await;
        // Thousands of recipients from one sender below: no limit in the way of the protocol.
        let big = Some(100_000_000);
        crate::helpers::set_company_limits(&app.db, f.company_a, big, big, big, BreachAction::Defer).await;
        let policy = spawn_policy(&app.db, true).await;
        let anna = rcpt("anna@alpha.example", "anna@alpha.example", "x@elsewhere.test", "127.0.0.1");
        let otto = rcpt("otto@alpha2.example", "otto@alpha2.example", "x@elsewhere.test", "127.0.0.1");

        // Pipelined: three requests in one write, three replies in order, connection kept.
        let mut conn = Conn::open(&policy.address).await;
        conn.send(format!("{anna}{otto}{anna}").as_bytes()).await;
        assert_eq!(conn.reply().await, SEND_REFUSED);
        assert_eq!(conn.reply().await, DUNNO);
        assert_eq!(conn.reply().await, SEND_REFUSED);
        assert_eq!(conn.ask(&otto).await, DUNNO, "the connection stays open after replies");

        // Split at every byte: written one byte at a time, one reply.
        let mut conn = Conn::open(&policy.address).await;
        for byte in anna.as_bytes() {
            conn.send(std::slice::from_ref(byte)).await;
            conn.0.flush().await.unwrap();
        }
        assert_eq!(conn.reply().await, SEND_REFUSED);

        // Any order, unknown and repeated attributes; the last value of a name wins.
        let shuffled = "sasl_username=otto@alpha2.example\nfuture_attribute=x\nrecipient=x@elsewhere.test\n\
                        protocol_state=RCPT\nrequest=smtpd_access_policy\nsasl_username=anna@alpha.example\n\n";
        assert_eq!(conn.ask(shuffled).await, SEND_REFUSED);

        // As Postfix 2.x sent it (fewer attributes), and as 3.12 does (more).
        let v2 = "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\nclient_address=127.0.0.1\n\
                  client_name=localhost\nhelo_name=vm\nsender=anna@alpha.example\nrecipient=x@elsewhere.test\n\
                  queue_id=\ninstance=1a2b.3c4d.0\nsize=0\nsasl_method=PLAIN\nsasl_username=anna@alpha.example\n\
                  sasl_sender=\nccert_subject=\nccert_issuer=\nccert_fingerprint=\n\n";
        assert_eq!(conn.ask(v2).await, SEND_REFUSED);
        let v3_12 = anna.replace(
            "policy_context=\n\n",
            "policy_context=\nserver_port=587\ncompatibility_level=3.6\nmail_version=3.12.0\n\
             client_hostname=localhost\ntls_client_cert_fingerprint=\n\n",
        );
        assert_eq!(conn.ask(&v3_12).await, SEND_REFUSED);

        // At DATA and END-OF-MESSAGE with several recipients: recipient empty, count set.
        let data = anna
            .replace("protocol_state=RCPT", "protocol_state=END-OF-MESSAGE")
            .replace("recipient=x@elsewhere.test", "recipient=")
            .replace("recipient_count=0", "recipient_count=3");
        assert_eq!(conn.ask(&data).await, SEND_REFUSED);
        assert_eq!(conn.ask(&data.replace("anna@alpha.example", "otto@alpha2.example")).await, DUNNO);

        // Garbage: answered with the fallback (never an accept), then closed.
        let mut conn = Conn::open(&policy.address).await;
        assert_eq!(conn.ask("GET / HTTP/1.1\nHost: x\n\n").await, FALLBACK);
        assert!(conn.closed().await);

        // Over 64 kB without an end: the fallback, then closed.
        let mut conn = Conn::open(&policy.address).await;
        let long = format!("request=smtpd_access_policy\nhelo_name={}\n", "x".repeat(70_000));
        conn.send(long.as_bytes()).await;
        assert_eq!(conn.reply().await, FALLBACK);
        assert!(conn.closed().await);

        // Half-closed mid-request: the service closes its side and goes on serving others.
        let mut conn = Conn::open(&policy.address).await;
        conn.send(b"request=smtpd_access_policy\nprotocol_state=RC").await;
        conn.0.shutdown().await.unwrap();
        assert!(conn.closed().await);

        // 100 connections at once, 20 requests each, alternating answers.
        let mut tasks = Vec::new();
        for i in 0..100 {
            let (address, anna, otto) = (policy.address.clone(), anna.clone(), otto.clone());
            tasks.push(tokio::spawn(async move {
                let mut conn = Conn::open(&address).await;
                for j in 0..20 {
                    let (req, want) = if (i + j) % 2 == 0 { (&anna, SEND_REFUSED) } else { (&otto, DUNNO) };
                    assert_eq!(conn.ask(req).await, want);
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let mut conn = Conn::open(&policy.address).await;
        assert_eq!(conn.ask(&otto).await, DUNNO, "still serving after all that");
    }
}
