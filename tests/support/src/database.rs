//! A database made for one test (or one benchmark run) on either backend,
//! removed when dropped, and the `both_backends!` macro that runs one test
//! body on each.
//!
//! MySQL runs when `AUTHQL_TEST_MYSQL_URL` names a server (no database part,
//! e.g. `mysql://root@127.0.0.1:3306`); each test creates its own database and
//! drops it afterwards. Without it, the MySQL half of every test says so on
//! the terminal and passes; under CI (`CI` set) it fails instead.

use std::io::Write;
use std::sync::Once;

use authql::config::DatabaseUrl;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Mysql,
}

/// Declares `mod NAME { fn sqlite(); fn mysql(); }` running `NAME(backend)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                if $crate::mysql_server_url().is_some() {
                    super::$name($crate::Backend::Mysql).await;
                }
            }
        }
    )+};
}

/// The MySQL server to test on, or None (announced once) when there is none.
pub fn mysql_server_url() -> Option<String> {
    match std::env::var("AUTHQL_TEST_MYSQL_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().trim_end_matches('/').to_owned()),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but AUTHQL_TEST_MYSQL_URL is not: MySQL must be tested under CI"
            );
            static ANNOUNCE: Once = Once::new();
            ANNOUNCE.call_once(|| {
                // Straight to the terminal: the test harness captures println!.
                let _ = writeln!(
                    std::io::stderr(),
                    "\nNOTE: MySQL was NOT tested: set AUTHQL_TEST_MYSQL_URL=mysql://root@127.0.0.1:3306 to test it.\n"
                );
            });
            None
        }
    }
}

/// A database for one test, removed when dropped (unless it was someone
/// else's: see [`TestDb::existing`]).
pub struct TestDb {
    pub url: DatabaseUrl,
    pub url_text: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite {
        _dir: tempfile::TempDir,
    },
    Mysql {
        server_url: String,
        database: String,
    },
    /// Not ours to remove.
    Kept,
}

impl TestDb {
    /// A fresh, empty database: a SQLite file in a temporary folder, or a
    /// MySQL database on the server of `AUTHQL_TEST_MYSQL_URL`.
    pub async fn create(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => TestDb::sqlite().expect("a SQLite test database"),
            Backend::Mysql => {
                let server_url = mysql_server_url().expect("MySQL configured");
                TestDb::mysql_on(&server_url, "authql_t")
                    .await
                    .expect("a MySQL test database")
            }
        }
    }

    /// A SQLite file in a temporary folder of its own, created on first use.
    pub fn sqlite() -> Result<TestDb, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let url_text = format!("sqlite://{}", dir.path().join("authql.db").display());
        Ok(TestDb {
            url: url_text.parse()?,
            url_text,
            cleanup: Cleanup::Sqlite { _dir: dir },
        })
    }

    /// A new database `<prefix>_<random>` on the MySQL server at
    /// `server_url` (no database part).
    pub async fn mysql_on(server_url: &str, prefix: &str) -> Result<TestDb, String> {
        let server_url = server_url.trim().trim_end_matches('/').to_owned();
        let database = format!("{prefix}_{:016x}", rand::random::<u64>());
        mysql_admin(
            &server_url,
            &format!("CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"),
        )
        .await?;
        let url_text = format!("{server_url}/{database}");
        Ok(TestDb {
            url: url_text.parse()?,
            url_text,
            cleanup: Cleanup::Mysql {
                server_url,
                database,
            },
        })
    }

    /// A database someone else made and removes (a cluster node's, say).
    pub fn existing(url_text: &str) -> TestDb {
        TestDb {
            url: url_text.parse().expect("a database URL"),
            url_text: url_text.to_owned(),
            cleanup: Cleanup::Kept,
        }
    }

    /// Removes the database now, saying whether that worked; dropping it
    /// does the same but can only print a failure.
    pub async fn remove(mut self) -> Result<(), String> {
        match std::mem::replace(&mut self.cleanup, Cleanup::Kept) {
            Cleanup::Mysql {
                server_url,
                database,
            } => {
                mysql_admin(
                    &server_url,
                    &format!("DROP DATABASE IF EXISTS `{database}`"),
                )
                .await
            }
            Cleanup::Sqlite { .. } | Cleanup::Kept => Ok(()),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Mysql {
            server_url,
            database,
        } = &self.cleanup
        {
            let (server_url, database) = (server_url.clone(), database.clone());
            // Drop runs inside the test's runtime; use a runtime of our own.
            let dropped = std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())?
                    .block_on(mysql_admin(
                        &server_url,
                        &format!("DROP DATABASE IF EXISTS `{database}`"),
                    ))
            })
            .join();
            if !matches!(dropped, Ok(Ok(()))) {
                eprintln!("could not drop a test database");
            }
        }
    }
}

/// Runs one statement on the server's `mysql` database.
async fn mysql_admin(server_url: &str, statement: &str) -> Result<(), String> {
    use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};
    let mut conn = AsyncMysqlConnection::establish(&format!("{server_url}/mysql"))
        .await
        .map_err(|e| format!("cannot connect to the MySQL server: {e}"))?;
    diesel::sql_query(statement)
        .execute(&mut conn)
        .await
        .map_err(|e| format!("{statement}: {e}"))?;
    Ok(())
}
