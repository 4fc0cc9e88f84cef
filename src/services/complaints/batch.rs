//! The write path of the complaint intake, for one report or many in one transaction.
//!
//! Feedback loops send in bursts, and on SQLite every write waits for the one write lock, so
//! the intake stores reports in batches (group commit): one transaction attributes them all
//! with one query, locks their mailboxes in id order (so two writers or app instances sharing
//! a PostgreSQL never deadlock on mailbox locks; two batches holding copies of the same two
//! unattributed reports in opposite order can, and PostgreSQL then aborts one, which the
//! writer retries report by report), inserts each report (a repeat is a
//! conflict on a unique index, answered as a duplicate, never an aborted transaction), then
//! counts the touched mailboxes' windows with two grouped queries and applies the rule. The
//! outcome per report is the same as storing them one by one in arrival order.
use super::outcome::{Outcome, Source};
use super::rule::{self, WINDOW_HOURS};
use crate::domain::{Service, ServiceState};
use crate::entity::{company, complaint, domain, mailbox, suspension};
use crate::intake::arf::FeedbackReport;
use crate::services::notices::outbox::NoticeSettings;
use crate::services::{common::ServiceError, common::begin_write};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, TryInsertResult,
};
use std::collections::HashMap;

/// How much of an original is kept as a sample.
const SAMPLE_LIMIT: usize = 256 * 1024;

/// One report to store.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    pub report: &'a FeedbackReport,
    pub source: Source,
}

