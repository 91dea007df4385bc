//! Storage: which backend `DATABASE_URL` names, the connection pool over either
//! backend, and `with_conn!`, which runs one diesel query body on whichever
//! connection a request holds.
//!
//! # Interrupted queries
//!
//! A MySQL connection is a byte stream: a statement whose future is dropped
//! after it was sent but before its whole answer was read leaves that answer
//! in the socket, and the next statement on the connection would read it as
//! its own (another user's row, or "packet out of order"). A future is dropped
//! when a client hangs up, when the query timeout fires, when a caller's own
//! timeout gives up (`/readyz`), or when a task panics. Two defences, both
//! kept, each enough on its own for the cases it covers:
//!
//! - **Work runs to its end.** The HTTP layer runs each GraphQL request on a
//!   task of its own that does not die with the client's connection, so a
//!   client that hangs up interrupts nothing: its statements finish and its
//!   connection goes back to the pool clean. Finishing is also what the
//!   client may expect of a login or logout it sent, and it costs the pool
//!   nothing, where discarding would turn every hang-up into a fresh
//!   connection (a handshake and authentication on the server: an
//!   amplification anyone could trigger by closing sockets).
//! - **A connection interrupted mid-statement is never reused.** `with_conn!`
//!   marks the [`DbConn`] busy for the length of its body; a `DbConn` dropped
//!   while still busy (a timeout, a panic, any caller that gives up) is
//!   detached from the pool and closed instead of being returned. This needs
//!   no round trip in the steady state; a ping per checkout would cost one per
//!   request and is deliberately not done.
//!
//! On top of that, lookups by key check that the row that came back is the row
//! they asked for (see [`expect_key`]). A mismatch, or a row that does not
//! decode, means the connection answered for another statement: it is
//! discarded and the request fails as an internal error, never answered with
//! that row.
//!
//! SQLite runs each statement on a blocking thread that holds the connection
//! for its whole length, so an abandoned caller cannot leave half an answer
//! behind; a transaction left open by an abandoned caller is caught by the
//! same busy mark (and by diesel-async's own check for open transactions when
//! a connection is recycled).

pub mod migrate;
pub mod models;
pub mod schema;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deadpool::Runtime;
use deadpool::managed::{Hook, HookError, Metrics};
use diesel::QueryResult;
use diesel::SqliteConnection;
use diesel_async::AsyncMysqlConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool, PoolError};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use futures_util::FutureExt;

use crate::config::DatabaseUrl;

/// The embedded SQLite connection, driven off the executor by diesel-async.
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

/// A pool of connections to one of the two backends.
#[derive(Clone)]
pub struct DbPool {
    pools: Pools,
    health: Arc<PoolHealth>,
    query_timeout: Duration,
}

#[derive(Clone)]
enum Pools {
    Mysql(Pool<AsyncMysqlConnection>),
    Sqlite(Pool<SqliteConn>),
}

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
    pub fn label(self) -> &'static str {
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
struct PoolHealth {
    last_connection_failure: Mutex<Option<Instant>>,
    discarded: [AtomicU64; Discard::ALL.len()],
}

impl PoolHealth {
    fn record_failure(&self) {
        if let Ok(mut last) = self.last_connection_failure.lock() {
            *last = Some(Instant::now());
        }
    }

    fn record_discard(&self, reason: Discard) {
        self.discarded[reason as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Whether an idle connection must be checked before use: it sat idle
    /// long enough for the server to drop it, or a connection failed since it
    /// was last used.
    fn needs_verification(&self, metrics: &Metrics) -> bool {
        let last_used = metrics.recycled.unwrap_or(metrics.created);
        if last_used.elapsed() > IDLE_VERIFY_AFTER {
            return true;
        }
        match self.last_connection_failure.lock() {
            Ok(last) => last.is_some_and(|failed_at| failed_at >= last_used),
            Err(_) => true,
        }
    }
}

/// Idle connections older than this are pinged before use; fresher ones are
/// trusted, so that a request costs no extra round trip.
const IDLE_VERIFY_AFTER: Duration = Duration::from_secs(30);

impl DbConn {
    /// The pooled connection, for [`with_conn!`].
    pub fn pooled(&mut self) -> &mut PooledConn {
        match &mut self.conn {
            Some(conn) => conn,
            None => unreachable!("DbConn is only emptied by Drop"),
        }
    }

    /// How long one `with_conn!` body may take.
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
        }
        _ => false,
    }
}

