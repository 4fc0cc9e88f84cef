//! The policy service's memory: every hosted mailbox by address, and the hosted domains, kept
//! current by `follow`. Decisions read it under a read lock held for one lookup; changes take
//! the write lock for the few entries they touch, and a full load builds a new table aside and
//! swaps it in, so no request ever waits for the database.
use crate::enforcement::MailboxPolicy;
use crate::services::enforcement::snapshot::{DomainEntry, MailboxEntry};
use std::collections::{HashMap, HashSet};
use std::sync::RwLock;
use std::time::SystemTime;

#[derive(Debug, Default)]
pub struct MailboxTable {
    by_address: HashMap<Box<str>, MailboxPolicy>,
    domains: HashMap<i32, (Box<str>, i32)>,
    hosted: HashSet<Box<str>>,
}

impl MailboxTable {
    pub fn insert(&mut self, entry: MailboxEntry) {
        let policy = MailboxPolicy {
            mailbox_id: entry.mailbox_id,
            domain_id: entry.domain_id,
            company_id: entry.company_id,
            services: entry.services,
        };
        self.by_address.insert(entry.address.to_ascii_lowercase().into_boxed_str(), policy);
    }

    /// Forgets `address` if it still belongs to `mailbox_id` (another mailbox may have taken it).
    pub fn remove(&mut self, address: &str, mailbox_id: i32) {
        let key = address.to_ascii_lowercase();
        if self.by_address.get(key.as_str()).is_some_and(|m| m.mailbox_id == mailbox_id) {
            self.by_address.remove(key.as_str());
        }
    }

    /// Replaces the hosted domains; mailboxes of a domain that moved to another company follow it.
    pub fn set_domains(&mut self, domains: Vec<DomainEntry>) {
        let moved: HashMap<i32, i32> = domains
            .iter()
            .filter(|d| self.domains.get(&d.domain_id).is_some_and(|(_, company)| *company != d.company_id))
            .map(|d| (d.domain_id, d.company_id))
            .collect();
        if !moved.is_empty() {
            for policy in self.by_address.values_mut() {
                if let Some(company) = moved.get(&policy.domain_id) {
                    policy.company_id = *company;
                }
            }
        }
        self.hosted = domains.iter().map(|d| d.name.to_ascii_lowercase().into_boxed_str()).collect();
        self.domains =
            domains.into_iter().map(|d| (d.domain_id, (d.name.into_boxed_str(), d.company_id))).collect();
    }

    /// The hosted mailbox at `address` (any case).
    pub fn mailbox(&self, address: &str) -> Option<&MailboxPolicy> {
        if address.bytes().any(|b| b.is_ascii_uppercase()) {
            self.by_address.get(address.to_ascii_lowercase().as_str())
        } else {
            self.by_address.get(address)
        }
    }

    /// Is `domain` one of ours (any case)?
    pub fn hosts_domain(&self, domain: &str) -> bool {
        self.hosted.contains(domain.to_ascii_lowercase().as_str())
    }

    pub fn mailbox_count(&self) -> usize {
        self.by_address.len()
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
