//! The sockets: TCP and Unix listeners, one task per connection, many requests per connection
//! (Postfix keeps it open and sends the next request when it has one). The loop is thin: find a
//! request's end, ask the engine, write the reply, read on. A client that sends garbage, more
//! than 64 kB, or stalls mid-request is logged, answered with the fallback action where it
//! waits for an answer, and closed — never an accidental accept, never a stuck task.
use super::engine::{Engine, Reply};
use super::protocol::{self, MAX_REQUEST_BYTES};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::watch;

/// A connection with no request under way may stay this long. Longer than Postfix's own
/// `smtpd_policy_service_max_idle` (300 s), so Postfix is the one that closes idle connections.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(330);
/// The longest a request waits for one flush of its sender's counts.
pub const FLUSH_WAIT: Duration = Duration::from_secs(1);
/// How many flushes a request waits for at most.
pub const FLUSH_ATTEMPTS: u32 = 3;
/// A request begun must be complete within this long (Postfix writes one in one go).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Where to listen: `HOST:PORT` or `unix:PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindAddr {
    Tcp(String),
    Unix(PathBuf),
}

impl BindAddr {
    pub fn parse(input: &str) -> Result<Self, String> {
        let input = input.trim();
        if let Some(path) = input.strip_prefix("unix:") {
            if path.is_empty() {
                return Err("unix: needs a socket path, e.g. unix:/run/mailadmin/policy.sock".into());
            }
            return Ok(BindAddr::Unix(PathBuf::from(path)));
        }
        let input = input.strip_prefix("inet:").unwrap_or(input);
        if input.rsplit_once(':').is_none_or(|(_, port)| port.parse::<u16>().is_err()) {
            return Err(format!("{input:?} is neither HOST:PORT nor unix:PATH"));
        }
        Ok(BindAddr::Tcp(input.to_owned()))
    }
}

impl std::fmt::Display for BindAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BindAddr::Tcp(addr) => write!(f, "inet:{addr}"),
            BindAddr::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// A bound listener, ready to serve.
pub enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, PathBuf),
}

impl Listener {
    pub async fn bind(addr: &BindAddr) -> std::io::Result<Self> {
        match addr {
            BindAddr::Tcp(a) => Ok(Listener::Tcp(TcpListener::bind(a).await?)),
            BindAddr::Unix(path) => {
                // A socket file left by a process that is gone would refuse the bind.
                if path.exists() && std::os::unix::net::UnixStream::connect(path).is_err() {
                    std::fs::remove_file(path)?;
                }
                let listener = UnixListener::bind(path)?;
                // Postfix's smtpd connects as its own user: the directory's permissions say who may.
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666))?;
                Ok(Listener::Unix(listener, path.clone()))
            }
        }
    }

    /// What it listens on, with the port the system picked for port 0.
    pub fn local(&self) -> BindAddr {
        match self {
            Listener::Tcp(l) => BindAddr::Tcp(l.local_addr().map(|a| a.to_string()).unwrap_or_default()),
            Listener::Unix(_, path) => BindAddr::Unix(path.clone()),
        }
    }

    /// Accepts connections until `stop` turns true; connections then close between requests.
    pub async fn serve(self, engine: Arc<Engine>, stop: watch::Receiver<bool>) {
        let mut stopping = stop.clone();
        loop {
            tokio::select! {
                _ = stopped(&mut stopping) => break,
                accepted = self.accept() => match accepted {
                    Ok((Accepted::Tcp(stream), peer)) => {
                        let _ = stream.set_nodelay(true);
                        tokio::spawn(connection(stream, engine.clone(), peer, stop.clone()));
                    }
                    Ok((Accepted::Unix(stream), peer)) => {
                        tokio::spawn(connection(stream, engine.clone(), peer, stop.clone()));
                    }
                    Err(e) => accept_failed(e).await,
                },
            }
        }
        if let Listener::Unix(_, path) = &self {
            let _ = std::fs::remove_file(path);
        }
    }

    async fn accept(&self) -> std::io::Result<(Accepted, String)> {
        match self {
            Listener::Tcp(l) => l.accept().await.map(|(s, peer)| (Accepted::Tcp(s), peer.to_string())),
            Listener::Unix(l, path) => {
                l.accept().await.map(|(s, _)| (Accepted::Unix(s), path.display().to_string()))
            }
        }
    }
}

/// Resolves once the service is told to stop (or its handle is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