/// Most times a body that lost a lock conflict is run again.
pub const MAX_CONFLICT_RETRIES: u32 = 5;

/// Whether a statement failed only because it lost a lock conflict with a
/// concurrent one: an InnoDB deadlock, or (on Galera) a certification
/// conflict, both error 1213. The server has rolled back the statement, or
/// the whole transaction it was in, so running the body again is safe.
pub fn is_lock_conflict(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        Error::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            info.message().starts_with("Deadlock found")
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
            let base = 2_u64 << attempt;
            Some(Duration::from_millis(base + rand::random_range(0..base)))
        }
        _ => None,
    }
}

/// Runs `$body` with `$c` bound to `&mut` the concrete connection. The body is
/// compiled once per backend, so it must only use portable diesel features.
/// It must evaluate to a `QueryResult`, which the connection observes. A body
/// that loses a lock conflict runs again, a few times; one that takes longer
/// than the query timeout fails as a lost connection; one that never finishes
/// (its future dropped) leaves the connection marked busy, so that it is
/// closed rather than reused.
#[macro_export]
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {{
        let db_conn: &mut $crate::db::DbConn = $conn;
        let timeout = db_conn.query_timeout();
        db_conn.begin_query();
        let result = match db_conn.pooled() {
            $crate::db::PooledConn::Mysql($c) => {
                let $c: &mut ::diesel_async::AsyncMysqlConnection = &mut *$c;
                $crate::db::within(timeout, async {
                    let mut attempt = 0;
                    loop {
                        let result = async { $body }.await;
                        match $crate::db::conflict_pause(&result, attempt) {
                            Some(pause) => ::tokio::time::sleep(pause).await,
                            None => break result,
                        }
                        attempt += 1;
                    }
                })
                .await
            }
            $crate::db::PooledConn::Sqlite($c) => {
                // SQLite serialises writers (the busy timeout makes them
                // wait), so it has no conflicts to retry.
                let $c: &mut $crate::db::SqliteConn = &mut *$c;
                $crate::db::within(timeout, async { $body }).await
            }
        };
        db_conn.observe(&result);
        result
    }};
}

/// A pre-recycle hook that pings connections the pool no longer trusts.
macro_rules! verify_hook {
    ($health:expr, $timeout:expr) => {{
        let health: Arc<PoolHealth> = $health;
        let timeout: Duration = $timeout;
        Hook::async_fn(move |conn, metrics| {
            let verify = health.needs_verification(metrics);
            Box::pin(async move {
                if !verify {
                    return Ok(());
                }
                use diesel::IntoSql;
                use diesel_async::RunQueryDsl;
                // deadpool's recycle timeout does not cover hooks: a server
                // that stopped answering would hold the checkout forever.
                let ping = diesel::select(1_i32.into_sql::<diesel::sql_types::Integer>())
                    .get_result::<i32>(conn);
                within(timeout, ping).await.map(|_| ()).map_err(|e| {
                    HookError::Backend(diesel_async::pooled_connection::PoolError::QueryError(e))
                })
            })
        })
    }};
}

/// Builds a deadpool for one backend's manager: bounded size, every wait
/// bounded by the pool timeout, stale connections verified before use.
macro_rules! build_pool {
    ($manager:expr, $settings:expr, $health:expr) => {
        Pool::builder($manager)
            .max_size($settings.max_size)
            .timeouts(deadpool::managed::Timeouts {
                wait: Some($settings.wait_timeout),
                create: Some($settings.wait_timeout),
                recycle: Some($settings.wait_timeout),
            })
            .runtime(Runtime::Tokio1)
            .pre_recycle(verify_hook!($health.clone(), $settings.wait_timeout))
            .build()?
    };
}

/// Pool use right now, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    pub max_size: usize,
    pub open: usize,
    pub in_use: usize,
    pub waiting: usize,
    /// Connections closed instead of reused since start, by [`Discard`] reason
    /// (indexed like [`Discard::ALL`]).
    pub discarded: [u64; Discard::ALL.len()],
}

/// Why a pool could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PoolBuildError {
    #[error("cannot create the directory for the SQLite file: {0}")]
    SqliteDirectory(std::io::Error),
    #[error("cannot build the connection pool: {0}")]
    Build(#[from] deadpool::managed::BuildError),
}

