//! Complaint intake: one service behind the API, `ingest-arf` and the paste page. A report is
//! attributed to the hosted mailbox that sent the original, stored once however often it
//! arrives, and counted over a rolling 24 hours on arrival at our system; the complaint that
//! takes a mailbox past its allowance soft-suspends *Send Mail* and queues the AUP notice, in
//! the same transaction, exactly once (the mailbox row is locked while counting).
use super::batch::{self, Incoming};
use super::outcome::{Outcome, Source};
use crate::entity::quarantine;
use crate::intake::arf::FeedbackReport;
use crate::services::common::ServiceError;
use crate::services::notices::outbox::NoticeSettings;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};

/// Stores a parsed report, attributes it and applies the rule. Duplicates are a success.
pub async fn store(
    db: &DatabaseConnection,
    settings: &NoticeSettings,
    report: &FeedbackReport,
    source: Source,
) -> Result<Outcome, ServiceError> {
    let mut outcomes = batch::store_batch(db, settings, &[Incoming { report, source }]).await?;
    outcomes.pop().ok_or_else(|| ServiceError::Internal("no outcome for a stored report".into()))
}

/// Keeps a message that could not be read as a report, so nothing is lost.
pub async fn quarantine(
    db: &DatabaseConnection,
    raw: &[u8],
    source: Source,
    reason: &str,
) -> Result<i32, ServiceError> {
    let end = raw.len().min(4 * 1024 * 1024);
    let model = quarantine::ActiveModel {
        received_at: Set(Utc::now()),
        source: Set(source.as_str().to_owned()),
        reason: Set(batch::storable(reason)),
        raw: Set(batch::storable(&String::from_utf8_lossy(&raw[..end]))),
        size: Set(raw.len().min(i32::MAX as usize) as i32),
        ..Default::default()
    }
    .insert(db)
    .await?;
    tracing::warn!(quarantine_id = model.id, source = source.as_str(), reason, "report quarantined");
    Ok(model.id)
}
