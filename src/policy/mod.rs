//! `mailadmin policy`: the Postfix access policy service (`check_policy_service`) that makes
//! *Send Mail*, *Send via Webmail* and *Receive Mail* real at the mail server.
//!
//! [`protocol`] reads and writes the wire format (pure); [`engine`] turns a request into an
//! action through [`crate::enforcement`]; [`table`] is the in-memory state every decision reads
//! and [`follow`] keeps it current from the database; [`server`] owns the sockets.
pub mod counters;
pub mod engine;
pub mod flusher;
pub mod follow;
pub mod protocol;
pub mod server;
pub mod status;
pub mod table;

use crate::services::notices::outbox::NoticeSettings;
use engine::{Engine, PolicySettings};
use sea_orm::DatabaseConnection;
use server::{BindAddr, Listener};
use std::sync::Arc;
use std::time::Duration;
use table::PolicyState;
use tokio::sync::watch;

/// How often the decision counts and latency are logged.
const STATS_EVERY: Duration = Duration::from_secs(60);

/// A policy service with its listeners bound (port 0 gets a free port), not yet serving.
pub struct PolicyService {
    listeners: Vec<Listener>,
    engine: Arc<Engine>,
    db: DatabaseConnection,
    stop: Arc<watch::Sender<bool>>,
    status: Option<std::net::TcpListener>,
    notices: NoticeSettings,
}

/// Stops a running [`PolicyService`]: listeners close at once, connections after the request
/// they are answering.
#[derive(Clone)]
pub struct StopHandle(Arc<watch::Sender<bool>>);

impl StopHandle {
    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

impl PolicyService {
    pub async fn build(
        db: DatabaseConnection,
        binds: &[BindAddr],
        settings: PolicySettings,
    ) -> std::io::Result<Self> {
        let mut listeners = Vec::with_capacity(binds.len());
        for bind in binds {
            listeners.push(
                Listener::bind(bind)
                    .await
                    .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {bind}: {e}")))?,
            );
        }
        let engine = Arc::new(Engine::new(Arc::new(PolicyState::default()), settings));
        let (stop, _) = watch::channel(false);
        let notices = NoticeSettings {
            platform_address: "abuse@localhost".into(),
            public_url: "http://127.0.0.1:8080/".into(),
        };
        Ok(Self { listeners, engine, db, stop: Arc::new(stop), status: None, notices })
    }

    /// Where it listens, as Postfix's `check_policy_service` names it.
    pub fn addresses(&self) -> Vec<BindAddr> {
        self.listeners.iter().map(Listener::local).collect()
    }

    pub fn state(&self) -> Arc<PolicyState> {
        self.engine.state.clone()
    }

    /// Where breach notices go and the dashboard link they carry.
    pub fn with_notices(mut self, notices: NoticeSettings) -> Self {
        self.notices = notices;
        self
    }

    pub fn counters(&self) -> Arc<counters::SendingCounters> {
        self.engine.counters.clone()
    }

    /// Also serve `GET /healthz` (see [`status`]) on this address.
    pub fn with_status(mut self, bind: &str) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind(bind).map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot listen on {bind} for /healthz: {e}"))
        })?;
        self.status = Some(listener);
        Ok(self)
    }

    /// Where `/healthz` is served, if it is.
    pub fn status_address(&self) -> Option<std::net::SocketAddr> {
        self.status.as_ref().and_then(|l| l.local_addr().ok())
    }

    pub fn stop_handle(&self) -> StopHandle {
        StopHandle(self.stop.clone())
    }

    /// Serves until stopped (see [`StopHandle`]). Requests are answered from the start: with
    /// the fallback action until the first load, then from the table.
    pub async fn run(self) {
        // Owned here: whether this future ends or is dropped, its tasks end with it.
        let mut tasks = tokio::task::JoinSet::new();
        tasks.spawn(follow::run(self.db.clone(), self.engine.state.clone()));
        tasks.spawn(log_stats(self.engine.clone()));
        let flusher =
            flusher::Flusher::new(self.db.clone(), self.engine.counters.clone(), self.notices.clone());
        let mut flushing = tokio::spawn(flusher.run(self.stop.subscribe()));
        // Breaches are recorded apart from the flushes, so a burst of alerts never delays them.
        let recorder =
            flusher::Flusher::new(self.db.clone(), self.engine.counters.clone(), self.notices.clone());
        let stop_recording = self.stop.subscribe();
        let mut recording = tokio::spawn(async move { recorder.record_breaches(stop_recording).await });
        let mut status_server = None;
        if let Some(listener) = self.status {
            crate::metrics::install();
            match status::server(
                listener,
                self.engine.state.clone(),
                self.engine.counters.clone(),
                self.db.clone(),
            ) {
                Ok(server) => {
                    status_server = Some(server.handle());
                    tasks.spawn(async move {
                        let _ = server.await;
                    });
                }
                Err(e) => tracing::error!(error = %e, "cannot serve /healthz"),
            }
        }
        let mut servers = tokio::task::JoinSet::new();
        for listener in self.listeners {
            tracing::info!(on = %listener.local(), "policy service listening");
            servers.spawn(listener.serve(self.engine.clone(), self.stop.subscribe()));
        }
        while servers.join_next().await.is_some() {}
        if let Some(handle) = status_server {
            handle.stop(false).await;
        }
        tasks.abort_all();
        // The counts of the last second go to the database before the process ends.
        match tokio::time::timeout(Duration::from_secs(3), &mut flushing).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "the sending-count flusher failed"),
            Err(_) => {
                flushing.abort();
                tracing::warn!("the last sending counts could not be written in time");
            }
        }
        if tokio::time::timeout(Duration::from_secs(3), &mut recording).await.is_err() {
            recording.abort();
            tracing::warn!("the last limit breaches could not be recorded in time");
        }
    }
}

async fn log_stats(engine: Arc<Engine>) {
    let mut tick = tokio::time::interval(STATS_EVERY);
    tick.tick().await;
    loop {
        tick.tick().await;
        let line = engine.stats.take();
        let total: u64 = line.counts.iter().map(|(_, n)| n).sum();
        if total == 0 {
            continue;
        }
        let show = |us: Option<u64>| match us {
            Some(u64::MAX) => "over 2 ms".to_owned(),
            Some(us) => format!("≤ {us} µs"),
            None => "-".to_owned(),
        };
        let freshness = engine.state.freshness();
        tracing::info!(
            decisions = total,
            counts = %line.counts.iter().map(|(k, n)| format!("{k}={n}")).collect::<Vec<_>>().join(" "),
            p50 = %show(line.p50_us),
            p99 = %show(line.p99_us),
            unknown_sasl_logins = line.unknown_logins,
            database_error = freshness.database_error.as_deref().unwrap_or("none"),
            "policy decisions in the last minute"
        );
    }
}
