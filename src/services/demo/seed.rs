//! Demo data: companies, domains and mailboxes with realistic names, a few with services off.
//! Also the generator behind the benchmark, so it inserts in large batches.
use crate::domain::{Service, ServiceSet, ServiceState};
use crate::entity::{company, domain, mailbox};
use crate::services::common::ServiceError;
use crate::services::common::passwords::{self, Secret};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait, Set,
};

const COMPANY_NAMES: &[&str] = &[
    "Northwind Traders",
    "Contoso Dental",
    "Fabrikam Legal",
    "Tailspin Travel",
    "Adventure Works",
    "Alpine Ski House",
    "Blue Yonder Air",
    "Coho Winery",
    "Fourth Coffee",
    "Litware Labs",
    "Lucerne Publishing",
    "Margie's Travel",
    "Proseware",
    "Trey Research",
    "Wide World Importers",
    "Woodgrove Bank",
];
const FIRST_NAMES: &[&str] = &[
    "anna", "ben", "carla", "david", "elena", "felix", "greta", "hugo", "ines", "jonas", "karin", "lars",
    "maria", "nils", "olga", "paul", "quinn", "rosa", "sven", "tara", "ulrich", "vera", "walter", "xenia",
    "yusuf", "zoe", "amir", "bianca", "chen", "dana", "emil", "fatima", "george", "hanna", "ivan", "julia",
    "kemal", "lena", "marco", "nora",
];
const LAST_NAMES: &[&str] = &[
    "schmidt", "meyer", "novak", "garcia", "rossi", "dubois", "jansen", "kowalski", "smith", "nielsen",
    "silva", "yilmaz", "horvat", "berg", "fischer", "weber", "wagner", "becker", "hoffmann", "schulz",
    "keller", "lang", "roth", "frank", "moreau", "lambert", "costa", "ward", "brooks", "price", "bennett",
    "hughes", "foster", "kelly", "murphy", "byrne", "walsh", "quinn", "doyle", "lynch",
];

/// The password every generated mailbox gets (demo data only).
pub const DEMO_MAILBOX_PASSWORD: &str = "mailbox-demo";

#[derive(Debug, Clone, Copy)]
pub struct SeedOptions {
    pub companies: u32,
    pub domains_per_company: u32,
    pub mailboxes_per_domain: u32,
}

#[derive(Debug, Clone, Default)]
pub struct SeedReport {
    pub company_ids: Vec<i32>,
    /// Domain ids, grouped by company in creation order.
    pub domain_ids: Vec<Vec<i32>>,
    pub mailboxes: u64,
}

fn slug(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' => Some(c),
            ' ' | '-' => Some('-'),
            _ => None,
        })
        .collect()
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Which services the `n`th generated mailbox has off: a few suspended for abuse, a few
/// switched off by an admin, so the demo shows every state.
fn services_for(n: u64) -> ServiceSet {
    let mut services = ServiceSet::default();
    if n % 97 == 5 {
        services.set(Service::SendMail, ServiceState::Suspended);
        services.set(Service::WebmailSend, ServiceState::Suspended);
    }
    if n % 53 == 7 {
        services.set(Service::Pop3, ServiceState::Disabled);
    }
    services
}

const BATCH: usize = 1000;
const BATCHES_PER_TRANSACTION: usize = 20;

