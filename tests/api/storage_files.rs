//! The SQLite database and its `-wal` and `-shm` files are the service
//! user's only (0600) whatever the umask, and an existing database that other
//! users can read is reported at start. SQLite only: MySQL keeps no file of
//! ours.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use authql::config::DatabaseUrl;
use authql_testkit::{Backend, TestDb, TestServer};

use crate::cli::run;

fn sqlite_path(db: &TestDb) -> PathBuf {
    match &db.url {
        DatabaseUrl::Sqlite(path) => path.clone(),
        DatabaseUrl::Mysql(_) => unreachable!("a SQLite test database"),
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// The process's umask, read without changing it (Linux).
fn umask() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix("Umask:"))
        .expect("a Umask line");
    u32::from_str_radix(line.trim(), 8).expect("octal umask")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_database_and_its_wal_and_shm_are_owner_only() {
    assert_eq!(
        umask() & 0o044,
        0,
        "the test needs a umask that lets others read new files (022 is usual)"
    );
    let app = TestServer::start(Backend::Sqlite).await;
    app.add_user("ursula", "ursula-password").await;
    // A login holds connections open: the -wal and -shm files exist now.
    app.login("ursula", "ursula-password").await;
    let path = sqlite_path(&app.db);
    for file in [
        path.clone(),
        with_suffix(&path, "-wal"),
        with_suffix(&path, "-shm"),
    ] {
        assert_eq!(
            mode(&file),
            0o600,
            "{} must be the owner's only",
            file.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_creates_an_owner_only_database_and_warns_of_an_exposed_one() {
    let db = TestDb::create(Backend::Sqlite).await;
    let path = sqlite_path(&db);

    let (ok, _, stderr) = run(&db.url_text, &["migrate"], "").await;
    assert!(ok, "{stderr}");
    assert_eq!(mode(&path), 0o600);
    assert!(
        !stderr.contains("other local users"),
        "no warning for our own file: {stderr}"
    );

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let (ok, _, stderr) = run(&db.url_text, &["migrate"], "").await;
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("WARN") && stderr.contains("other local users"),
        "an existing database others can read is reported: {stderr}"
    );
    assert!(stderr.contains("chmod 600"), "{stderr}");
    assert_eq!(mode(&path), 0o644, "the operator's file is not changed");
}
