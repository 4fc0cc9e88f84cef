//! One policy request in, one action out: reads the request, finds the mailboxes it names in the
//! table, reads the sender's counts, asks [`crate::enforcement::decide`] and turns the verdict
//! into the configured action; a recipient let through is counted. Counts decisions by kind and
//! their latency for the periodic log line.
use super::counters::{Admission, Breach, Recipient, SendingCounters};
use super::protocol::{self, Malformed};
use super::table::PolicyState;
use crate::enforcement::limits::{self, BreachAction};
use crate::enforcement::{self, Question, SendingCheck, Stage, Submitter, Verdict};
use ipnet::IpNet;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// What the operator configures (flags and `MAILADMIN_*`).
#[derive(Debug, Clone)]
pub struct PolicySettings {
    /// For a sender whose *Send Mail* (or *Send via Webmail*) is not enabled. Generic on purpose:
    /// the user is not told they are suspended.
    pub send_refused: String,
    /// For a recipient whose *Receive Mail* is not enabled.
    pub receive_refused: String,
    /// For a recipient over a sender's limit when its company defers (temporary, generic).
    pub limit_deferred: String,
    /// Before the first load of the table (the database has never answered).
    pub fallback: String,
    /// Client addresses of the webmail hosts.
    pub webmail_networks: Vec<IpNet>,
    /// Appended to a SASL login without `@` (Dovecot configured to strip the domain).
    pub login_domain: Option<String>,
    /// Postfix's `recipient_delimiter`: `anna+news@…` is anna's mail, so her Receive Mail
    /// decides. Each character is a delimiter; empty for none.
    pub recipient_delimiter: String,
}

impl PolicySettings {
    pub fn is_webmail(&self, client: IpAddr) -> bool {
        self.webmail_networks.iter().any(|net| net.contains(&client))
    }

    /// `anna+news@example.com` → `anna@example.com`, when the local part has a delimiter.
    fn without_extension<'a>(&self, address: &'a str) -> Option<(&'a str, &'a str)> {
        let (local, domain) = address.rsplit_once('@')?;
        let cut = local.find(|c| self.recipient_delimiter.contains(c))?;
        (cut > 0).then(|| (&local[..cut], domain))
    }
}

/// Decision kinds, for counts in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Dunno = 0,
    RefuseSend = 1,
    RefuseRecipient = 2,
    Fallback = 3,
    Malformed = 4,
    OverLimit = 5,
    /// A limited sender's recipient refused for now: its counts could not be shared in time.
    Held = 6,
}

const KINDS: [(&str, Kind); 7] = [
    ("dunno", Kind::Dunno),
    ("refuse_send", Kind::RefuseSend),
    ("refuse_recipient", Kind::RefuseRecipient),
    ("fallback", Kind::Fallback),
    ("malformed", Kind::Malformed),
    ("over_limit", Kind::OverLimit),
    ("held", Kind::Held),
];

/// Upper bounds of the latency buckets, in microseconds.
const BUCKETS_US: [u64; 10] = [5, 10, 25, 50, 100, 250, 500, 1_000, 2_000, u64::MAX];

#[derive(Debug, Default)]
pub struct Stats {
    kinds: [AtomicU64; 7],
    latency: [AtomicU64; 10],
    /// SASL logins that name no mailbox of ours: a Dovecot that strips the domain without
    /// `--login-domain` set would let every suspended user send, so this is worth a look.
    unknown_logins: AtomicU64,
    /// The same answers for Prometheus (`/metrics` on the status listener); taken from the
    /// recorder at the first answer, so a counter increment is one atomic add.
    exported: std::sync::OnceLock<(Vec<metrics::Counter>, metrics::Histogram)>,
}

impl Stats {
    fn record(&self, kind: Kind, started: Instant) {
        self.kinds[kind as usize].fetch_add(1, Ordering::Relaxed);
        let us = started.elapsed().as_micros() as u64;
        let bucket = BUCKETS_US.iter().position(|b| us <= *b).unwrap_or(BUCKETS_US.len() - 1);
        self.latency[bucket].fetch_add(1, Ordering::Relaxed);
        let (counters, latency) = self.exported.get_or_init(|| {
            let counters = KINDS
                .iter()
                .map(|(name, _)| metrics::counter!("mailadmin_policy_decisions_total", "kind" => *name))
                .collect();
            (counters, metrics::histogram!("mailadmin_policy_decision_duration_seconds"))
        });
        counters[kind as usize].increment(1);
        latency.record(us as f64 / 1_000_000.0);
    }

