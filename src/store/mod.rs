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

pub(crate) mod accounts;
pub(crate) mod admin;
pub(crate) mod audit_log;
mod conn;
pub(crate) mod directory;
pub(crate) mod directory_changes;
pub(crate) mod factors;
mod failures;
mod galera;
pub(crate) mod known_devices;
pub mod migrate;
mod normalise_names;
pub(crate) mod outbox;
pub(crate) mod passkeys;
pub mod schema;
pub mod security_events;
pub(crate) mod session_ends;
pub mod sessions;
pub(crate) mod sign_in_reports;
mod sqlite_file;
pub mod statements;
pub mod throttle;
pub mod users;

pub use crate::config::store::PoolSettings;
pub use conn::{DbConn, Discard, PoolHealth, PooledConn};
pub use failures::{
    MAX_CONFLICT_RETRIES, WrongRow, conflict_pause, expect_key, is_connection_error,
    is_lock_conflict, is_unique_violation, is_wrong_answer, within,
};

use std::sync::Arc;
use std::time::Duration;

use deadpool::Runtime;
use deadpool::managed::{Hook, HookError};
use diesel::SqliteConnection;
use diesel_async::AsyncMysqlConnection;
use diesel_async::pooled_connection::deadpool::{Pool, PoolError};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use futures_util::FutureExt;
use statements::StatementCount;

use crate::config::DatabaseUrl;

/// The embedded SQLite connection, driven off the executor by diesel-async.
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

/// A pool of connections to one of the two backends.
#[derive(Clone)]
pub struct DbPool {
    pools: Pools,
    health: Arc<PoolHealth>,
    statements: StatementCount,
    query_timeout: Duration,
}

#[derive(Clone)]
enum Pools {
    Mysql(Pool<AsyncMysqlConnection>),
    Sqlite(Pool<SqliteConn>),
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
        let db_conn: &mut $crate::store::DbConn = $conn;
        let timeout = db_conn.query_timeout();
        let health = db_conn.health();
        db_conn.begin_query();
        let result = match db_conn.pooled() {
            $crate::store::PooledConn::Mysql($c) => {
                let $c: &mut ::diesel_async::AsyncMysqlConnection = &mut *$c;
                $crate::store::within(timeout, async {
                    let mut attempt = 0;
                    loop {
                        let result = async { $body }.await;
                        match $crate::store::conflict_pause(&result, attempt) {
                            Some(pause) => {
                                health.record_conflict_retry();
                                ::tokio::time::sleep(pause).await
                            }
                            None => break result,
                        }
                        attempt += 1;
                    }
                })
                .await
            }
            $crate::store::PooledConn::Sqlite($c) => {
                // SQLite serialises writers (the busy timeout makes them
                // wait), so it has no conflicts to retry.
                let $c: &mut $crate::store::SqliteConn = &mut *$c;
                $crate::store::within(timeout, async { $body }).await
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
    /// Statements sent since start (see [`statements`]).
    pub statements: u64,
    /// Bodies run again after a lock or certification conflict.
    pub conflict_retries: u64,
}

/// Why a pool could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PoolBuildError {
    #[error("cannot create the SQLite file: {0}")]
    SqliteFile(std::io::Error),
    #[error("cannot build the connection pool: {0}")]
    Build(#[from] deadpool::managed::BuildError),
}

impl DbPool {
    /// Builds the pool. No connection is opened until the first request.
    pub fn new(url: &DatabaseUrl, settings: PoolSettings) -> Result<Self, PoolBuildError> {
        let health = Arc::new(PoolHealth::default());
        let statements = StatementCount::default();
        match url {
            DatabaseUrl::Mysql(url) => {
                let mut config = ManagerConfig::<AsyncMysqlConnection>::default();
                config.recycling_method = RecyclingMethod::Fast;
                let counted = statements.clone();
                config.custom_setup = Box::new(move |url| {
                    let (url, counted) = (url.to_owned(), counted.clone());
                    async move {
                        use diesel_async::AsyncConnection;
                        let mut conn = AsyncMysqlConnection::establish(&url).await?;
                        galera::prepare(&mut conn).await?;
                        conn.set_instrumentation(counted.hook());
                        Ok(conn)
                    }
                    .boxed()
                });
                let manager = AsyncDieselConnectionManager::<AsyncMysqlConnection>::new_with_config(
                    url, config,
                );
                let pool = build_pool!(manager, settings, health);
                Ok(DbPool {
                    pools: Pools::Mysql(pool),
                    health,
                    statements,
                    query_timeout: settings.query_timeout,
                })
            }
            DatabaseUrl::Sqlite(path) => {
                sqlite_file::prepare(path).map_err(PoolBuildError::SqliteFile)?;
                let mut config = ManagerConfig::<SqliteConn>::default();
                config.recycling_method = RecyclingMethod::Fast;
                let counted = statements.clone();
                config.custom_setup =
                    Box::new(move |url| establish_sqlite(url.to_owned(), counted.clone()).boxed());
                let manager = AsyncDieselConnectionManager::<SqliteConn>::new_with_config(
                    path.to_string_lossy(),
                    config,
                );
                let pool = build_pool!(manager, settings, health);
                Ok(DbPool {
                    pools: Pools::Sqlite(pool),
                    health,
                    statements,
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
        Ok(DbConn::new(conn, self.health.clone(), self.query_timeout))
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
            discarded: self.health.discarded(),
            statements: self.statements.get(),
            conflict_retries: self.health.conflict_retries(),
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
/// Its statements are counted into `statements`.
async fn establish_sqlite(
    path: String,
    statements: StatementCount,
) -> diesel::ConnectionResult<SqliteConn> {
    use diesel::Connection;
    tokio::task::spawn_blocking(move || {
        let mut conn = SqliteConnection::establish(&path)?;
        apply_sqlite_pragmas(&mut conn)
            .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
        conn.set_instrumentation(statements.hook());
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
