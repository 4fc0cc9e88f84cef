//! The complaint rule: counted complaints of a mailbox over a rolling window, its allowance,
//! and the suspension with its AUP notice when a report takes it past the allowance. Runs in
//! the transaction that stores the report, with the mailbox row locked while counting.
use crate::domain::{Service, SuspensionReason};
use crate::entity::{company, complaint, mailbox, suspension};
use crate::services::audit::{self, Change};
use crate::services::common::ServiceError;
use crate::services::notices::outbox::{self, AupNotice, NoticeSettings};
use crate::services::suspension::transitions;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;

/// The rolling window complaints are counted over.
pub const WINDOW_HOURS: i64 = 24;

pub(crate) async fn find_duplicate<C: ConnectionTrait>(
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

/// Counted complaints a mailbox may draw in its window: its own override, else its company's;
/// halved (rounded down) while it is on probation after a lift of Send Mail.
pub(crate) fn allowance_of(mailbox: &mailbox::Model, company: &company::Model, now: DateTime<Utc>) -> u64 {
    let allowance = mailbox.complaint_allowance.unwrap_or(company.complaint_allowance).max(0) as u64;
    if crate::enforcement::limits::on_probation(company.probation, mailbox.send_lifted_at, now) {
        allowance / 2
    } else {
        allowance
    }
}

/// Suspends and queues the notice when the mailbox is past its allowance.
pub(crate) async fn apply_rule(
    txn: &DatabaseTransaction,
    settings: &NoticeSettings,
    mailbox: &mailbox::Model,
    company: &company::Model,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let allowance = allowance_of(mailbox, company, now);
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
    let (_, services) = transitions::suspend_in(
        txn,
        by,
        mailbox.id,
        &[Service::SendMail],
        SuspensionReason::SpamComplaints,
        &evidence,
    )
    .await?;
    let notice = AupNotice {
        company,
        mailbox,
        count,
        allowance,
        window_start,
        window_end: now,
        sample_ids: in_window.iter().rev().take(3).copied().collect(),
    };
    outbox::enqueue_aup_in(txn, settings, &notice).await?;
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
