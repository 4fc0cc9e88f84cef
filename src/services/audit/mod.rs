//! The audit log: [`record`] writes an entry in the caller's transaction, [`log`] reads them.
pub mod log;
pub mod record;

pub use record::{Change, record, record_as};
