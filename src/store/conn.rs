//! A connection checked out of the pool, and when it must not go back: lost,
//! interrupted mid-statement, or caught answering for another statement
//! (see the module doc of `crate::store`, "Interrupted queries").

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use deadpool::managed::Metrics;
use diesel::QueryResult;
use diesel_async::AsyncMysqlConnection;
use diesel_async::pooled_connection::deadpool::Object;
use parking_lot::Mutex;

use super::SqliteConn;
use super::failures::{is_connection_error, is_wrong_answer};

/// A pooled connection of either backend.
pub enum PooledConn {
    Mysql(Object<AsyncMysqlConnection>),
    Sqlite(Object<SqliteConn>),
}
/// A connection checked out of a [`DbPool`]. It goes back to the pool when
/// dropped, unless it can no longer be trusted: it failed at the connection
/// level (the server went away), a statement on it was interrupted, or it
/// answered with a row that was not asked for. Such a connection is closed
/// instead, and a lost one makes the pool verify its other idle connections
/// before handing them out again.
pub struct DbConn {
    // Only `Drop` empties this.
    conn: Option<PooledConn>,
    health: Arc<PoolHealth>,
    query_timeout: Duration,
    /// A `with_conn!` body started and has not finished.
    query_in_flight: bool,
    discard: Option<Discard>,
}

/// Why a connection is closed instead of going back to the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discard {
    /// The server went away, or did not answer in time.
    Lost,
    /// Dropped with a statement in flight: its answer may still be unread.
    Interrupted,
    /// It answered with a row other than the one asked for, or with one that
    /// does not decode.
    WrongAnswer,
}

impl Discard {
    /// Every reason, for metrics.
    pub const ALL: [Discard; 3] = [Discard::Lost, Discard::Interrupted, Discard::WrongAnswer];

    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Discard::Lost => "lost",
            Discard::Interrupted => "interrupted",
            Discard::WrongAnswer => "wrong_answer",
        }
    }
}

/// When the pool last saw a connection fail, and how many it discarded, shared
/// by its connections.
#[derive(Default)]
pub struct PoolHealth {
    last_connection_failure: Mutex<Option<Instant>>,
    discarded: [AtomicU64; Discard::ALL.len()],
    /// Bodies run again after losing a lock or certification conflict.
    conflict_retries: AtomicU64,
}

impl PoolHealth {
    fn record_failure(&self) {
        *self.last_connection_failure.lock() = Some(Instant::now());
    }

    fn record_discard(&self, reason: Discard) {
        self.discarded[reason as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Notes one body run again after a conflict.
    pub fn record_conflict_retry(&self) {
        self.conflict_retries.fetch_add(1, Ordering::Relaxed);
    }

    /// Bodies run again after a conflict so far.
    pub(crate) fn conflict_retries(&self) -> u64 {
        self.conflict_retries.load(Ordering::Relaxed)
    }

    /// Connections closed so far, by reason (indexed like [`Discard::ALL`]).
    pub(crate) fn discarded(&self) -> [u64; Discard::ALL.len()] {
        Discard::ALL.map(|reason| self.discarded[reason as usize].load(Ordering::Relaxed))
    }

    /// Whether an idle connection must be checked before use: it sat idle
    /// long enough for the server to drop it, or a connection failed since it
    /// was last used.
    pub(crate) fn needs_verification(&self, metrics: &Metrics) -> bool {
        let last_used = metrics.recycled.unwrap_or(metrics.created);
        if last_used.elapsed() > IDLE_VERIFY_AFTER {
            return true;
        }
        self.last_connection_failure
            .lock()
            .is_some_and(|failed_at| failed_at >= last_used)
    }
}

/// Idle connections older than this are pinged before use; fresher ones are
/// trusted, so that a request costs no extra round trip.
const IDLE_VERIFY_AFTER: Duration = Duration::from_secs(30);

impl DbConn {
    /// Wraps a connection just checked out of the pool.
    pub(super) fn new(conn: PooledConn, health: Arc<PoolHealth>, query_timeout: Duration) -> Self {
        DbConn {
            conn: Some(conn),
            health,
            query_timeout,
            query_in_flight: false,
            discard: None,
        }
    }

    /// The pooled connection, for [`with_conn!`].
    pub fn pooled(&mut self) -> &mut PooledConn {
        match &mut self.conn {
            Some(conn) => conn,
            None => unreachable!("DbConn is only emptied by Drop"),
        }
    }

    /// How long one `with_conn!` body may take.
    pub fn health(&self) -> Arc<PoolHealth> {
        self.health.clone()
    }

    pub fn query_timeout(&self) -> Duration {
        self.query_timeout
    }

    /// Whether this is a MySQL connection (for the rare statement whose SQL
    /// differs between backends).
    pub fn is_mysql(&self) -> bool {
        matches!(self.conn, Some(PooledConn::Mysql(_)))
    }

    /// Marks a statement as started, for [`with_conn!`]: until
    /// [`DbConn::observe`] sees its outcome, dropping this connection closes it.
    pub fn begin_query(&mut self) {
        self.query_in_flight = true;
    }

    /// Notes a statement's outcome; a connection that failed, or answered
    /// for another statement, will not be reused.
    pub fn observe<T>(&mut self, result: &QueryResult<T>) {
        self.query_in_flight = false;
        let Err(error) = result else {
            return;
        };
        if is_connection_error(error) {
            self.discard = Some(Discard::Lost);
            self.health.record_failure();
        } else if is_wrong_answer(error) {
            self.discard = Some(Discard::WrongAnswer);
        }
    }
}

impl Drop for DbConn {
    fn drop(&mut self) {
        let reason = if self.query_in_flight {
            Some(Discard::Interrupted)
        } else {
            self.discard
        };
        let Some(reason) = reason else {
            return;
        };
        self.health.record_discard(reason);
        if reason == Discard::Interrupted {
            tracing::debug!("closing a database connection whose statement was interrupted");
        }
        // Detach from the pool and close, so the slot is refilled afresh.
        match self.conn.take() {
            Some(PooledConn::Mysql(conn)) => drop(Object::take(conn)),
            Some(PooledConn::Sqlite(conn)) => drop(Object::take(conn)),
            None => {}
        }
    }
}