/// Pool size and how long a request may wait for a connection.
#[derive(Clone, Copy, Debug)]
pub struct PoolSettings {
    pub max_size: usize,
    pub wait_timeout: Duration,
    /// Longest a statement (or a transaction) may take before its connection
    /// is given up as lost, so that a database that stops answering without
    /// closing its connections cannot hold requests forever.
    pub query_timeout: Duration,
}

impl DbPool {
    /// Builds the pool. No connection is opened until the first request.
    pub fn new(url: &DatabaseUrl, settings: PoolSettings) -> Result<Self, PoolBuildError> {
        let health = Arc::new(PoolHealth::default());
        match url {
            DatabaseUrl::Mysql(url) => {
                let mut config = ManagerConfig::<AsyncMysqlConnection>::default();
                config.recycling_method = RecyclingMethod::Fast;
                let manager = AsyncDieselConnectionManager::<AsyncMysqlConnection>::new_with_config(
                    url, config,
                );
                let pool = build_pool!(manager, settings, health);
                Ok(DbPool {
                    pools: Pools::Mysql(pool),
                    health,
                    query_timeout: settings.query_timeout,
                })
            }
            DatabaseUrl::Sqlite(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(PoolBuildError::SqliteDirectory)?;
                }
                let mut config = ManagerConfig::<SqliteConn>::default();
                config.recycling_method = RecyclingMethod::Fast;
                config.custom_setup = Box::new(|url| establish_sqlite(url.to_owned()).boxed());
                let manager = AsyncDieselConnectionManager::<SqliteConn>::new_with_config(
                    path.to_string_lossy(),
                    config,
                );
                let pool = build_pool!(manager, settings, health);
                Ok(DbPool {
                    pools: Pools::Sqlite(pool),
                    health,
                    query_timeout: settings.query_timeout,
                })
            }
        }
    }

    /// Checks a connection out, waiting at most the configured time.
    pub async fn get(&self) -> Result<DbConn, PoolError> {
        let conn = match &self.pools {
            Pools::Mysql(pool) => pool.get().await.map(PooledConn::Mysql),
            Pools::Sqlite(pool) => pool.get().await.map(PooledConn::Sqlite),
        }?;
        Ok(DbConn {
            conn: Some(conn),
            health: self.health.clone(),
            query_timeout: self.query_timeout,
            query_in_flight: false,
            discard: None,
        })
    }

    /// Which backend this pool talks to, for logs.
    pub fn backend_name(&self) -> &'static str {
        match self.pools {
            Pools::Mysql(_) => "mysql",
            Pools::Sqlite(_) => "sqlite",
        }
    }

    /// How many connections exist, are in use, and how many callers wait.
    pub fn usage(&self) -> PoolUse {
        let status = match &self.pools {
            Pools::Mysql(pool) => pool.status(),
            Pools::Sqlite(pool) => pool.status(),
        };
        PoolUse {
            max_size: status.max_size,
            open: status.size,
            in_use: status.size.saturating_sub(status.available),
            waiting: status.waiting,
            discarded: Discard::ALL
                .map(|reason| self.health.discarded[reason as usize].load(Ordering::Relaxed)),
        }
    }

    /// Closes the pool: idle connections are dropped, new checkouts fail.
    pub fn close(&self) {
        match &self.pools {
            Pools::Mysql(pool) => pool.close(),
            Pools::Sqlite(pool) => pool.close(),
        }
    }
}

/// Opens a SQLite file with the settings every connection needs: WAL so that
/// readers do not block the writer, foreign keys enforced, and a busy timeout
/// so that concurrent writers wait instead of failing.
async fn establish_sqlite(path: String) -> diesel::ConnectionResult<SqliteConn> {
    use diesel::Connection;
    tokio::task::spawn_blocking(move || {
        let mut conn = SqliteConnection::establish(&path)?;
        apply_sqlite_pragmas(&mut conn)
            .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
        Ok(SyncConnectionWrapper::new(conn))
    })
    .await
    .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?
}

/// The per-connection pragmas of [`establish_sqlite`], also used by migrations.
pub fn apply_sqlite_pragmas(conn: &mut SqliteConnection) -> diesel::QueryResult<()> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute(
        "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
         PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
    )
}

/// Checks that the database answers a trivial query.
pub async fn ping(conn: &mut DbConn) -> diesel::QueryResult<()> {
    use diesel::IntoSql;
    use diesel_async::RunQueryDsl;
    with_conn!(conn, |c| {
        diesel::select(1_i32.into_sql::<diesel::sql_types::Integer>())
            .get_result::<i32>(c)
            .await
            .map(|_| ())
    })
}
