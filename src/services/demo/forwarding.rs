//! The demo's aliases, catch-all, forward and quotas, made through the same services as real
//! ones, so the alias list, Edit Mailbox and the look-up have something to show.
use crate::domain::{AliasName, Targets};
use crate::entity::mailbox;
use crate::services::access::admins;
use crate::services::common::ServiceError;
use crate::services::hierarchy::forwarding;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// In the first domain of the first three companies: `info` and `sales` aliases, a forward
/// that keeps a copy, a 2 GB quota on the first twenty mailboxes; the first domain also gets a
/// catch-all.
/// `domain_ids`: the seeded domains, grouped by company.
pub async fn add(db: &DatabaseConnection, domain_ids: &[Vec<i32>]) -> Result<(), ServiceError> {
    let demo = admins::system_actor("demo");
    for (index, domain_id) in domain_ids.iter().filter_map(|d| d.first()).take(3).enumerate() {
        let first: Vec<(i32, String)> = mailbox::Entity::find()
            .select_only()
            .columns([mailbox::Column::Id, mailbox::Column::Address])
            .filter(mailbox::Column::DomainId.eq(*domain_id))
            .order_by_asc(mailbox::Column::Id)
            .limit(20)
            .into_tuple()
            .all(db)
            .await?;
        if first.len() < 2 {
            continue;
        }
        let alias = |local: &str, targets: String| {
            let name = AliasName::parse(local).expect("a valid demo alias");
            let targets = Targets::parse(&targets).expect("valid demo targets");
            forwarding::create(db, &demo, *domain_id, name, targets)
        };
        alias("info", format!("{},{}", first[0].1, first[1].1)).await?;
        alias("sales", format!("{},orders@partner.example", first[0].1)).await?;
        if index == 0 {
            let targets = Targets::parse(&first[0].1).expect("a valid demo target");
            forwarding::create(db, &demo, *domain_id, AliasName::CatchAll, targets).await?;
        }
        let away =
            Targets::parse(&format!("{}@home.example", first[1].1.split('@').next().unwrap_or("user")))
                .expect("a valid demo forward");
        forwarding::set_forward(db, &demo, first[1].0, Some(away), true).await?;
        let ids: Vec<i32> = first.iter().map(|(id, _)| *id).collect();
        mailbox::Entity::update_many()
            .col_expr(mailbox::Column::QuotaMb, Expr::value(2048))
            .filter(mailbox::Column::Id.is_in(ids))
            .exec(db)
            .await?;
    }
    Ok(())
}
