//! A suspension as the pages show it, and the repeat-offender rule's numbers.
use crate::domain::{LiftKind, Service, SuspensionReason};
use crate::entity::suspension;
use chrono::{DateTime, Utc};

/// Suspensions of *Send Mail* within this many days that make a repeat offender.
pub const REPEAT_WINDOW_DAYS: i64 = 30;
pub const REPEAT_COUNT: u64 = 3;

#[derive(Debug, Clone)]
pub struct SuspensionRecord {
    pub id: i32,
    pub service: Service,
    pub reason: SuspensionReason,
    pub evidence: String,
    pub started_at: DateTime<Utc>,
    pub started_by: String,
    pub ended_at: Option<DateTime<Utc>>,
    pub ended_by: Option<String>,
    pub end_kind: Option<LiftKind>,
    pub end_note: Option<String>,
}

pub(crate) fn service_of(key: &str) -> Service {
    Service::ALL.into_iter().find(|s| s.key() == key).unwrap_or(Service::SendMail)
}

impl From<suspension::Model> for SuspensionRecord {
    fn from(m: suspension::Model) -> Self {
        Self {
            id: m.id,
            service: service_of(&m.service),
            reason: SuspensionReason::from_stored(&m.reason),
            evidence: m.evidence,
            started_at: m.started_at,
            started_by: m.started_by,
            ended_at: m.ended_at,
            ended_by: m.ended_by,
            end_kind: m.end_kind.as_deref().map(LiftKind::from_stored),
            end_note: m.end_note,
        }
    }
}
