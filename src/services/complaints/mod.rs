//! Spam complaints from feedback loops: stored once, attributed to the sending mailbox, counted
//! over a rolling window; the report that takes a mailbox past its allowance soft-suspends
//! *Send Mail* and queues the AUP notice.
//!
//! [`intake`] stores one report (API, `ingest-arf`, the paste page) through [`batch`], which
//! stores many in one transaction and applies [`rule`]; [`writer`] groups the API's requests
//! into batches; [`views`] reads what was stored.
pub mod batch;
pub mod intake;
pub mod outcome;
pub mod rule;
pub mod views;
pub mod writer;
