//! Binds the listeners and builds the server; tests bind port 0 and read the port back.
use crate::config::{EnforcementArgs, IntakeArgs, WebArgs};
use crate::services::complaints::writer::ComplaintWriter;
use crate::services::notices::outbox::NoticeSettings;
use crate::services::{common::ServiceError, common::settings};
use crate::web::{EnforcementConfig, IntakeConfig};
use actix_web::cookie::Key;
use sea_orm::DatabaseConnection;
use std::net::{SocketAddr, TcpListener};

pub struct Application {
    address: SocketAddr,
    server: actix_web::dev::Server,
    /// The metrics listener (`MAILADMIN_METRICS_BIND`), when configured.
    metrics: Option<(SocketAddr, actix_web::dev::Server)>,
}

impl Application {
    pub async fn build(
        db: DatabaseConnection,
        web: &WebArgs,
        intake: &IntakeArgs,
        enforcement: &EnforcementArgs,
    ) -> std::io::Result<Self> {
        let key = session_key(&db, web.session_key.as_deref()).await.map_err(std::io::Error::other)?;
        let listener = TcpListener::bind(&web.bind)?;
        let address = listener.local_addr()?;
        let settings = NoticeSettings {
            platform_address: intake.platform_abuse_address.clone(),
            public_url: intake.public_url.clone().unwrap_or_else(|| format!("http://{address}/")),
        };
        let intake = IntakeConfig {
            writer: ComplaintWriter::start(db.clone(), settings.clone()),
            settings,
            max_report_bytes: intake.max_report_bytes,
        };
        let enforcement = EnforcementConfig {
            send_refused_message: match crate::policy::protocol::action_text(&enforcement.send_refused) {
                "" => "Sending failed".to_owned(),
                words => words.to_owned(),
            },
            limit_deferred_message: match crate::policy::protocol::action_text(&enforcement.limit_deferred) {
                "" => "Try again later".to_owned(),
                words => words.to_owned(),
            },
        };
        let metrics = match &web.metrics_bind {
            Some(bind) => {
                crate::metrics::install();
                let listener = TcpListener::bind(bind)?;
                let address = listener.local_addr()?;
                Some((address, crate::web::metrics::server(listener, db.clone())?))
            }
            None => None,
        };
        let server = crate::web::server(listener, db, key, web, intake, enforcement)?;
        Ok(Self { address, server, metrics })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(address, _)| *address)
    }

    /// Stops the dashboard from elsewhere (`stop(true)`: gracefully); the metrics listener
    /// stops with it.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics = self.metrics.map(|(_, server)| {
            let handle = server.handle();
            (tokio::spawn(server), handle)
        });
        let result = self.server.await;
        if let Some((task, handle)) = metrics {
            handle.stop(false).await;
            let _ = task.await;
        }
        result
    }
}

async fn session_key(db: &DatabaseConnection, configured: Option<&str>) -> Result<Key, ServiceError> {
    match configured {
        Some(secret) => match hex::decode(secret.trim()) {
            Ok(bytes) if bytes.len() >= 64 => Ok(Key::from(&bytes)),
            _ => Err(ServiceError::Internal(
                "MAILADMIN_SESSION_KEY must be 128 hex characters (64 bytes), e.g. from `openssl rand -hex 64`"
                    .into(),
            )),
        },
        None => Ok(Key::from(&settings::session_key(db).await?)),
    }
}
