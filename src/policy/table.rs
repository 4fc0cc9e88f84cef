//! The policy service's memory: every hosted mailbox by address, each domain's company and
//! limits, each company's sending rules, kept current by `follow`. Decisions read it under a read lock held for one lookup; changes take
//! the write lock for the few entries they touch, and a full load builds a new table aside and
//! swaps it in, so no request ever waits for the database.
use crate::domain::{Service, ServiceSet, ServiceState};
use crate::enforcement::MailboxPolicy;
use crate::enforcement::limits::{self, BreachAction, Limits};
use crate::services::enforcement::snapshot::{CompanyEntry, DomainEntry, MailboxEntry};
use chrono::{DateTime, Duration, Utc};
use hashbrown::{DefaultHashBuilder, HashTable};
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::sync::RwLock;
use std::time::SystemTime;

/// One mailbox, packed: 20 bytes, its address in the shared arena.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Where the address starts in `MailboxTable::addresses`.
    start: u32,
    /// The address's length in bytes (0: a removed entry, kept until the next full load).
    len: u16,
    /// Two bits per service, `ServiceState::code`.
    services: u16,
    mailbox_id: i32,
    domain_id: i32,
    company_id: i32,
}

fn pack(services: &ServiceSet) -> u16 {
    services.iter().enumerate().fold(0, |bits, (i, (_, state))| bits | ((state.code() as u16 & 3) << (2 * i)))
}

fn unpack(bits: u16) -> ServiceSet {
    let state = |i: usize| ServiceState::from_code(((bits >> (2 * i)) & 3) as i16);
    let mut set = ServiceSet::default();
    for (i, service) in Service::ALL.into_iter().enumerate() {
        set.set(service, state(i));
    }
    set
}

/// Every hosted mailbox by address, compact enough for millions: the addresses in one arena,
/// the entries in one vector, and a hash table of entry numbers (4 bytes a slot). A million
/// mailboxes take about 55 MB, where a map of boxed strings took 130.
#[derive(Default)]
pub struct MailboxTable {
    addresses: Vec<u8>,
    entries: Vec<Entry>,
    index: HashTable<u32>,
    hasher: DefaultHashBuilder,
    live: usize,
    /// Each domain's company and limits; mailboxes follow a domain moved to another company.
    domains: HashMap<i32, DomainRules>,
    /// Hosted domain names (lower case): a recipient there is internal.
    domain_names: HashSet<Box<str>>,
    companies: HashMap<i32, CompanyRules>,
    /// Only mailboxes with limits of their own or a lift in the last days: most have neither.
    mailbox_rules: HashMap<i32, MailboxRules>,
}

#[derive(Debug, Clone, Copy)]
struct DomainRules {
    company_id: i32,
    limits: Limits,
}

#[derive(Debug, Clone, Copy)]
struct CompanyRules {
    limits: Limits,
    breach: BreachAction,
    probation: bool,
}

#[derive(Debug, Clone, Copy)]
struct MailboxRules {
    limits: Limits,
    send_lifted_at: Option<DateTime<Utc>>,
}

/// What the limits need of a sender: its effective limits, its company's breach action, and
/// the bucket counting starts after (its last lift of Send Mail).
#[derive(Debug, Clone, Copy)]
pub struct SenderRules {
    pub limits: Limits,
    pub breach: BreachAction,
    pub counted_from: Option<i64>,
    /// The last lift, in Unix seconds (breaches after it are a new episode).
    pub lifted_secs: Option<i64>,
}

impl std::fmt::Debug for MailboxTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailboxTable")
            .field("mailboxes", &self.live)
            .field("domains", &self.domains.len())
            .finish()
    }
}

impl MailboxTable {
    /// A table for about `mailboxes` entries (a full load knows roughly how many).
    pub fn with_capacity(mailboxes: usize) -> Self {
        Self {
            addresses: Vec::with_capacity(mailboxes * 28),
            entries: Vec::with_capacity(mailboxes),
            index: HashTable::with_capacity(mailboxes),
            ..Default::default()
        }
    }

    fn address_of(&self, e: &Entry) -> &[u8] {
        &self.addresses[e.start as usize..e.start as usize + e.len as usize]
    }

    fn find(&self, key: &[u8]) -> Option<u32> {
        let hash = self.hasher.hash_one(key);
        self.index.find(hash, |&n| self.address_of(&self.entries[n as usize]) == key).copied()
    }

