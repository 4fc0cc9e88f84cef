//! The application's operations. Only this layer queries the database; every function that
//! touches a company, domain, mailbox or admin takes the [`Actor`](crate::authz::Actor) and asks
//! [`authz`](crate::authz) before it reads or writes.
//!
//! One folder per part of the business. A part may call only the parts listed after it
//! (`scripts/check-import-cycles` checks this order and that no files import each other in a
//! circle):
//!
//! ```text
//! demo          seeds demo data through the parts below
//! complaints    intake, batch writer, the suspension rule, complaint views
//! limits        outbound limits: who sets them, usage against them, what a breach does
//! suspension    soft-suspensions: suspend, lift, history, repeat offenders, support look-up
//! notices       AUP notices (outbox, delivery state) and the abuse contacts they go to
//! enforcement   what the policy service reads: mailboxes' services, the change log
//! access        admins, sign-in and its throttle, API tokens
//! hierarchy     companies, domains, mailboxes, and what may be deleted
//! audit         the audit log: recording a change, reading the log
//! common        errors, transactions, pagination, SQL helpers, password hashing
//! ```
pub mod access;
pub mod audit;
pub mod common;
pub mod complaints;
pub mod demo;
pub mod enforcement;
pub mod hierarchy;
pub mod limits;
pub mod notices;
pub mod retention;
pub mod suspension;

pub use common::error::{FieldErrors, ServiceError};
pub use common::{Page, require};
