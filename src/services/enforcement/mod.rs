//! What the policy service reads and writes: every hosted mailbox's services and limits, a page
//! at a time; the change log (`policy_change`, written by triggers) that says what to read
//! again; and the sending counts all instances share.
pub mod changes;
pub mod counts;
pub mod snapshot;