/// Stores `batch` in one transaction; the outcomes are in the batch's order. Either all are
/// stored or none is (the caller may then retry them one by one).
pub async fn store_batch(
    db: &DatabaseConnection,
    settings: &NoticeSettings,
    batch: &[Incoming<'_>],
) -> Result<Vec<Outcome>, ServiceError> {
    let txn = begin_write(db).await?;
    let outcomes = store_in(&txn, settings, batch).await?;
    txn.commit().await?;
    for outcome in &outcomes {
        if let Outcome::Stored { mailbox_id, suspended: true, .. } = outcome {
            tracing::warn!(mailbox_id, "Send Mail soft-suspended after spam complaints");
        }
    }
    Ok(outcomes)
}

async fn store_in(
    txn: &DatabaseTransaction,
    settings: &NoticeSettings,
    batch: &[Incoming<'_>],
) -> Result<Vec<Outcome>, ServiceError> {
    let candidates: Vec<Vec<String>> = batch.iter().map(|i| i.report.sender_candidates()).collect();
    let mailboxes = lock_candidates(txn, &candidates).await?;
    let attributed: Vec<Option<&mailbox::Model>> =
        candidates.iter().map(|list| list.iter().find_map(|a| mailboxes.get(a))).collect();
    let mut domain_ids: Vec<i32> = attributed.iter().flatten().map(|m| m.domain_id).collect();
    domain_ids.sort_unstable();
    domain_ids.dedup();
    let domains: HashMap<i32, domain::Model> = if domain_ids.is_empty() {
        HashMap::new()
    } else {
        domain::Entity::find()
            .filter(domain::Column::Id.is_in(domain_ids))
            .all(txn)
            .await?
            .into_iter()
            .map(|d| (d.id, d))
            .collect()
    };

    let now = Utc::now();
    let mut outcomes = Vec::with_capacity(batch.len());
    // New counted complaints per mailbox that could still be suspended, by index into `outcomes`.
    let mut counted: HashMap<i32, Vec<usize>> = HashMap::new();
    for (index, (incoming, mailbox)) in batch.iter().zip(&attributed).enumerate() {
        let company_id = mailbox.and_then(|m| domains.get(&m.domain_id)).map(|d| d.company_id);
        let sender = mailbox
            .map(|m| m.address.clone())
            .or_else(|| candidates[index].first().cloned())
            .unwrap_or_default();
        let outcome = insert(txn, incoming, mailbox.map(|m| m.id), company_id, sender, now).await?;
        if let (Outcome::Stored { .. }, Some(m)) = (&outcome, mailbox)
            && incoming.report.feedback_type.counts()
            && ServiceState::from_code(m.svc_send_mail) != ServiceState::Suspended
        {
            counted.entry(m.id).or_default().push(index);
        }
        outcomes.push(outcome);
    }
    if counted.is_empty() {
        return Ok(outcomes);
    }

    let by_id: HashMap<i32, &mailbox::Model> = mailboxes.values().map(|m| (m.id, m)).collect();
    let ids: Vec<i32> = counted.keys().copied().collect();
    let counts = window_counts(txn, &ids, now).await?;
    let company_ids =
        ids.iter().filter_map(|id| domains.get(&by_id.get(id)?.domain_id)).map(|d| d.company_id);
    let companies = companies_of(txn, company_ids).await?;
    for (mailbox_id, indexes) in &counted {
        let Some(mailbox) = by_id.get(mailbox_id).copied() else { continue };
        let Some(domain) = domains.get(&mailbox.domain_id) else { continue };
        let Some(company) = companies.get(&domain.company_id) else { continue };
        let allowance = rule::allowance_of(mailbox, company, now);
        let count = counts.get(mailbox_id).copied().unwrap_or(0);
        if count <= allowance {
            continue;
        }
        if !rule::apply_rule(txn, settings, mailbox, company, now).await? {
            continue;
        }
        // The report that took the count past the allowance is the one that suspended: the
        // count stood at `count - new` before this batch.
        let before = count.saturating_sub(indexes.len() as u64);
        let crossing = (allowance.saturating_sub(before)) as usize;
        let index = indexes[crossing.min(indexes.len() - 1)];
        if let Outcome::Stored { suspended, .. } = &mut outcomes[index] {
            *suspended = true;
        }
    }
    Ok(outcomes)
}

/// The hosted mailboxes among all sender candidates, locked in id order, by address.
async fn lock_candidates(
    txn: &DatabaseTransaction,
    candidates: &[Vec<String>],
) -> Result<HashMap<String, mailbox::Model>, ServiceError> {
    let mut addresses: Vec<&str> = candidates.iter().flatten().map(String::as_str).collect();
    addresses.sort_unstable();
    addresses.dedup();
    if addresses.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(mailbox::Entity::find()
        .filter(mailbox::Column::Address.is_in(addresses))
        .order_by_asc(mailbox::Column::Id)
        .lock_exclusive()
        .all(txn)
        .await?
        .into_iter()
        .map(|m| (m.address.clone(), m))
        .collect())
}

async fn companies_of(
    txn: &DatabaseTransaction,
    ids: impl Iterator<Item = i32>,
) -> Result<HashMap<i32, company::Model>, ServiceError> {
    let mut ids: Vec<i32> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(company::Entity::find()
        .filter(company::Column::Id.is_in(ids))
        .all(txn)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect())
}

/// Inserts one report; a repeat (either unique index) is answered with the stored complaint.
async fn insert(
    txn: &DatabaseTransaction,
    incoming: &Incoming<'_>,
    mailbox_id: Option<i32>,
    company_id: Option<i32>,
    sender: String,
    now: DateTime<Utc>,
) -> Result<Outcome, ServiceError> {
    let report = incoming.report;
    // The duplicate keys, as stored, so the look-up after a conflict finds the stored row.
    let recipient = report.original_rcpt_to.first().map(|r| storable(r));
    let original_message_id = report.original_message_id.as_deref().map(storable);
    let report_message_id = report.report_message_id.as_deref().map(storable);
    let sender = storable(&sender);
    let row = complaint::ActiveModel {
        received_at: Set(now),
        arrival_date: Set(report.arrival_date),
        feedback_type: Set(report.feedback_type.as_str().to_owned()),
        counts: Set(report.feedback_type.counts()),
        mailbox_id: Set(mailbox_id),
        company_id: Set(company_id),
        sender: Set(sender),
        complaining_recipient: Set(recipient.clone()),
        original_message_id: Set(original_message_id.clone()),
        report_message_id: Set(report_message_id.clone()),
        source: Set(incoming.source.as_str().to_owned()),
        reporting_mta: Set(report.reporting_mta.as_deref().map(storable)),
        source_ip: Set(report.source_ip.as_deref().map(storable)),
        user_agent: Set(report.user_agent.as_deref().map(storable)),
        subject: Set(report.original_subject.as_deref().map(storable)),
        original: Set(sample_text(report)),
        original_headers_only: Set(report.original_is_headers_only),
        ..Default::default()
    };
    // No conflict target: either unique index (report Message-ID, or original Message-ID and
    // recipient) makes it a repeat, and DO NOTHING keeps the transaction usable on PostgreSQL.
    let inserted = complaint::Entity::insert(row)
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .try_insert()
        .exec(txn)
        .await?;
    match inserted {
        TryInsertResult::Inserted(result) => {
            Ok(Outcome::Stored { complaint_id: result.last_insert_id, mailbox_id, suspended: false })
        }
        TryInsertResult::Conflicted | TryInsertResult::Empty => {
            let original = original_message_id.as_deref().zip(recipient.as_deref());
            let id =
                rule::find_duplicate(txn, report_message_id.as_deref(), original).await?.unwrap_or_default();
            Ok(Outcome::Duplicate { complaint_id: id })
        }
    }
}

/// Counted complaints in each mailbox's window (see [`rule::window_count`]), with two
/// grouped queries; the rare mailbox lifted within the last 24 hours is counted on its own.
async fn window_counts(
    txn: &DatabaseTransaction,
    ids: &[i32],
    now: DateTime<Utc>,
) -> Result<HashMap<i32, u64>, ServiceError> {
    let day_ago = now - Duration::hours(WINDOW_HOURS);
    let mut counts: HashMap<i32, u64> = complaint::Entity::find()
        .select_only()
        .column(complaint::Column::MailboxId)
        .column_as(complaint::Column::Id.count(), "n")
        .filter(complaint::Column::MailboxId.is_in(ids.iter().copied()))
        .filter(complaint::Column::Counts.eq(true))
        .filter(complaint::Column::ReceivedAt.gt(day_ago))
        .group_by(complaint::Column::MailboxId)
        .into_tuple::<(i32, i64)>()
        .all(txn)
        .await?
        .into_iter()
        .map(|(id, n)| (id, n.max(0) as u64))
        .collect();
    let recently_lifted: Vec<i32> = suspension::Entity::find()
        .select_only()
        .column(suspension::Column::MailboxId)
        .filter(suspension::Column::MailboxId.is_in(ids.iter().copied()))
        .filter(suspension::Column::Service.eq(Service::SendMail.key()))
        .filter(suspension::Column::EndedAt.gt(day_ago))
        .distinct()
        .into_tuple::<i32>()
        .all(txn)
        .await?;
    for id in recently_lifted {
        let (count, _) = rule::window_count(txn, id, now).await?;
        counts.insert(id, count);
    }
    Ok(counts)
}

fn sample_text(report: &FeedbackReport) -> Option<String> {
    report.original.as_ref().map(|bytes| {
        let end = bytes.len().min(SAMPLE_LIMIT);
        storable(&String::from_utf8_lossy(&bytes[..end]))
    })
}

/// Text PostgreSQL can hold: it refuses NUL characters in `text`, which a report may carry
/// (SQLite would keep them); they become U+FFFD, as undecodable bytes already do.
pub(crate) fn storable(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}
