//! Demo complaints, fed through the real intake so the demo shows the whole loop: a mailbox
//! pushed past its allowance (suspended, AUP notice queued), a non-counting report, and
//! complaints about an address we do not host.
use crate::entity::mailbox;
use crate::intake::arf;
use crate::services::common::ServiceError;
use crate::services::complaints::intake;
use crate::services::complaints::outcome::Source;
use crate::services::notices::outbox::NoticeSettings;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

fn report(sender: &str, n: usize, feedback_type: &str) -> String {
    format!(
        "From: <fbl@feedback.example.net>\r\nTo: <fbl@platform.example>\r\nSubject: FW: complaint\r\n\
         Message-ID: <demo-report-{n}@feedback.example.net>\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=feedback-report; boundary=\"demo\"\r\n\r\n\
         --demo\r\nContent-Type: text/plain\r\n\r\nThis is an email abuse report.\r\n\
         --demo\r\nContent-Type: message/feedback-report\r\n\r\n\
         Feedback-Type: {feedback_type}\r\nUser-Agent: DemoFBL/1.0\r\nVersion: 1\r\n\
         Original-Mail-From: <{sender}>\r\nOriginal-Rcpt-To: <reader{n}@example.net>\r\n\
         Arrival-Date: Tue, 24 Nov 2026 09:58:00 +0000\r\nSource-IP: 192.0.2.{ip}\r\n\r\n\
         --demo\r\nContent-Type: message/rfc822\r\n\r\n\
         Return-Path: <{sender}>\r\nFrom: <{sender}>\r\nTo: <reader{n}@example.net>\r\n\
         Subject: Cheap watches, today only\r\nMessage-ID: <demo-original-{n}@mail.example>\r\n\
         Date: Tue, 24 Nov 2026 09:57:00 +0000\r\n\r\n\
         Luxury watches at 90% off. <a href=\"http://shop.example/\">Buy now</a>\r\n--demo--\r\n",
        ip = n % 250 + 1,
    )
}

pub async fn add(
    db: &DatabaseConnection,
    domain_id: i32,
    settings: &NoticeSettings,
) -> Result<(), ServiceError> {
    let Some(target) = mailbox::Entity::find()
        .filter(mailbox::Column::DomainId.eq(domain_id))
        .filter(mailbox::Column::SvcSendMail.eq(0))
        .order_by_asc(mailbox::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let mut reports: Vec<String> = (0..12).map(|n| report(&target.address, n, "abuse")).collect();
    reports.push(report(&target.address, 12, "not-spam"));
    reports.push(report("newsletter@not-hosted.example", 13, "abuse"));
    reports.push(report("promo@not-hosted.example", 14, "abuse"));
    for raw in reports {
        let parsed = arf::parse(raw.as_bytes(), 1 << 20)
            .map_err(|e| ServiceError::Internal(format!("demo report does not parse: {e}")))?;
        intake::store(db, settings, &parsed, Source::Manual).await?;
    }
    intake::quarantine(
        db,
        b"Subject: out of office\r\n\r\nI am away until Monday.\r\n",
        Source::Cli,
        "not a feedback report (demo)",
    )
    .await?;
    Ok(())
}
