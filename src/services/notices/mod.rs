//! AUP notices: the outbox written in the transaction that suspends, its delivery state (the
//! worker in `crate::notices` sends them), and the abuse contacts they go to.
pub mod contacts;
pub mod outbox;
