//! AUP notices: written to an outbox in the transaction that suspends, delivered later by the
//! worker (`crate::notices`) with retries. With no SMTP relay configured they stay queued and
//! readable on the Notices page.
use crate::authz::{Action, Actor, Place};
use crate::domain::ContactKind;
use crate::entity::{abuse_contact, company, complaint, mailbox, notice};
use crate::services::{common::ServiceError, common::authorize};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

/// Settings a notice is written with.
#[derive(Debug, Clone)]
pub struct NoticeSettings {
    /// Where notices go for a company without an abuse contact.
    pub platform_address: String,
    /// The dashboard's address, for the link to the Status page.
    pub public_url: String,
}

pub const STATUS_QUEUED: &str = "queued";
pub const STATUS_SENT: &str = "sent";
pub const STATUS_FAILED: &str = "failed";
/// Attempts before a notice is given up as failed (about a day of exponential back-off).
pub const MAX_ATTEMPTS: i32 = 12;

pub struct AupNotice<'a> {
    pub company: &'a company::Model,
    pub mailbox: &'a mailbox::Model,
    pub count: u64,
    pub allowance: u64,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    /// Up to three complaints whose originals go along as samples.
    pub sample_ids: Vec<i32>,
}

fn body(settings: &NoticeSettings, n: &AupNotice<'_>) -> String {
    let status_url = status_url(settings, n.mailbox.id);
    let mut text = String::new();
    text.push_str(&format!(
        "Attention: abuse contact of {company}\n\n\
         Sending from the mailbox {address}, one of the email accounts of {company}, has been \
         soft-suspended.\n\n\
         Recipients reported {count} messages sent from it as spam between {start} and {end} UTC; \
         the allowance is {allowance} complaints in 24 hours. Up to three sample messages are attached.\n\n\
         The user can still sign in, read and receive mail, but every attempt to send, by SMTP or \
         webmail, gets an error. The user has not been told why.\n\n\
         Please decide whether the suspension was warranted and, if needed, contact the user. You may:\n\
         a) lift the suspension now, if it was not warranted;\n\
         b) educate the user and lift the suspension;\n\
         c) delete the account, if the messages clearly violate the acceptable use policy.\n\n\
         To lift it: open {status_url} and untick \"Send Mail\" (or use \"Lift now\" or \"Educate and lift\" there).\n\n\
         If the user did not send these messages, the account's password is probably known to a \
         spammer: set a new one when you lift the suspension.\n\n\
         A soft-suspended mailbox cannot be deleted until the suspension is lifted.\n",
        company = n.company.name,
        address = n.mailbox.address,
        count = n.count,
        allowance = n.allowance,
        start = n.window_start.format("%Y-%m-%d %H:%M"),
        end = n.window_end.format("%Y-%m-%d %H:%M"),
    ));
    text
}

/// Writes the notice into the outbox, in the suspending transaction.
pub(crate) async fn enqueue_aup_in(
    txn: &DatabaseTransaction,
    settings: &NoticeSettings,
    n: &AupNotice<'_>,
) -> Result<i32, ServiceError> {
    enqueue_in(
        txn,
        (n.company, n.mailbox),
        "aup",
        &n.sample_ids,
        format!("AUP Notice: sending suspended for {}", n.mailbox.address),
        body(settings, n),
        settings,
    )
    .await
}

/// The abuse contacts of a company, or the platform's address when it has none (`true`).
pub(crate) async fn recipients_of<C: ConnectionTrait>(
    db: &C,
    settings: &NoticeSettings,
    company_id: i32,
) -> Result<(Vec<String>, bool), ServiceError> {
    let contacts: Vec<String> = abuse_contact::Entity::find()
        .filter(abuse_contact::Column::CompanyId.eq(company_id))
        .filter(abuse_contact::Column::Kind.eq(ContactKind::Abuse.as_str()))
        .order_by_asc(abuse_contact::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.email)
        .collect();
    Ok(if contacts.is_empty() { (vec![settings.platform_address.clone()], true) } else { (contacts, false) })
}

