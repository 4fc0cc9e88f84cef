//! Outbound limits as the business sees them: who may set which limit, what a mailbox has sent
//! against its limits, and what a breach does (pause, suspend with an AUP notice, or alert).
//! The counting itself is the policy service's (`crate::policy::counters`); the numbers and
//! the rules are plain code in `crate::enforcement::limits`.
pub mod breaches;
pub mod rules;
pub mod usage;
