//! Delivers queued AUP notices over SMTP (lettre): the notice text plus up to three sample
//! messages as `message/rfc822` attachments (`text/rfc822-headers` where only headers came).
//! Runs beside the web server; retries with exponential back-off; a 5xx answer fails the notice.
use crate::config::SmtpArgs;
use crate::entity::notice;
use crate::services::notices::outbox::{self as notices, Sample};
use chrono::Duration;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::DatabaseConnection;

/// How often the outbox is looked at.
const POLL: std::time::Duration = std::time::Duration::from_secs(2);

pub struct NoticeSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl NoticeSender {
    /// `None` when no relay is configured: notices then stay queued (and readable).
    pub fn from_args(args: &SmtpArgs) -> Result<Option<Self>, String> {
        let Some(url) = &args.smtp_url else { return Ok(None) };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("MAILADMIN_SMTP_URL {}: {e}", crate::db::redacted(url)))?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        let from = args.notice_from.parse().map_err(|e| format!("MAILADMIN_NOTICE_FROM: {e}"))?;
        Ok(Some(Self { transport, from }))
    }
}

pub fn build_message(from: &Mailbox, n: &notice::Model, samples: &[Sample]) -> Result<Message, String> {
    let mut builder = Message::builder().from(from.clone()).subject(n.subject.clone());
    for recipient in n.recipients.split(',').map(str::trim).filter(|r| !r.is_empty()) {
        let to: Mailbox = recipient.parse().map_err(|e| format!("recipient {recipient}: {e}"))?;
        builder = builder.to(to);
    }
    let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(n.body.clone()));
    for (index, sample) in samples.iter().enumerate() {
        let (name, kind) = if sample.headers_only {
            (format!("sample-{}-headers.txt", index + 1), "text/rfc822-headers")
        } else {
            (format!("sample-{}.eml", index + 1), "message/rfc822")
        };
        let content_type = ContentType::parse(kind).map_err(|e| e.to_string())?;
        parts =
            parts.singlepart(Attachment::new(name).body(sample.original.clone().into_bytes(), content_type));
    }
    builder.multipart(parts).map_err(|e| e.to_string())
}

async fn deliver(db: &DatabaseConnection, sender: &NoticeSender, n: notice::Model) {
    let samples = match notices::samples(db, &n).await {
        Ok(samples) => samples,
        Err(e) => {
            tracing::error!(notice_id = n.id, error = %e, "notice samples could not be read");
            return;
        }
    };
    let outcome = match build_message(&sender.from, &n, &samples) {
        Ok(message) => sender.transport.send(message).await.map_err(|e| (e.to_string(), e.is_permanent())),
        Err(e) => Err((e, true)),
    };
    let recorded = match outcome {
        Ok(response) => {
            let answer = format!("{} {}", response.code(), response.message().collect::<Vec<_>>().join(" "));
            tracing::info!(notice_id = n.id, recipients = %n.recipients, "AUP notice sent");
            notices::mark_sent(db, n.id, &answer).await
        }
        Err((error, permanent)) => {
            tracing::warn!(notice_id = n.id, error, permanent, "AUP notice not delivered");
            notices::mark_attempt_failed(db, &n, &error, permanent).await
        }
    };
    if let Err(e) = recorded {
        tracing::error!(notice_id = n.id, error = %e, "notice status could not be recorded");
    }
}

/// The worker loop; returns only if the runtime shuts down.
/// Sends due notices until `stop` turns true. A notice being sent when it does is finished
/// (sent and recorded); the rest of its batch goes back to the queue when its claim expires.
pub async fn run(
    db: DatabaseConnection,
    sender: Option<NoticeSender>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let Some(sender) = sender else {
        tracing::info!("no SMTP relay configured (MAILADMIN_SMTP_URL): AUP notices stay queued");
        return;
    };
    while !*stop.borrow() {
        match notices::claim_due(&db, 20, Duration::minutes(5)).await {
            Ok(due) => {
                let mut due = due.into_iter();
                for n in due.by_ref() {
                    deliver(&db, &sender, n).await;
                    if *stop.borrow() {
                        break;
                    }
                }
                let unsent: Vec<i32> = due.map(|n| n.id).collect();
                if let Err(e) = notices::release(&db, &unsent).await {
                    tracing::warn!(error = %e, "could not give back unsent notices; they are retried when their claim expires");
                }
            }
            Err(e) => tracing::warn!(error = %e, "outbox not readable; retrying"),
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = stop.changed() => {}
        }
    }
    tracing::info!("notice worker stopped");
}