    pub fn insert(&mut self, entry: MailboxEntry) {
        // A lift older than probation matters no more (its counts have left the 24 hours too).
        let recent_lift =
            entry.send_lifted_at.filter(|at| *at + Duration::days(limits::PROBATION_DAYS) > Utc::now());
        if entry.limits.is_empty() && recent_lift.is_none() {
            self.mailbox_rules.remove(&entry.mailbox_id);
        } else {
            self.mailbox_rules
                .insert(entry.mailbox_id, MailboxRules { limits: entry.limits, send_lifted_at: recent_lift });
        }
        let key = entry.address.to_ascii_lowercase();
        let services = pack(&entry.services);
        if let Some(n) = self.find(key.as_bytes()) {
            let e = &mut self.entries[n as usize];
            (e.services, e.mailbox_id, e.domain_id, e.company_id) =
                (services, entry.mailbox_id, entry.domain_id, entry.company_id);
            return;
        }
        // Addresses are at most 254 bytes (RFC 5321); anything longer is no address to look up.
        let Ok(len) = u16::try_from(key.len()) else { return };
        let start = self.addresses.len() as u32;
        self.addresses.extend_from_slice(key.as_bytes());
        let n = self.entries.len() as u32;
        self.entries.push(Entry {
            start,
            len,
            services,
            mailbox_id: entry.mailbox_id,
            domain_id: entry.domain_id,
            company_id: entry.company_id,
        });
        let hash = self.hasher.hash_one(key.as_bytes());
        let (entries, addresses, hasher) = (&self.entries, &self.addresses, &self.hasher);
        self.index.insert_unique(hash, n, |&m| {
            let e = &entries[m as usize];
            hasher.hash_one(&addresses[e.start as usize..e.start as usize + e.len as usize])
        });
        self.live += 1;
    }

    /// Forgets `address` if it still belongs to `mailbox_id` (another mailbox may have taken it).
    pub fn remove(&mut self, address: &str, mailbox_id: i32) {
        let key = address.to_ascii_lowercase();
        let Some(n) = self.find(key.as_bytes()) else { return };
        if self.entries[n as usize].mailbox_id != mailbox_id {
            return;
        }
        // Renamed mailboxes are inserted again (with their rules) after this.
        self.mailbox_rules.remove(&mailbox_id);
        let hash = self.hasher.hash_one(key.as_bytes());
        if let Ok(found) = self.index.find_entry(hash, |&m| m == n) {
            found.remove();
        }
        // The bytes stay in the arena until the next full load; the entry is marked empty.
        self.entries[n as usize].len = 0;
        self.live -= 1;
    }

    /// Replaces the domains and companies; mailboxes of a domain that moved to another company
    /// follow it.
    pub fn set_rules(&mut self, domains: Vec<DomainEntry>, companies: Vec<CompanyEntry>) {
        self.companies = companies
            .into_iter()
            .map(|c| {
                (c.company_id, CompanyRules { limits: c.limits, breach: c.breach, probation: c.probation })
            })
            .collect();
        self.domain_names = domains.iter().map(|d| d.name.to_ascii_lowercase().into_boxed_str()).collect();
        let moved: HashMap<i32, i32> = domains
            .iter()
            .filter(|d| self.domains.get(&d.domain_id).is_some_and(|r| r.company_id != d.company_id))
            .map(|d| (d.domain_id, d.company_id))
            .collect();
        if !moved.is_empty() {
            for e in self.entries.iter_mut() {
                if let Some(company) = moved.get(&e.domain_id) {
                    e.company_id = *company;
                }
            }
        }
        self.domains = domains
            .into_iter()
            .map(|d| (d.domain_id, DomainRules { company_id: d.company_id, limits: d.limits }))
            .collect();
    }

    /// Whether `address` is at a domain hosted here (any case).
    pub fn is_internal(&self, address: &str) -> bool {
        let Some((_, domain)) = address.rsplit_once('@') else { return false };
        if domain.bytes().any(|b| b.is_ascii_uppercase()) {
            self.domain_names.contains(domain.to_ascii_lowercase().as_str())
        } else {
            self.domain_names.contains(domain)
        }
    }

    /// The limits and breach action that apply to `mailbox` at `now`.
    pub fn sender_rules(&self, mailbox: &MailboxPolicy, now: DateTime<Utc>) -> SenderRules {
        let own = self.mailbox_rules.get(&mailbox.mailbox_id);
        let domain = self.domains.get(&mailbox.domain_id);
        let company = self.companies.get(&mailbox.company_id);
        let lifted = own.and_then(|r| r.send_lifted_at);
        let probation = limits::on_probation(company.is_none_or(|c| c.probation), lifted, now);
        SenderRules {
            limits: limits::effective(
                own.map(|r| r.limits).unwrap_or_default(),
                domain.map(|d| d.limits).unwrap_or_default(),
                company.map(|c| c.limits).unwrap_or_default(),
                probation,
            ),
            breach: company.map_or(BreachAction::Defer, |c| c.breach),
            counted_from: lifted.map(limits::bucket_of),
            lifted_secs: lifted.map(|at| at.timestamp()),
        }
    }

    /// The hosted mailbox at `address` (any case).
    pub fn mailbox(&self, address: &str) -> Option<MailboxPolicy> {
        let n = if address.bytes().any(|b| b.is_ascii_uppercase()) {
            self.find(address.to_ascii_lowercase().as_bytes())
        } else {
            self.find(address.as_bytes())
        }?;
        let e = &self.entries[n as usize];
        Some(MailboxPolicy {
            mailbox_id: e.mailbox_id,
            domain_id: e.domain_id,
            company_id: e.company_id,
            services: unpack(e.services),
        })
    }

    pub fn mailbox_count(&self) -> usize {
        self.live
    }

