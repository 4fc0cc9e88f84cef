//! What happens when a sender reaches a limit, once per mailbox, limit and window slot however
//! many policy instances see it: the `limit_breach` row is the lock. Then, as the company
//! chose: soft-suspend *Send Mail* (reason "rate limit") with an AUP notice, or alert its abuse
//! contacts (the policy service already pauses the sender when the company defers).
use crate::domain::{Service, SuspensionReason};
use crate::enforcement::limits::{Breach, BreachAction};
use crate::entity::{company, domain, mailbox};
use crate::services::audit::{self, Change};
use crate::services::common::{ServiceError, begin_write, sql};
use crate::services::notices::outbox::{self, NoticeSettings};
use crate::services::suspension::transitions;
use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait};
use serde_json::json;

const BY: &str = "system (sending limits)";

/// Records breaches and acts on them, in one transaction (a burst of senders reaching their
/// limits costs one commit); answers how many this call acted on (others had been already).
pub async fn record_all(
    db: &DatabaseConnection,
    settings: &NoticeSettings,
    breaches: &[Breach],
) -> Result<usize, ServiceError> {
    let txn = begin_write(db).await?;
    let mut acted = 0;
    for breach in breaches {
        acted += record_in(&txn, settings, breach).await? as usize;
    }
    txn.commit().await?;
    Ok(acted)
}

/// Records one breach in `txn` and acts on it; answers whether this call was the one that acted.
async fn record_in(
    txn: &DatabaseTransaction,
    settings: &NoticeSettings,
    breach: &Breach,
) -> Result<bool, ServiceError> {
    let Some(mailbox) = mailbox::Entity::find_by_id(breach.mailbox_id).one(txn).await? else {
        return Ok(false); // deleted meanwhile
    };
    let domain =
        domain::Entity::find_by_id(mailbox.domain_id).one(txn).await?.ok_or(ServiceError::NotFound)?;
    let company =
        company::Entity::find_by_id(domain.company_id).one(txn).await?.ok_or(ServiceError::NotFound)?;
    let action = BreachAction::from_stored(&company.limit_breach);
    let now = Utc::now();
    let inserted = txn
        .execute_raw(sql::statement(
            txn.get_database_backend(),
            "INSERT INTO limit_breach (mailbox_id, kind, slot, at, action, counted, lim) VALUES (?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (mailbox_id, kind, slot) DO NOTHING",
            vec![
                breach.mailbox_id.into(),
                breach.kind.as_str().into(),
                breach.slot.into(),
                now.into(),
                action.as_str().into(),
                (breach.counted as i64).into(),
                (breach.limit as i64).into(),
            ],
        ))
        .await?
        .rows_affected();
    if inserted == 0 {
        return Ok(false);
    }
    let acted = match action {
        BreachAction::Suspend => suspend(txn, settings, &company, &mailbox, breach).await?,
        BreachAction::Defer | BreachAction::Alert => {
            alert(txn, settings, &company, &mailbox, breach, action).await?;
            true
        }
    };
    tracing::info!(
        mailbox_id = mailbox.id,
        limit_kind = breach.kind.as_str(),
        limit = breach.limit,
        action = action.as_str(),
        "sending limit reached"
    );
    Ok(acted)
}

fn evidence(mailbox: &mailbox::Model, breach: &Breach) -> String {
    format!(
        "{} reached its {} of {} recipients ({} counted) at {} UTC",
        mailbox.address,
        breach.kind.describe(),
        breach.limit,
        breach.counted,
        Utc::now().format("%Y-%m-%d %H:%M"),
    )
}

async fn suspend(
    txn: &DatabaseTransaction,
    settings: &NoticeSettings,
    company: &company::Model,
    mailbox: &mailbox::Model,
    breach: &Breach,
) -> Result<bool, ServiceError> {
    let evidence = evidence(mailbox, breach);
    let (_, services) = transitions::suspend_in(
        txn,
        BY,
        mailbox.id,
        &[Service::SendMail],
        SuspensionReason::RateLimit,
        &evidence,
    )
    .await?;
    if services.is_empty() {
        return Ok(false); // already suspended: no second notice
    }
    let status_url = outbox::status_url(settings, mailbox.id);
    outbox::enqueue_in(
        txn,
        (company, mailbox),
        "aup",
        &[],
        format!("AUP Notice: sending suspended for {} (sending limit)", mailbox.address),
        format!(
                "Attention: abuse contact of {company}\n\n\
                 Sending from the mailbox {address}, one of the email accounts of {company}, has been \
                 soft-suspended: it reached its {what} of {limit} recipients ({counted} counted).\n\n\
                 Mail to that many recipients in so short a time is usually bulk mail or a stolen \
                 password. The user can still sign in, read and receive mail, but every attempt to send, \
                 by SMTP or webmail, gets an error. The user has not been told why.\n\n\
                 Please decide whether the suspension was warranted and, if needed, contact the user. You may:\n\
                 a) lift the suspension now, if it was not warranted;\n\
                 b) educate the user and lift the suspension;\n\
                 c) delete the account, if the messages clearly violate the acceptable use policy.\n\n\
                 To lift it: open {status_url} and untick \"Send Mail\" (or use \"Lift now\" or \"Educate and lift\" there).\n\n\
                 If the user did not send these messages, the account's password is probably known to a \
                 spammer: set a new one when you lift the suspension.\n",
                company = company.name,
                address = mailbox.address,
                what = breach.kind.describe(),
                limit = breach.limit,
                counted = breach.counted,
            ),
        settings,
    )
    .await?;
    audit::record_as(
        txn,
        BY,
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
                "reason": SuspensionReason::RateLimit.as_str(),
                "evidence": evidence,
            }),
        },
    )
    .await?;
    Ok(true)
}

async fn alert(
    txn: &DatabaseTransaction,
    settings: &NoticeSettings,
    company: &company::Model,
    mailbox: &mailbox::Model,
    breach: &Breach,
    action: BreachAction,
) -> Result<(), ServiceError> {
    let status_url = outbox::status_url(settings, mailbox.id);
    let effect = match action {
        BreachAction::Defer => {
            "Further recipients are refused with a temporary error until the window frees; the \
             sender's mail server retries them later. Nothing has been suspended."
        }
        _ => "The mail was let through (your company only asks to be alerted). Nothing has been suspended.",
    };
    outbox::enqueue_in(
        txn,
        (company, mailbox),
        "limit",
        &[],
        format!("Sending limit reached: {}", mailbox.address),
        format!(
            "Attention: abuse contact of {company}\n\n\
                 The mailbox {address} reached its {what} of {limit} recipients ({counted} counted).\n\n\
                 {effect}\n\n\
                 If the user did not mean to send this much, the account's password may be known to a \
                 spammer. Its sending and limits: {status_url}\n",
            company = company.name,
            address = mailbox.address,
            what = breach.kind.describe(),
            limit = breach.limit,
            counted = breach.counted,
        ),
        settings,
    )
    .await?;
    audit::record_as(
        txn,
        BY,
        "system",
        None,
        "local",
        Change {
            company_id: Some(company.id),
            object_kind: "mailbox",
            object_id: Some(mailbox.id),
            object_label: &mailbox.address,
            action: "limit_reached",
            before: json!({}),
            after: json!({
                "limit": breach.kind.as_str(),
                "of": breach.limit,
                "counted": breach.counted,
                "action": action.as_str(),
            }),
        },
    )
    .await?;
    Ok(())
}
