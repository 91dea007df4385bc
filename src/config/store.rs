//! Where the data lives and how the pool behaves: `DATABASE_URL`,
//! `DB_POOL_SIZE`, `DB_POOL_TIMEOUT_SECS`, `DB_QUERY_TIMEOUT_SECS`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Where the data lives.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An embedded SQLite file, created on first use.
    Sqlite(PathBuf),
    /// A MySQL or MariaDB server; the whole `mysql://` URL.
    Mysql(String),
}

/// The MySQL driver moves a connection to a loopback host onto the server's
/// Unix socket unless told not to (`prefer_socket`), which would quietly go
/// around a proxy or load balancer listening on loopback. A host given as
/// TCP stays TCP, unless the URL itself asks for the socket.
fn tcp_as_written(url: &str) -> String {
    let asks_itself = url.split_once('?').is_some_and(|(_, query)| {
        query
            .split('&')
            .any(|pair| pair.starts_with("prefer_socket="))
    });
    if asks_itself {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&prefer_socket=false")
    } else {
        format!("{url}?prefer_socket=false")
    }
}

impl fmt::Debug for DatabaseUrl {
    // The MySQL URL may hold a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Mysql(_) => f.write_str("mysql://…"),
        }
    }
}

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, String> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() || path.contains(":memory:") {
                return Err("sqlite:// needs a file path (an in-memory database is not shared between connections)".into());
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if let Some(rest) = url.strip_prefix("mysql://") {
            let database = rest.rsplit_once('/').map(|(_, db)| db).unwrap_or("");
            let database = database.split('?').next().unwrap_or("");
            if database.is_empty() {
                return Err(
                    "mysql:// URL needs a database name: mysql://USER:PASS@HOST:PORT/DB".into(),
                );
            }
            return Ok(DatabaseUrl::Mysql(tcp_as_written(url)));
        }
        Err("expected sqlite://PATH or mysql://USER:PASS@HOST:PORT/DB".into())
    }
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