    /// Counts since the last call, and the bucket bounds the median and 99th percentile fall in.
    pub fn take(&self) -> StatsLine {
        let counts: Vec<(&'static str, u64)> = KINDS
            .iter()
            .map(|(name, k)| (*name, self.kinds[*k as usize].swap(0, Ordering::Relaxed)))
            .collect();
        let buckets: Vec<u64> = self.latency.iter().map(|b| b.swap(0, Ordering::Relaxed)).collect();
        let total: u64 = buckets.iter().sum();
        let at = |share: f64| -> Option<u64> {
            if total == 0 {
                return None;
            }
            let wanted = (total as f64 * share).ceil() as u64;
            let mut seen = 0;
            for (i, n) in buckets.iter().enumerate() {
                seen += n;
                if seen >= wanted {
                    return Some(BUCKETS_US[i]);
                }
            }
            None
        };
        let unknown_logins = self.unknown_logins.swap(0, Ordering::Relaxed);
        StatsLine { counts, p50_us: at(0.5), p99_us: at(0.99), unknown_logins }
    }
}

pub struct StatsLine {
    pub counts: Vec<(&'static str, u64)>,
    pub unknown_logins: u64,
    /// Upper bound of the bucket holding the median (`u64::MAX`: above the last bound).
    pub p50_us: Option<u64>,
    pub p99_us: Option<u64>,
}

pub struct Engine {
    pub state: Arc<PolicyState>,
    pub counters: Arc<SendingCounters>,
    pub settings: PolicySettings,
    pub stats: Stats,
}

/// What the engine answers a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply<'a> {
    Action(&'a str),
    /// This instance holds as many unshared counts of the sender as it may: ask again after
    /// the next flush (see [`super::counters`]).
    AfterFlush,
}

/// What the table says of one request, copied out so the lock is held for lookups only.
struct Looked {
    sender: Option<enforcement::MailboxPolicy>,
    recipient: Option<enforcement::MailboxPolicy>,
    rules: Option<super::table::SenderRules>,
    internal: bool,
}

impl Engine {
    pub fn new(state: Arc<PolicyState>, settings: PolicySettings) -> Self {
        Self { state, counters: Arc::new(SendingCounters::default()), settings, stats: Stats::default() }
    }

