//! Embedded migrations for each backend, applied by `serve` and `migrate`.
//! Diesel records what ran, so applying them again does nothing. After them,
//! stored user names are brought to NFC (`super::normalise_names`).

use diesel::Connection;
use diesel_async::AsyncMysqlConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::DatabaseUrl;

const MYSQL_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/mysql");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Why migrations could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("cannot create the SQLite file: {0}")]
    SqliteFile(std::io::Error),
    #[error("cannot prepare the SQLite file: {0}")]
    Prepare(#[from] diesel::result::Error),
    #[error("a migration failed: {0}")]
    Migration(String),
    #[error("{0}")]
    UserNames(#[from] super::normalise_names::NormaliseError),
    #[error("the migration task stopped unexpectedly")]
    Task(#[from] tokio::task::JoinError),
}

/// Applies every pending migration and returns how many ran.
///
/// Runs on a blocking thread: diesel's migration harness is synchronous, and
/// MySQL is reached through diesel-async's blocking wrapper there.
pub async fn run_pending(url: &DatabaseUrl) -> Result<usize, MigrateError> {
    let url = url.clone();
    tokio::task::spawn_blocking(move || match url {
        DatabaseUrl::Mysql(url) => {
            let mut conn = AsyncConnectionWrapper::<AsyncMysqlConnection>::establish(&url)?;
            let applied = apply(&mut conn, MYSQL_MIGRATIONS)?;
            report_names(super::normalise_names::on_mysql(&mut conn)?);
            Ok(applied)
        }
        DatabaseUrl::Sqlite(path) => {
            super::sqlite_file::prepare(&path).map_err(MigrateError::SqliteFile)?;
            super::sqlite_file::warn_if_exposed(&path);
            let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())?;
            super::apply_sqlite_pragmas(&mut conn)?;
            let applied = apply(&mut conn, SQLITE_MIGRATIONS)?;
            report_names(super::normalise_names::on_sqlite(&mut conn)?);
            Ok(applied)
        }
    })
    .await?
}

fn report_names(rewritten: usize) {
    if rewritten > 0 {
        tracing::info!(rewritten, "stored user names brought to Unicode NFC");
    }
}

fn apply<DB: diesel::backend::Backend>(
    conn: &mut impl MigrationHarness<DB>,
    migrations: EmbeddedMigrations,
) -> Result<usize, MigrateError> {
    conn.run_pending_migrations(migrations)
        .map(|applied| applied.len())
        .map_err(|e| MigrateError::Migration(e.to_string()))
}
