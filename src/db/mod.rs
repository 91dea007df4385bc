//! Storage: which backend `DATABASE_URL` names, the connection pool over either
//! backend, and `with_conn!`, which runs one diesel query body on whichever
//! connection a request holds.

pub mod migrate;
pub mod models;
pub mod schema;

use std::time::Duration;

use deadpool::Runtime;
use diesel::SqliteConnection;
use diesel_async::AsyncMysqlConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool, PoolError};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use futures_util::FutureExt;

use crate::config::DatabaseUrl;

/// The embedded SQLite connection, driven off the executor by diesel-async.
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

/// A pool of connections to one of the two backends.
#[derive(Clone)]
pub enum DbPool {
    Mysql(Pool<AsyncMysqlConnection>),
    Sqlite(Pool<SqliteConn>),
}

/// A connection checked out of a [`DbPool`].
pub enum DbConn {
    Mysql(Object<AsyncMysqlConnection>),
    Sqlite(Object<SqliteConn>),
}

/// Runs `$body` with `$c` bound to `&mut` the concrete connection. The body is
/// compiled once per backend, so it must only use portable diesel features.
#[macro_export]
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Mysql($c) => {
                let $c: &mut ::diesel_async::AsyncMysqlConnection = &mut *$c;
                $body
            }
            $crate::db::DbConn::Sqlite($c) => {
                let $c: &mut $crate::db::SqliteConn = &mut *$c;
                $body
            }
        }
    };
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
}

impl DbPool {
    /// Builds the pool. No connection is opened until the first request.
    pub fn new(url: &DatabaseUrl, settings: PoolSettings) -> Result<Self, PoolBuildError> {
        let timeouts = deadpool::managed::Timeouts {
            wait: Some(settings.wait_timeout),
            create: Some(settings.wait_timeout),
            recycle: Some(settings.wait_timeout),
        };
        match url {
            DatabaseUrl::Mysql(url) => {
                let manager = AsyncDieselConnectionManager::<AsyncMysqlConnection>::new(url);
                let pool = Pool::builder(manager)
                    .max_size(settings.max_size)
                    .timeouts(timeouts)
                    .runtime(Runtime::Tokio1)
                    .build()?;
                Ok(DbPool::Mysql(pool))
            }
            DatabaseUrl::Sqlite(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(PoolBuildError::SqliteDirectory)?;
                }
                let mut config = ManagerConfig::<SqliteConn>::default();
                config.custom_setup = Box::new(|url| establish_sqlite(url.to_owned()).boxed());
                let manager = AsyncDieselConnectionManager::<SqliteConn>::new_with_config(
                    path.to_string_lossy(),
                    config,
                );
                let pool = Pool::builder(manager)
                    .max_size(settings.max_size)
                    .timeouts(timeouts)
                    .runtime(Runtime::Tokio1)
                    .build()?;
                Ok(DbPool::Sqlite(pool))
            }
        }
    }

    /// Checks a connection out, waiting at most the configured time.
    pub async fn get(&self) -> Result<DbConn, PoolError> {
        match self {
            DbPool::Mysql(pool) => pool.get().await.map(DbConn::Mysql),
            DbPool::Sqlite(pool) => pool.get().await.map(DbConn::Sqlite),
        }
    }

    /// Which backend this pool talks to, for logs.
    pub fn backend_name(&self) -> &'static str {
        match self {
            DbPool::Mysql(_) => "mysql",
            DbPool::Sqlite(_) => "sqlite",
        }
    }

    /// Closes the pool: idle connections are dropped, new checkouts fail.
    pub fn close(&self) {
        match self {
            DbPool::Mysql(pool) => pool.close(),
            DbPool::Sqlite(pool) => pool.close(),
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
