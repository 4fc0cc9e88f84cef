//! What the policy service reads: every hosted mailbox's services, a page at a time, and the
//! change log (`policy_change`, written by triggers) that says what to read again.
pub mod changes;
pub mod snapshot;