enum Accepted {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

async fn accept_failed(e: std::io::Error) {
    // Out of file descriptors, usually: wait instead of spinning.
    tracing::warn!(error = %e, "accepting a policy connection failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Serves one connection until the client closes it, misbehaves, or the service stops (checked
/// between requests: a request under way is answered first).
pub async fn connection<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    engine: Arc<Engine>,
    peer: String,
    mut stop: watch::Receiver<bool>,
) {
    let mut buf: Vec<u8> = Vec::with_capacity(2048);
    let mut out: Vec<u8> = Vec::with_capacity(256);
    let mut scanned = 0;
    // When the request under way must be complete (set at its first byte).
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        while let Some(end) = protocol::request_end(&buf, scanned) {
            if end > MAX_REQUEST_BYTES {
                break; // refused below, as an over-long request
            }
            let mut answer = engine.answer(&buf[..end], true);
            // A sender this instance counted as far as it may alone: its counts are being
            // shared; decide once they are. A few flushes at most (other requests of the same
            // sender may take the room first), then the engine refuses for now.
            for attempt in 0..FLUSH_ATTEMPTS {
                if !matches!(answer, Ok(Reply::AfterFlush)) {
                    break;
                }
                let _ = tokio::time::timeout(FLUSH_WAIT, engine.counters.next_flush()).await;
                answer = engine.answer(&buf[..end], attempt + 1 < FLUSH_ATTEMPTS);
            }
            match answer {
                Ok(Reply::Action(action)) => protocol::write_reply(&mut out, action),
                Ok(Reply::AfterFlush) => protocol::write_reply(&mut out, &engine.settings.fallback),
                Err(malformed) => {
                    tracing::warn!(peer, problem = %malformed, "malformed policy request; connection closed");
                    return refuse(&mut stream, &mut out, &engine).await;
                }
            }
            buf.drain(..end);
            scanned = 0;
            deadline = None;
        }
        if !out.is_empty() {
            // A client that never reads its answers must not hold this task for ever.
            match tokio::time::timeout(REQUEST_TIMEOUT, stream.write_all(&out)).await {
                Ok(Ok(())) => out.clear(),
                Ok(Err(e)) => {
                    tracing::debug!(peer, error = %e, "policy client went away before its answer");
                    return;
                }
                Err(_) => {
                    tracing::warn!(peer, "policy client does not read its answers; connection closed");
                    return;
                }
            }
        }
        if buf.len() > MAX_REQUEST_BYTES {
            tracing::warn!(peer, bytes = buf.len(), "policy request over 64 kB; connection closed");
            return refuse(&mut stream, &mut out, &engine).await;
        }
        scanned = buf.len();
        // Keep idle connections small: a thousand of them should cost little.
        if buf.is_empty() && buf.capacity() > 8192 {
            buf = Vec::with_capacity(2048);
        }
        if buf.is_empty() && *stop.borrow() {
            return;
        }
        // One deadline for the whole request, however slowly its bytes trickle in: set when its
        // first bytes are in the buffer.
        let until = match (buf.is_empty(), deadline) {
            (true, _) => tokio::time::Instant::now() + IDLE_TIMEOUT,
            (false, Some(d)) => d,
            (false, None) => *deadline.insert(tokio::time::Instant::now() + REQUEST_TIMEOUT),
        };
        // Never read past the limit by more than one byte: that byte is enough to refuse.
        let room = MAX_REQUEST_BYTES + 1 - buf.len();
        let waiting_for_a_request = buf.is_empty();
        let mut limited = (&mut stream).take(room as u64);
        let read = tokio::select! {
            read = tokio::time::timeout_at(until, limited.read_buf(&mut buf)) => read,
            _ = stopped(&mut stop), if waiting_for_a_request => return,
        };
        match read {
            Ok(Ok(0)) => {
                if !buf.is_empty() {
                    tracing::warn!(peer, bytes = buf.len(), "policy client closed mid-request");
                }
                return;
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::debug!(peer, error = %e, "policy connection failed");
                return;
            }
            Err(_) if buf.is_empty() => {
                tracing::debug!(peer, "idle policy connection closed");
                return;
            }
            Err(_) => {
                tracing::warn!(
                    peer,
                    bytes = buf.len(),
                    "policy request incomplete after 10 s; connection closed"
                );
                return refuse(&mut stream, &mut out, &engine).await;
            }
        }
    }
}

/// Answers the fallback action (a temporary failure, never an accept) before closing.
async fn refuse<S: AsyncWrite + Unpin>(stream: &mut S, out: &mut Vec<u8>, engine: &Engine) {
    protocol::write_reply(out, &engine.settings.fallback);
    let _ = tokio::time::timeout(REQUEST_TIMEOUT, stream.write_all(out)).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ServiceSet, ServiceState};
    use crate::policy::engine::PolicySettings;
    use crate::policy::table::{MailboxTable, PolicyState};
    use crate::services::enforcement::snapshot::MailboxEntry;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn engine() -> Arc<Engine> {
        let state = Arc::new(PolicyState::default());
        let mut table = MailboxTable::default();
        let services = ServiceSet { send_mail: ServiceState::Suspended, ..ServiceSet::default() };
        let address = "anna@alpha.example".to_owned();
        table.insert(MailboxEntry {
            mailbox_id: 1,
            address,
            domain_id: 1,
            company_id: 1,
            services,
            limits: Default::default(),
            send_lifted_at: None,
        });
        state.replace(table);
        let settings = PolicySettings {
            send_refused: crate::enforcement::DEFAULT_SEND_REFUSED.into(),
            receive_refused: crate::enforcement::DEFAULT_RECEIVE_REFUSED.into(),
            limit_deferred: crate::enforcement::limits::DEFAULT_LIMIT_DEFERRED.into(),
            fallback: crate::enforcement::DEFAULT_FALLBACK.into(),
            webmail_networks: Vec::new(),
            login_domain: None,
            recipient_delimiter: "+".into(),
        };
        Arc::new(Engine::new(state, settings))
    }