    /// The action for one raw request (its bytes up to the empty line). With `may_wait`, a
    /// request from a sender this instance may not count further without sharing first is
    /// answered [`Reply::AfterFlush`]; without, it is decided and counted anyway.
    pub fn answer(&self, raw: &[u8], may_wait: bool) -> Result<Reply<'_>, Malformed> {
        let started = Instant::now();
        let text = protocol::text(raw);
        let request = match protocol::parse(&text) {
            Ok(request) => request,
            Err(e) => {
                self.stats.record(Kind::Malformed, started);
                return Err(e);
            }
        };
        let login;
        // Parsed only when there are webmail hosts to compare with: most setups have none.
        let via_webmail = !self.settings.webmail_networks.is_empty()
            && request.client_address.parse::<IpAddr>().is_ok_and(|ip| self.settings.is_webmail(ip));
        // The sender is who signed in; a webmail host that relays without SASL vouches for the
        // envelope sender instead.
        let sender_key: &str = if !request.sasl_username.is_empty() {
            match (&self.settings.login_domain, request.sasl_username.contains('@')) {
                (Some(domain), false) => {
                    login = format!("{}@{domain}", request.sasl_username);
                    &login
                }
                _ => request.sasl_username,
            }
        } else if via_webmail {
            request.sender
        } else {
            ""
        };
        let stage = Stage::parse(request.protocol_state);
        let now = chrono::Utc::now();
        let looked = self.state.read(|table| {
            let sender = if sender_key.is_empty() { None } else { table.mailbox(sender_key) };
            if sender.is_none() && !request.sasl_username.is_empty() {
                self.stats.unknown_logins.fetch_add(1, Ordering::Relaxed);
            }
            let at_rcpt = stage == Stage::Rcpt && !request.recipient.is_empty();
            let recipient = if at_rcpt {
                table.mailbox(request.recipient).or_else(|| {
                    let (local, domain) = self.settings.without_extension(request.recipient)?;
                    table.mailbox(&format!("{local}@{domain}"))
                })
            } else {
                None
            };
            // Only a hosted sender's recipients are counted, at RCPT.
            let rules = sender.as_ref().filter(|_| at_rcpt).map(|m| table.sender_rules(m, now));
            let internal = rules.is_some() && (recipient.is_some() || table.is_internal(request.recipient));
            Looked { sender, recipient, rules, internal }
        });
        let Some(looked) = looked else {
            self.stats.record(Kind::Fallback, started);
            return Ok(Reply::Action(&self.settings.fallback));
        };
        let bucket = limits::bucket_of(now);
        let submitter = match &looked.sender {
            Some(mailbox) => Submitter::Hosted { mailbox, via_webmail },
            None => Submitter::Other,
        };
        let recipient = looked.recipient.as_ref();
        let question = |sending| enforcement::decide(&Question { stage, submitter, recipient, sending });
        // Services first: a refused sender or recipient is neither held back nor counted.
        let mut verdict = question(None);
        if let (Some(sender), Some(rules), Verdict::Dunno) = (&looked.sender, looked.rules, verdict) {
            let internal = looked.internal;
            let allowance = self.unshared_allowance(&rules.limits, internal);
            // Until the last day's counts are read (just after a start), or while this
            // instance holds all it may of the sender unshared, the request waits for the
            // flusher; after waiting it is refused for now rather than counted past the bound.
            let admission = if self.counters.is_loaded() {
                let recipient = Recipient {
                    mailbox_id: sender.mailbox_id,
                    now: bucket,
                    counted_from: rules.counted_from,
                    internal,
                    allowance,
                };
                self.counters.admit(&recipient, may_wait, |usage| {
                    question(Some(SendingCheck {
                        limits: rules.limits,
                        usage,
                        internal,
                        breach: rules.breach,
                    }))
                })
            } else if may_wait {
                Admission::Wait
            } else {
                Admission::Held
            };
            match admission {
                Admission::Wait => {
                    self.counters.flush_wanted.notify_one();
                    return Ok(Reply::AfterFlush);
                }
                Admission::Held => {
                    self.counters.flush_wanted.notify_one();
                    self.stats.record(Kind::Held, started);
                    tracing::debug!(sender = request.sender, "recipient held: counts not shared in time");
                    return Ok(Reply::Action(&self.settings.limit_deferred));
                }
                Admission::Decided { verdict: judged, usage, counted, unshared } => {
                    if counted && unshared >= allowance {
                        self.counters.flush_wanted.notify_one();
                    }
                    if let Verdict::OverLimit { kind, limit, .. } = judged {
                        self.counters.breached(Breach {
                            mailbox_id: sender.mailbox_id,
                            kind,
                            limit,
                            counted: usage.counted(kind),
                            slot: limits::breach_slot(kind, bucket, rules.lifted_secs),
                        });
                    }
                    verdict = judged;
                }
            }
        }
        let (kind, action) = match verdict {
            Verdict::Dunno => (Kind::Dunno, "DUNNO"),
            Verdict::RefuseSend(_) => (Kind::RefuseSend, self.settings.send_refused.as_str()),
            Verdict::RefuseRecipient => (Kind::RefuseRecipient, self.settings.receive_refused.as_str()),
            Verdict::OverLimit { action: BreachAction::Defer, .. } => {
                (Kind::OverLimit, self.settings.limit_deferred.as_str())
            }
            // Suspended from this recipient on: refused like any suspended sender.
            Verdict::OverLimit { action: BreachAction::Suspend, .. } => {
                (Kind::OverLimit, self.settings.send_refused.as_str())
            }
            Verdict::OverLimit { action: BreachAction::Alert, .. } => (Kind::OverLimit, "DUNNO"),
        };
        self.stats.record(kind, started);
        if let Verdict::OverLimit { kind, limit, action } = verdict {
            tracing::info!(
                sasl_username = request.sasl_username,
                sender = request.sender,
                limit_kind = kind.as_str(),
                limit,
                action = action.as_str(),
                "sender over a limit"
            );
        }
        if let Verdict::RefuseSend(why) = verdict {
            tracing::info!(
                sasl_username = request.sasl_username,
                sender = request.sender,
                client = request.client_address,
                why = why.code(),
                "sending refused"
            );
        }
        Ok(Reply::Action(action))
    }

    /// How many recipients of one sender this instance may count before sharing them: the
    /// smallest of the limits this recipient counts against decides.
    fn unshared_allowance(&self, l: &limits::Limits, internal: bool) -> u32 {
        let hourly = if internal { l.internal_hourly } else { l.external_hourly };
        match [l.daily, hourly].into_iter().flatten().min() {
            Some(limit) => limits::unshared_allowance(limit, self.counters.instances()),
            None => u32::MAX,
        }
    }
}
