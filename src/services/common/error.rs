//! The one error type of the service layer; the web layer maps it in one place.
use crate::authz::Denied;
use crate::domain::ParseError;
use sea_orm::{DbErr, SqlErr};

/// Messages for form fields, by field name, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0.iter().map(|(f, m)| (*f, m.as_str()))
    }

    /// Records a parse failure under `field` and returns the value when it parsed.
    pub fn check<T>(&mut self, field: &'static str, parsed: Result<T, ParseError>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(field, error.0);
                None
            }
        }
    }

    /// `Ok(())` when nothing was recorded, otherwise the errors as a service error.
    pub fn into_result(self) -> Result<(), ServiceError> {
        if self.is_empty() { Ok(()) } else { Err(ServiceError::Invalid(self)) }
    }

    pub fn single(field: &'static str, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.add(field, message);
        errors
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// Bad input, by field: the form is shown again with these messages.
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// The action cannot be done in the current state; the message says why.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("too many attempts; retry in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<Denied> for ServiceError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::NotFound => ServiceError::NotFound,
            Denied::Forbidden => ServiceError::Forbidden,
        }
    }
}

impl From<DbErr> for ServiceError {
    fn from(error: DbErr) -> Self {
        metrics::counter!("mailadmin_database_errors_total").increment(1);
        ServiceError::Internal(error.to_string())
    }
}

/// Turns a unique-constraint violation into a field message; anything else stays internal.
/// The constraint is the real guard: two requests racing past a prior read both reach it.
pub(crate) fn unique_violation(error: DbErr, field: &'static str, message: &str) -> ServiceError {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            ServiceError::Invalid(FieldErrors::single(field, message))
        }
        _ => ServiceError::from(error),
    }
}