    pub fn domain_count(&self) -> usize {
        self.domains.len()
    }
}

/// How current the table is, for logs and the status line.
#[derive(Debug, Clone, Default)]
pub struct Freshness {
    /// When the table last agreed with the database.
    pub current_at: Option<SystemTime>,
    /// The database error that keeps it from being current, if any.
    pub database_error: Option<String>,
}

/// The table, empty until the first full load, and how current it is.
#[derive(Debug, Default)]
pub struct PolicyState {
    table: RwLock<Option<MailboxTable>>,
    freshness: RwLock<Freshness>,
}

impl PolicyState {
    /// Runs `f` on the table, or answers `None` before the first load.
    pub fn read<T>(&self, f: impl FnOnce(&MailboxTable) -> T) -> Option<T> {
        let guard = self.table.read().unwrap_or_else(|e| e.into_inner());
        guard.as_ref().map(f)
    }

    /// Changes the loaded table in place (no-op before the first load).
    pub fn update(&self, f: impl FnOnce(&mut MailboxTable)) {
        let mut guard = self.table.write().unwrap_or_else(|e| e.into_inner());
        if let Some(table) = guard.as_mut() {
            f(table);
        }
    }

    pub fn replace(&self, table: MailboxTable) {
        let old = {
            let mut guard = self.table.write().unwrap_or_else(|e| e.into_inner());
            guard.replace(table)
        };
        // The old table (up to a million entries) is freed after the lock is let go.
        drop(old);
    }

    pub fn is_loaded(&self) -> bool {
        self.table.read().unwrap_or_else(|e| e.into_inner()).is_some()
    }

    pub fn freshness(&self) -> Freshness {
        self.freshness.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn mark_current(&self) {
        let mut f = self.freshness.write().unwrap_or_else(|e| e.into_inner());
        f.current_at = Some(SystemTime::now());
        f.database_error = None;
    }

    /// Records a database error; answers whether it is news (the first since being current).
    pub fn mark_error(&self, error: &str) -> bool {
        let mut f = self.freshness.write().unwrap_or_else(|e| e.into_inner());
        let news = f.database_error.is_none();
        f.database_error = Some(error.to_owned());
        news
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i32, address: &str, send: ServiceState) -> MailboxEntry {
        let services = ServiceSet { send_mail: send, ..ServiceSet::default() };
        MailboxEntry {
            mailbox_id: id,
            address: address.into(),
            domain_id: 7,
            company_id: 3,
            services,
            limits: Limits::default(),
            send_lifted_at: None,
        }
    }

    #[test]
    fn insert_update_rename_remove() {
        let mut t = MailboxTable::with_capacity(4);
        t.insert(entry(1, "Anna@Alpha.example", ServiceState::Suspended));
        t.insert(entry(2, "otto@alpha.example", ServiceState::Enabled));
        assert_eq!(t.mailbox_count(), 2);
        let anna = t.mailbox("anna@ALPHA.example").unwrap();
        assert_eq!((anna.mailbox_id, anna.services.send_mail), (1, ServiceState::Suspended));
        assert_eq!(anna.services.receive_mail, ServiceState::Enabled);
        // Lifted: the same address, updated in place.
        t.insert(entry(1, "anna@alpha.example", ServiceState::Enabled));
        assert_eq!(t.mailbox("anna@alpha.example").unwrap().services.send_mail, ServiceState::Enabled);
        assert_eq!(t.mailbox_count(), 2);
        // Renamed: the old address goes, the new one comes.
        t.remove("anna@alpha.example", 1);
        t.insert(entry(1, "anna@beta.example", ServiceState::Enabled));
        assert!(t.mailbox("anna@alpha.example").is_none());
        assert_eq!(t.mailbox("anna@beta.example").unwrap().mailbox_id, 1);
        // Another mailbox's address is not removed by mistake.
        t.remove("otto@alpha.example", 99);
        assert!(t.mailbox("otto@alpha.example").is_some());
        t.remove("otto@alpha.example", 2);
        assert!(t.mailbox("otto@alpha.example").is_none());
        assert_eq!(t.mailbox_count(), 1);
        // Taken again by a new mailbox.
        t.insert(entry(3, "otto@alpha.example", ServiceState::Disabled));
        assert_eq!(t.mailbox("otto@alpha.example").unwrap().mailbox_id, 3);
    }

    #[test]
    fn every_service_state_survives_packing() {
        for code in 0..3i16 {
            for service in Service::ALL {
                let mut set = ServiceSet::default();
                set.set(service, ServiceState::from_code(code));
                assert_eq!(unpack(pack(&set)), set);
            }
        }
    }

    #[test]
    fn many_entries_grow_the_index() {
        let mut t = MailboxTable::default();
        for i in 0..10_000 {
            t.insert(entry(i, &format!("user{i}@example.test"), ServiceState::Enabled));
        }
        assert_eq!(t.mailbox_count(), 10_000);
        assert!((0..10_000).all(|i| t.mailbox(&format!("user{i}@example.test")).unwrap().mailbox_id == i));
    }
}
