//! What every part of the service layer stands on: the error type, transactions, pagination,
//! SQL helpers, password hashing and the application's own settings. Nothing here knows a
//! business part.
pub mod error;
pub mod passwords;
pub mod settings;
pub mod sql;

pub use error::{FieldErrors, ServiceError};

use crate::authz::{Action, Actor, Place};

/// For pages that change nothing yet (a "new" form): may the actor do `action` at `place`?
pub fn require(actor: &Actor, action: Action, place: Place) -> Result<(), ServiceError> {
    authorize(actor, action, place)
}

/// Asks the one authorization rule, turning a refusal into the service error it maps to.
pub(crate) fn authorize(actor: &Actor, action: Action, place: Place) -> Result<(), ServiceError> {
    actor.authorize(action, place).map_err(ServiceError::from)
}

/// Starts a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), so concurrent writers queue on the busy timeout instead of failing
/// with "database is locked" when a deferred transaction tries to upgrade.
pub(crate) async fn begin_write(
    db: &sea_orm::DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// A page of a keyset-paginated list: the rows and the cursors either side.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<T>,
    /// Cursor for the previous page (`before=`), if there is one.
    pub prev: Option<String>,
    /// Cursor for the next page (`after=`), if there is one.
    pub next: Option<String>,
    /// Rows matching the filter over all pages.
    pub total: u64,
}

impl<T> Page<T> {
    /// A page of a two-way keyset list from the rows fetched (up to `page_size + 1`, in query
    /// order): `forward` when paging on (`after=`), else back (`before=`, rows in reverse);
    /// `from_cursor` when the page was asked relative to a row; `id` names a row as a cursor.
    pub(crate) fn from_keyset(
        mut rows: Vec<T>,
        page_size: usize,
        (forward, from_cursor): (bool, bool),
        total: u64,
        id: impl Fn(&T) -> String,
    ) -> Self {
        let has_more = rows.len() > page_size;
        rows.truncate(page_size);
        if !forward {
            rows.reverse();
        }
        let first = rows.first().map(&id);
        let last = rows.last().map(&id);
        let (prev, next) = if forward {
            (first.filter(|_| from_cursor), last.filter(|_| has_more))
        } else {
            (first.filter(|_| has_more), last)
        };
        Page { rows, prev, next, total }
    }
}
