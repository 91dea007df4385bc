//! Reading a failed statement: the connection is gone, it answered with a
//! row nobody asked for, or the statement lost a lock conflict and may run
//! again.

use std::time::Duration;

use diesel::QueryResult;
use diesel::result::Error as DieselError;

use crate::error::{AppError, InternalCause};

/// A row that came back for a lookup by key but is not the row asked for.
#[derive(Debug, thiserror::Error)]
#[error("the database answered with {what} {got:?} to a lookup of {asked:?}")]
pub struct WrongRow {
    what: &'static str,
    asked: String,
    got: String,
}

/// Fails unless a looked-up row's key (`got`) is the one asked for. Call it
/// inside the `with_conn!` body, so that a mismatch discards the connection.
pub fn expect_key(what: &'static str, asked: &str, got: &str) -> QueryResult<()> {
    if asked == got {
        return Ok(());
    }
    Err(diesel::result::Error::DeserializationError(Box::new(
        WrongRow {
            what,
            asked: asked.to_owned(),
            got: got.to_owned(),
        },
    )))
}

/// Whether a statement's answer cannot have been its own: a row other than
/// the one asked for. (A row that merely fails to decode, such as an unknown
/// word in a text column, is bad data, not a connection out of step.)
pub fn is_wrong_answer(error: &diesel::result::Error) -> bool {
    matches!(error, diesel::result::Error::DeserializationError(cause) if cause.is::<WrongRow>())
}

/// Runs a query body, failing it as a lost connection after `timeout`.
pub async fn within<T>(
    timeout: Duration,
    body: impl Future<Output = QueryResult<T>>,
) -> QueryResult<T> {
    tokio::time::timeout(timeout, body)
        .await
        .unwrap_or_else(|_| {
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ClosedConnection,
                Box::new(String::from("the database did not answer in time")),
            ))
        })
}

/// Whether a query failed because the connection itself is gone (as opposed
/// to the statement failing on a working connection).
pub fn is_connection_error(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        ) => true,
        Error::BrokenTransactionManager => true,
        // diesel-async reports the MySQL driver's own failures (as opposed to
        // server errors, which carry only the server's message) in its text.
        Error::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            let message = info.message();
            message.starts_with("Input/output error")
                || message.starts_with("Driver error")
                || message.starts_with("Connection to the server is closed")
                // A Galera node cut off from the primary component (or
                // still joining) refuses every statement until it is back:
                // to the caller, the database is unreachable through it.
                || message.starts_with("WSREP has not yet prepared node")
        }
        _ => false,
    }
}

/// Most times a body that lost a lock conflict is run again. On Galera a
/// row that racers write through every node sees one commit per round trip
/// between nodes, and each commit aborts the racers on the other nodes: 30
/// logins at once for one name through three nodes lost 5 retries now and
/// then (the cluster test). Since each check also takes and ends a slot of
/// its client address, those 30 (from one address) write two hot rows
/// twice each, and lost 10 retries once: so 20.
pub const MAX_CONFLICT_RETRIES: u32 = 20;
/// Longest pause between two runs of a body, so that all the retries fit in
/// about 4 s, well inside a password check's 10 s.
const MAX_CONFLICT_PAUSE_MS: u64 = 200;

/// Whether a statement failed only because it lost a lock conflict with a
/// concurrent one: an InnoDB deadlock, or (on Galera) a certification
/// conflict, both error 1213; or (MariaDB 11.6.2 and later, whose
/// `innodb_snapshot_isolation` is on by default) error 1020, a row written
/// by another transaction since this one's snapshot. The server has rolled
/// back the statement, or the whole transaction it was in, and the body's
/// transaction is rolled back on the error anyway, so running the body
/// again is safe.
pub fn is_lock_conflict(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        Error::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            let message = info.message();
            message.starts_with("Deadlock found")
                || message.starts_with("Record has changed since last read")
        }
        _ => false,
    }
}

/// The pause before running a body again after its `attempt`-th lock
/// conflict, or None to give up (or when the result is not a conflict).
pub fn conflict_pause<T>(result: &QueryResult<T>, attempt: u32) -> Option<Duration> {
    match result {
        Err(error) if attempt < MAX_CONFLICT_RETRIES && is_lock_conflict(error) => {
            // A short, growing, jittered pause so that the racers do not
            // collide again in lockstep.
            let base = (2_u64 << attempt.min(16)).min(MAX_CONFLICT_PAUSE_MS);
            Some(Duration::from_millis(base + rand::random_range(0..base)))
        }
        _ => None,
    }
}

// How storage failures reach the floor's `AppError`: written here, where
// what each failure means is known.
impl From<DieselError> for AppError {
    fn from(error: DieselError) -> Self {
        // A lost connection means the database went away mid-request; a
        // conflict still lost after every retry was rolled back. Either
        // way nothing changed, and the client may try again.
        if is_connection_error(&error) || is_lock_conflict(&error) {
            AppError::ServiceUnavailable(error.into())
        } else {
            AppError::Internal(error.into())
        }
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for AppError {
    fn from(error: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        // Every pool failure (timeout, refused connection) means "cannot reach
        // the database now"; the request has not touched anything yet.
        AppError::ServiceUnavailable(InternalCause::Pool(error.to_string()))
    }
}

/// A unique constraint refused an insert or update (a name or address
/// taken by a racing request).
pub fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}