/// The Status-page link notices carry.
pub fn status_url(settings: &NoticeSettings, mailbox_id: i32) -> String {
    format!("{}/mailboxes/{}/status", settings.public_url.trim_end_matches('/'), mailbox_id)
}

/// Writes a notice about `mailbox` to its company's abuse contacts into the outbox, in `txn`;
/// to the platform's address, with a line saying why, when the company has none.
pub(crate) async fn enqueue_in(
    txn: &DatabaseTransaction,
    (company, mailbox): (&company::Model, &mailbox::Model),
    kind: &str,
    sample_ids: &[i32],
    subject: String,
    body: String,
    settings: &NoticeSettings,
) -> Result<i32, ServiceError> {
    let (recipients, to_platform) = recipients_of(txn, settings, company.id).await?;
    metrics::counter!("mailadmin_notices_total", "event" => "queued").increment(1);
    let body = if to_platform {
        format!(
            "NOTE: {} has no abuse contact, so this notice went to the platform's address.\n\n{body}",
            company.name
        )
    } else {
        body
    };
    let now = Utc::now();
    let model = notice::ActiveModel {
        created_at: Set(now),
        kind: Set(kind.into()),
        company_id: Set(company.id),
        mailbox_id: Set(Some(mailbox.id)),
        mailbox_address: Set(mailbox.address.clone()),
        recipients: Set(recipients.join(", ")),
        to_platform: Set(to_platform),
        subject: Set(subject),
        body: Set(body),
        sample_ids: Set(sample_ids.iter().map(i32::to_string).collect::<Vec<_>>().join(",")),
        status: Set(STATUS_QUEUED.into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(model.id)
}

/// Notices for the platform's Notices page, newest first.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    limit: u64,
) -> Result<Vec<notice::Model>, ServiceError> {
    authorize(actor, Action::View, Place::Platform)?;
    Ok(notice::Entity::find().order_by_desc(notice::Column::Id).limit(limit).all(db).await?)
}

/// One company and its notices, newest first: for whoever sees the company (not domain admins,
/// to whom no company is visible).
pub async fn list_for_company(
    db: &DatabaseConnection,
    actor: &Actor,
    company_id: i32,
    limit: u64,
) -> Result<(crate::services::hierarchy::companies::Company, Vec<notice::Model>), ServiceError> {
    if actor.role == crate::domain::Role::Domain {
        return Err(ServiceError::NotFound);
    }
    let company = crate::services::hierarchy::companies::get(db, actor, company_id).await?;
    let rows = notice::Entity::find()
        .filter(notice::Column::CompanyId.eq(company_id))
        .order_by_desc(notice::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok((company, rows))
}

pub async fn get(db: &DatabaseConnection, actor: &Actor, id: i32) -> Result<notice::Model, ServiceError> {
    let model = notice::Entity::find_by_id(id).one(db).await?.ok_or(ServiceError::NotFound)?;
    authorize(actor, Action::View, Place::Company(model.company_id))?;
    if actor.role == crate::domain::Role::Domain {
        return Err(ServiceError::NotFound);
    }
    Ok(model)
}

/// A sample for the notice: the original (or its headers) as received.
pub struct Sample {
    pub complaint_id: i32,
    pub original: String,
    pub headers_only: bool,
}

pub async fn samples<C: ConnectionTrait>(
    db: &C,
    notice: &notice::Model,
) -> Result<Vec<Sample>, ServiceError> {
    let ids: Vec<i32> = notice.sample_ids.split(',').filter_map(|s| s.trim().parse().ok()).collect();
    Ok(complaint::Entity::find()
        .filter(complaint::Column::Id.is_in(ids))
        .order_by_asc(complaint::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|c| {
            c.original.map(|original| Sample {
                complaint_id: c.id,
                original,
                headers_only: c.original_headers_only,
            })
        })
        .take(3)
        .collect())
}

/// Claims up to `limit` due notices for this worker: each is pushed `lease` into the future
/// with a conditional update, so two app instances never send the same notice at once.
pub async fn claim_due(
    db: &DatabaseConnection,
    limit: u64,
    lease: Duration,
) -> Result<Vec<notice::Model>, ServiceError> {
    let now = Utc::now();
    let due = notice::Entity::find()
        .filter(notice::Column::Status.eq(STATUS_QUEUED))
        .filter(notice::Column::NextAttemptAt.lte(now))
        .order_by_asc(notice::Column::NextAttemptAt)
        .limit(limit)
        .all(db)
        .await?;
    let mut claimed = Vec::new();
    for n in due {
        let result = notice::Entity::update_many()
            .col_expr(notice::Column::NextAttemptAt, sea_orm::sea_query::Expr::value(now + lease))
            .filter(notice::Column::Id.eq(n.id))
            .filter(notice::Column::Status.eq(STATUS_QUEUED))
            .filter(notice::Column::NextAttemptAt.eq(n.next_attempt_at))
            .exec(db)
            .await?;
        if result.rows_affected == 1 {
            claimed.push(n);
        }
    }
    Ok(claimed)
}

/// Seconds the oldest queued notice has waited since it was queued; `None` when none waits.
pub async fn oldest_queued_age(db: &DatabaseConnection) -> Result<Option<f64>, ServiceError> {
    let oldest = notice::Entity::find()
        .filter(notice::Column::Status.eq(STATUS_QUEUED))
        .order_by_asc(notice::Column::CreatedAt)
        .one(db)
        .await?;
    Ok(oldest.map(|n| (Utc::now() - n.created_at).num_milliseconds() as f64 / 1000.0))
}

/// Gives claimed notices back at once (a stopping worker's unsent ones), so the next worker
/// need not wait for their claims to expire.
pub async fn release(db: &DatabaseConnection, ids: &[i32]) -> Result<(), ServiceError> {
    if ids.is_empty() {
        return Ok(());
    }
    notice::Entity::update_many()
        .col_expr(notice::Column::NextAttemptAt, sea_orm::sea_query::Expr::value(Utc::now()))
        .filter(notice::Column::Id.is_in(ids.to_vec()))
        .filter(notice::Column::Status.eq(STATUS_QUEUED))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn mark_sent(db: &DatabaseConnection, id: i32, answer: &str) -> Result<(), ServiceError> {
    metrics::counter!("mailadmin_notices_total", "event" => "sent").increment(1);
    notice::ActiveModel {
        id: Set(id),
        status: Set(STATUS_SENT.into()),
        sent_at: Set(Some(Utc::now())),
        last_error: Set(Some(answer.chars().take(1000).collect())),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Records a failed attempt: retried after 30 s × 2^attempts (at most 6 h), given up after
/// [`MAX_ATTEMPTS`] or at once on a permanent (5xx) answer.
pub async fn mark_attempt_failed(
    db: &DatabaseConnection,
    notice: &notice::Model,
    error: &str,
    permanent: bool,
) -> Result<(), ServiceError> {
    let attempts = notice.attempts + 1;
    let give_up = permanent || attempts >= MAX_ATTEMPTS;
    let event = if give_up { "failed" } else { "retried" };
    metrics::counter!("mailadmin_notices_total", "event" => event).increment(1);
    let delay = Duration::seconds((30_i64 << attempts.min(10)).min(6 * 3600));
    notice::ActiveModel {
        id: Set(notice.id),
        attempts: Set(attempts),
        status: Set(if give_up { STATUS_FAILED } else { STATUS_QUEUED }.into()),
        next_attempt_at: Set(Utc::now() + delay),
        last_error: Set(Some(error.chars().take(1000).collect())),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}
