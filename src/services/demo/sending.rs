//! Sending counts for the demo, as the policy service would have shared them: a day of mail
//! from a few mailboxes of the first domain, one of them close to its hourly external limit, so
//! the Status page, its chart and the front page have something to show.
use crate::enforcement::limits::{self, BucketCount};
use crate::entity::mailbox;
use crate::services::common::ServiceError;
use crate::services::enforcement::counts::{self, CountRow};
use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

pub async fn add(db: &DatabaseConnection, domain_id: i32) -> Result<(), ServiceError> {
    let senders: Vec<i32> = mailbox::Entity::find()
        .filter(mailbox::Column::DomainId.eq(domain_id))
        .filter(mailbox::Column::SvcSendMail.eq(0))
        .order_by_asc(mailbox::Column::Id)
        .limit(6)
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    let now = limits::bucket_of(Utc::now());
    let mut rows = Vec::new();
    for (i, id) in senders.iter().enumerate() {
        for b in (now - limits::DAY_BUCKETS + 1)..=now {
            // Office hours: more mail in the middle of the day, a little at night.
            let hour = (b.rem_euclid(limits::DAY_BUCKETS)) / limits::HOUR_BUCKETS;
            let busy = if (8..18).contains(&hour) { 3 } else { 1 };
            let mut external = ((b as u32).wrapping_mul(2_654_435_761) >> 29) * busy + i as u32;
            let internal = external / 2 + 1;
            // The second sender has been busy in the last hour: close to its 1,000 external
            // recipients an hour.
            if i == 1 && b > now - limits::HOUR_BUCKETS {
                external += 55;
            }
            rows.push(CountRow { mailbox_id: *id, count: BucketCount { bucket: b, external, internal } });
        }
    }
    counts::add(db, 0, &rows).await?;
    Ok(())
}
