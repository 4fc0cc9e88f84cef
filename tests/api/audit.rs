//! The audit log pages and their CSV export.
