//! Intake of complaints about hosted senders: parsers for what feedback loops deliver.
//!
//! Everything here is pure: bytes or JSON in, plain values out, no I/O and no database. The
//! callers decide where the input comes from (a mailbox, an HTTP hook) and what to do with it.
pub mod arf;