    async fn reply(client: &mut tokio::io::DuplexStream) -> String {
        let mut got = Vec::new();
        let mut byte = [0u8; 1];
        while !got.ends_with(b"\n\n") && client.read(&mut byte).await.unwrap() == 1 {
            got.push(byte[0]);
        }
        String::from_utf8(got).unwrap()
    }

    const REQUEST: &str = "request=smtpd_access_policy\nprotocol_state=RCPT\nsasl_username=anna@alpha.example\n\
                           recipient=x@elsewhere.test\n\n";

    /// An in-memory stream of one byte: every read the server makes gets exactly one byte.
    #[tokio::test]
    async fn a_request_read_one_byte_at_a_time_is_answered_once() {
        let (mut client, server) = tokio::io::duplex(1);
        let (_stop, stopped) = watch::channel(false);
        tokio::spawn(connection(server, engine(), "test".into(), stopped));
        for byte in REQUEST.as_bytes() {
            client.write_all(std::slice::from_ref(byte)).await.unwrap();
        }
        assert_eq!(reply(&mut client).await, "action=554 5.7.1 Sending failed\n\n");
        let other = REQUEST.replace("anna@", "otto@");
        client.write_all(other.as_bytes()).await.unwrap();
        assert_eq!(reply(&mut client).await, "action=DUNNO\n\n");
    }

    /// Stopping closes an idle connection, but a request under way is answered first.
    #[tokio::test]
    async fn stop_answers_the_request_under_way_then_closes() {
        let (mut client, server) = tokio::io::duplex(4096);
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(connection(server, engine(), "test".into(), stopped));
        let half = REQUEST.len() / 2;
        client.write_all(&REQUEST.as_bytes()[..half]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        stop.send_replace(true);
        client.write_all(&REQUEST.as_bytes()[half..]).await.unwrap();
        assert_eq!(reply(&mut client).await, "action=554 5.7.1 Sending failed\n\n");
        tokio::time::timeout(Duration::from_secs(5), task).await.expect("closed after stop").unwrap();
    }

    /// A request that trickles in slower than its deadline is refused with the fallback, even
    /// though every single read arrives within the timeout.
    #[tokio::test(start_paused = true)]
    async fn a_trickling_request_meets_one_deadline() {
        let (mut client, server) = tokio::io::duplex(4096);
        let (_stop, stopped) = watch::channel(false);
        let task = tokio::spawn(connection(server, engine(), "test".into(), stopped));
        // A byte a second: each read well within any per-read timeout, the request never done.
        let mut written = 0;
        for byte in REQUEST.as_bytes().iter().take(30) {
            if client.write_all(std::slice::from_ref(byte)).await.is_err() {
                break; // the server has answered and closed
            }
            written += 1;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        assert!(written <= 11, "the request's 10 s were over after 11 bytes, yet {written} were taken");
        assert_eq!(reply(&mut client).await, format!("action={}\n\n", crate::enforcement::DEFAULT_FALLBACK));
        task.await.unwrap();
    }

    #[test]
    fn bind_addresses() {
        assert_eq!(BindAddr::parse("127.0.0.1:10040"), Ok(BindAddr::Tcp("127.0.0.1:10040".into())));
        assert_eq!(BindAddr::parse("inet:127.0.0.1:10040"), Ok(BindAddr::Tcp("127.0.0.1:10040".into())));
        assert_eq!(BindAddr::parse("[::1]:10040"), Ok(BindAddr::Tcp("[::1]:10040".into())));
        assert_eq!(BindAddr::parse("unix:/run/p.sock"), Ok(BindAddr::Unix("/run/p.sock".into())));
        assert!(BindAddr::parse("unix:").is_err());
        assert!(BindAddr::parse("localhost").is_err());
        assert!(BindAddr::parse("host:port").is_err());
    }
}
