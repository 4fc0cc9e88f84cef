//! Complaint intake: one service behind the API, `ingest-arf` and the paste page. A report is
//! attributed to the hosted mailbox that sent the original, stored once however often it
//! arrives, and counted over a rolling 24 hours on arrival at our system; the complaint that
//! takes a mailbox past its allowance soft-suspends *Send Mail* and queues the AUP notice, in
//! the same transaction, exactly once (the mailbox row is locked while counting).
use super::audit::{self, Change};
use super::complaint_batch::{self, Incoming};
use super::{ServiceError, notices, suspensions};
use crate::domain::{Service, SuspensionReason};
use crate::entity::{company, complaint, mailbox, quarantine, suspension};
use crate::intake::arf::FeedbackReport;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;

/// The rolling window complaints are counted over.
pub const WINDOW_HOURS: i64 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Api,
    Cli,
    Manual,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Api => "api",
            Source::Cli => "ingest-arf",
            Source::Manual => "manual",
        }
    }
}

/// Settings the intake needs to write a notice.
#[derive(Debug, Clone)]
pub struct IntakeSettings {
    /// Where notices go for a company without an abuse contact.
    pub platform_address: String,
    /// The dashboard's address, for the link to the Status page.
    pub public_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Stored {
        complaint_id: i32,
        mailbox_id: Option<i32>,
        suspended: bool,
    },
    /// Seen before: counted once, answered as a success.
    Duplicate {
        complaint_id: i32,
    },
}

pub(super) async fn find_duplicate<C: ConnectionTrait>(
    db: &C,
    report_message_id: Option<&str>,
    original: Option<(&str, &str)>,
) -> Result<Option<i32>, ServiceError> {
    let mut any = Condition::any();
    if let Some(id) = report_message_id {
        any = any.add(complaint::Column::ReportMessageId.eq(id));
    }
    if let Some((message_id, recipient)) = original {
        any = any.add(
            Condition::all()
                .add(complaint::Column::OriginalMessageId.eq(message_id))
                .add(complaint::Column::ComplainingRecipient.eq(recipient)),
        );
    }
    if any.is_empty() {
        return Ok(None);
    }
    Ok(complaint::Entity::find().filter(any).one(db).await?.map(|c| c.id))
}

/// Counted complaints of a mailbox now in its window: the last 24 hours, but only since the
/// last lift of Send Mail, so a lifted user is not suspended again by the reports just reviewed.
pub async fn window_count<C: ConnectionTrait>(
    db: &C,
    mailbox_id: i32,
    now: DateTime<Utc>,
) -> Result<(u64, DateTime<Utc>), ServiceError> {
    let mut start = now - Duration::hours(WINDOW_HOURS);
    let last_lift = suspension::Entity::find()
        .filter(suspension::Column::MailboxId.eq(mailbox_id))
        .filter(suspension::Column::Service.eq(Service::SendMail.key()))
        .filter(suspension::Column::EndedAt.is_not_null())
        .order_by_desc(suspension::Column::EndedAt)
        .one(db)
        .await?
        .and_then(|s| s.ended_at);
    if let Some(lifted) = last_lift {
        start = start.max(lifted);
    }
    let count = complaint::Entity::find()
        .filter(complaint::Column::MailboxId.eq(mailbox_id))
        .filter(complaint::Column::Counts.eq(true))
        .filter(complaint::Column::ReceivedAt.gt(start))
        .count(db)
        .await?;
    Ok((count, start))
}

/// Stores a parsed report, attributes it and applies the rule. Duplicates are a success.
pub async fn store(
    db: &DatabaseConnection,
    settings: &IntakeSettings,
    report: &FeedbackReport,
    source: Source,
) -> Result<Outcome, ServiceError> {
    let mut outcomes = complaint_batch::store_batch(db, settings, &[Incoming { report, source }]).await?;
    outcomes.pop().ok_or_else(|| ServiceError::Internal("no outcome for a stored report".into()))
}

/// Counted complaints a mailbox may draw in its window: its own override, else its company's.
pub(super) fn allowance_of(mailbox: &mailbox::Model, company: &company::Model) -> u64 {
    mailbox.complaint_allowance.unwrap_or(company.complaint_allowance).max(0) as u64
}

/// Suspends and queues the notice when the mailbox is past its allowance.
pub(super) async fn apply_rule(
    txn: &DatabaseTransaction,
    settings: &IntakeSettings,
    mailbox: &mailbox::Model,
    company: &company::Model,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let allowance = allowance_of(mailbox, company);
    let (count, window_start) = window_count(txn, mailbox.id, now).await?;
    if count <= allowance {
        return Ok(false);
    }
    let in_window: Vec<i32> = complaint::Entity::find()
        .filter(complaint::Column::MailboxId.eq(mailbox.id))
        .filter(complaint::Column::Counts.eq(true))
        .filter(complaint::Column::ReceivedAt.gt(window_start))
        .order_by_asc(complaint::Column::Id)
        .select_only()
        .column(complaint::Column::Id)
        .into_tuple()
        .all(txn)
        .await?;
    let evidence = format!(
        "{count} spam complaints about mail from {} between {} and {} UTC (allowance {allowance}); complaints #{}",
        mailbox.address,
        window_start.format("%Y-%m-%d %H:%M"),
        now.format("%Y-%m-%d %H:%M"),
        in_window.iter().map(i32::to_string).collect::<Vec<_>>().join(", #"),
    );
    let by = "system (complaint intake)";
    let (_, services) = suspensions::suspend_in(
        txn,
        by,
        mailbox.id,
        &[Service::SendMail],
        SuspensionReason::SpamComplaints,
        &evidence,
    )
    .await?;
    let notice = notices::AupNotice {
        company,
        mailbox,
        count,
        allowance,
        window_start,
        window_end: now,
        sample_ids: in_window.iter().rev().take(3).copied().collect(),
    };
    notices::enqueue_aup_in(txn, settings, &notice).await?;
    audit::record_as(
        txn,
        by,
        "system",
        None,
        "local",
        Change {
            company_id: Some(company.id),
            object_kind: "mailbox",
            object_id: Some(mailbox.id),
            object_label: &mailbox.address,
            action: "suspend",
            before: json!({ "suspended": [] }),
            after: json!({
                "suspended": services.iter().map(|s| s.key()).collect::<Vec<_>>(),
                "reason": SuspensionReason::SpamComplaints.as_str(),
                "evidence": evidence,
            }),
        },
    )
    .await?;
    Ok(true)
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
        reason: Set(complaint_batch::storable(reason)),
        raw: Set(complaint_batch::storable(&String::from_utf8_lossy(&raw[..end]))),
        size: Set(raw.len().min(i32::MAX as usize) as i32),
        ..Default::default()
    }
    .insert(db)
    .await?;
    tracing::warn!(quarantine_id = model.id, source = source.as_str(), reason, "report quarantined");
    Ok(model.id)
}