/// Inserts the demo hierarchy. `progress` is called with (mailboxes done, mailboxes in all).
pub async fn seed(
    db: &DatabaseConnection,
    options: SeedOptions,
    mut progress: impl FnMut(u64, u64),
) -> Result<SeedReport, ServiceError> {
    let password_hash = passwords::hash(Secret::new(DEMO_MAILBOX_PASSWORD.into())).await?;
    let existing = company::Entity::find().count(db).await? as usize;
    let total =
        options.companies as u64 * options.domains_per_company as u64 * options.mailboxes_per_domain as u64;
    let mut report = SeedReport::default();
    let now = Utc::now();
    let mut done: u64 = 0;
    for c in 0..options.companies as usize {
        let index = existing + c;
        let base = COMPANY_NAMES[index % COMPANY_NAMES.len()];
        let round = index / COMPANY_NAMES.len();
        let name = if round == 0 { base.to_owned() } else { format!("{base} {}", round + 1) };
        let company = company::Entity::insert(company::ActiveModel {
            name: Set(name.clone()),
            status: Set("active".into()),
            complaint_allowance: Set(10),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(db)
        .await?;
        report.company_ids.push(company.last_insert_id);
        let mut company_domains = Vec::new();
        for d in 0..options.domains_per_company {
            let domain_name = match d {
                0 => format!("{}.example", slug(&name)),
                n => format!("mail{}.{}.example", n + 1, slug(&name)),
            };
            let inserted = domain::Entity::insert(domain::ActiveModel {
                company_id: Set(company.last_insert_id),
                name: Set(domain_name.clone()),
                mailbox_count: Set(0),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .exec(db)
            .await?;
            let domain_id = inserted.last_insert_id;
            company_domains.push(domain_id);
            let mut rows = Vec::with_capacity(BATCH);
            let mut txn = crate::services::common::begin_write(db).await?;
            let mut batches_in_txn = 0;
            for m in 0..options.mailboxes_per_domain as usize {
                let first = FIRST_NAMES[m % FIRST_NAMES.len()];
                let last = LAST_NAMES[(m / FIRST_NAMES.len()) % LAST_NAMES.len()];
                let round = m / (FIRST_NAMES.len() * LAST_NAMES.len());
                let local =
                    if round == 0 { format!("{first}.{last}") } else { format!("{first}.{last}{round}") };
                let services = services_for(done + m as u64);
                rows.push(mailbox::ActiveModel {
                    domain_id: Set(domain_id),
                    address: Set(format!("{local}@{domain_name}")),
                    local_part: Set(local),
                    display_name: Set(format!("{} {}", capitalise(first), capitalise(last))),
                    password_hash: Set(password_hash.clone()),
                    svc_send_mail: Set(services.send_mail.code()),
                    svc_receive_mail: Set(services.receive_mail.code()),
                    svc_imap: Set(services.imap.code()),
                    svc_pop3: Set(services.pop3.code()),
                    svc_webmail_login: Set(services.webmail_login.code()),
                    svc_webmail_send: Set(services.webmail_send.code()),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                });
                if rows.len() == BATCH {
                    mailbox::Entity::insert_many(std::mem::take(&mut rows))
                        .exec_without_returning(&txn)
                        .await?;
                    batches_in_txn += 1;
                    progress(done + m as u64 + 1, total);
                    if batches_in_txn == BATCHES_PER_TRANSACTION {
                        txn.commit().await?;
                        txn = crate::services::common::begin_write(db).await?;
                        batches_in_txn = 0;
                    }
                }
            }
            if !rows.is_empty() {
                mailbox::Entity::insert_many(rows).exec_without_returning(&txn).await?;
            }
            crate::services::hierarchy::domains::recount_mailboxes(&txn, domain_id).await?;
            record_demo_suspensions(&txn, domain_id, company.last_insert_id).await?;
            txn.commit().await?;
            done += options.mailboxes_per_domain as u64;
            report.mailboxes = done;
            progress(done, total);
        }
        report.domain_ids.push(company_domains);
    }
    add_demo_contacts(db, &report).await?;
    super::forwarding::add(db, &report.domain_ids).await?;
    tidy_after_bulk_load(db).await?;
    Ok(report)
}

/// The demo's suspended services get their records, as the suspension service would write them:
/// a service reads `suspended` only while an open suspension explains it.
async fn record_demo_suspensions(
    txn: &sea_orm::DatabaseTransaction,
    domain_id: i32,
    company_id: i32,
) -> Result<(), ServiceError> {
    use crate::entity::suspension;
    use sea_orm::{ColumnTrait, QueryFilter};
    let suspended = mailbox::Entity::find()
        .filter(mailbox::Column::DomainId.eq(domain_id))
        .filter(mailbox::Column::SvcSendMail.eq(ServiceState::Suspended.code()))
        .all(txn)
        .await?;
    let started = Utc::now() - chrono::Duration::hours(3);
    let mut rows = Vec::new();
    for m in &suspended {
        for service in [Service::SendMail, Service::WebmailSend] {
            rows.push(suspension::ActiveModel {
                mailbox_id: Set(Some(m.id)),
                address: Set(m.address.clone()),
                domain_id: Set(domain_id),
                company_id: Set(company_id),
                service: Set(service.key().to_owned()),
                previous_state: Set(ServiceState::Enabled.code()),
                reason: Set(crate::domain::SuspensionReason::SpamComplaints.as_str().to_owned()),
                evidence: Set("Demo data: 14 spam complaints about this mailbox's mail within 24 hours \
                               (allowance 10)."
                    .to_owned()),
                started_at: Set(started),
                started_by: Set("system (complaint intake)".to_owned()),
                ..Default::default()
            });
        }
    }
    // The first suspended mailbox of each domain is a repeat offender: two earlier suspensions,
    // reviewed and lifted, within the last 30 days.
    if let Some(m) = suspended.first() {
        for days_ago in [20, 9] {
            let started = Utc::now() - chrono::Duration::days(days_ago);
            for service in [Service::SendMail, Service::WebmailSend] {
                rows.push(suspension::ActiveModel {
                    mailbox_id: Set(Some(m.id)),
                    address: Set(m.address.clone()),
                    domain_id: Set(domain_id),
                    company_id: Set(company_id),
                    service: Set(service.key().to_owned()),
                    previous_state: Set(ServiceState::Enabled.code()),
                    reason: Set(crate::domain::SuspensionReason::SpamComplaints.as_str().to_owned()),
                    evidence: Set("Demo data: 11 spam complaints within 24 hours (allowance 10).".to_owned()),
                    started_at: Set(started),
                    started_by: Set("system (complaint intake)".to_owned()),
                    ended_at: Set(Some(started + chrono::Duration::hours(5))),
                    ended_by: Set(Some("company".to_owned())),
                    end_kind: Set(Some(crate::domain::LiftKind::EducatedAndLifted.as_str().to_owned())),
                    end_note: Set(Some(
                        "Demo data: told the user to stop the newsletter; new password set.".into(),
                    )),
                    ..Default::default()
                });
            }
        }
    }
    for chunk in rows.chunks(500) {
        suspension::Entity::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
    }
    Ok(())
}

/// Every demo company but the last gets an abuse contact, so the demo shows both the normal case
/// and the warning for a company whose notices would go to the platform's address.
async fn add_demo_contacts(db: &DatabaseConnection, report: &SeedReport) -> Result<(), ServiceError> {
    use crate::entity::abuse_contact;
    let now = Utc::now();
    let count = report.company_ids.len();
    for (index, company_id) in report.company_ids.iter().enumerate().take(count.saturating_sub(1)) {
        let Some(domain_id) = report.domain_ids.get(index).and_then(|d| d.first()) else { continue };
        let Some(domain) = domain::Entity::find_by_id(*domain_id).one(db).await? else { continue };
        abuse_contact::ActiveModel {
            company_id: Set(*company_id),
            kind: Set("abuse".into()),
            name: Set("Abuse desk".into()),
            email: Set(format!("abuse@{}", domain.name)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// After a bulk load the planner needs statistics and the search index is in many small pieces:
/// without this, PostgreSQL picked a sequential scan for the look-up (137 ms instead of 7 ms)
/// and SQLite's FTS5 read twice the segments it needs to.
async fn tidy_after_bulk_load(db: &DatabaseConnection) -> Result<(), ServiceError> {
    let statements: &[&str] = match db.get_database_backend() {
        DbBackend::Sqlite => &["INSERT INTO mailbox_search(mailbox_search) VALUES ('optimize')", "ANALYZE"],
        _ => &["VACUUM ANALYZE mailbox", "VACUUM ANALYZE suspension", "ANALYZE domain", "ANALYZE company"],
    };
    for sql in statements {
        db.execute_unprepared(sql).await?;
    }
    // A policy service follows single changes; after a bulk load it loads everything again.
    crate::services::enforcement::changes::clear(db).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_are_valid() {
        for name in COMPANY_NAMES {
            crate::domain::DomainName::parse(&format!("{}.example", slug(name))).unwrap();
        }
        assert_eq!(capitalise("anna"), "Anna");
        assert!(services_for(5).any_suspended());
        assert!(!services_for(6).any_suspended());
    }
}
