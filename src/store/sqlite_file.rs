//! The SQLite database file holds every password hash and refresh secret, so
//! it and its `-wal` and `-shm` files are the service's own user's only
//! (mode 0600), whatever the umask.
//!
//! SQLite creates a missing database file with 0644 less the umask, so the
//! file is created here first, with 0600, before any connection opens it.
//! The `-wal` and `-shm` files need nothing of ours: SQLite's `unix` VFS
//! creates them with the database file's own permission bits and fixes them
//! up with `fchmod` when the umask took some away (`findCreateFileMode` and
//! `robust_open` in `os_unix.c`; the tests check it on the SQLite we link).
//!
//! A database that already exists is the operator's: its mode is left as it
//! is, and a warning at start says when group or others can read it (as a
//! database made by an earlier version, or under a loose umask, can be).

use std::path::{Path, PathBuf};

/// The permission bits of a file no one but its owner may read.
#[cfg(unix)]
const OWNER_ONLY: u32 = 0o600;

/// Creates the database's directory and, when the file is missing, an empty
/// database file readable by its owner only. An existing file is left alone.
pub(crate) fn prepare(path: &Path) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    // Without truncate: a file made meanwhile by another replica is kept.
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(OWNER_ONLY);
    }
    options.open(path).map(drop)
}

/// The database's files (itself, `-wal`, `-shm`) that exist and that group
/// or others may access, with their permission bits.
pub(crate) fn exposed_files(path: &Path) -> Vec<(PathBuf, u32)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut exposed = Vec::new();
        for suffix in ["", "-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            let file = PathBuf::from(name);
            if let Ok(metadata) = std::fs::metadata(&file) {
                let mode = metadata.permissions().mode() & 0o777;
                if mode & !OWNER_ONLY != 0 {
                    exposed.push((file, mode));
                }
            }
        }
        exposed
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Vec::new()
    }
}

/// Logs a warning for each of the database's files that group or others
/// may access; changes nothing.
pub(crate) fn warn_if_exposed(path: &Path) {
    for (file, mode) in exposed_files(path) {
        tracing::warn!(
            file = %file.display(),
            mode = format_args!("{mode:04o}"),
            "the SQLite database file can be read by other local users (it holds password hashes); \
             make it the service user's only: chmod 600 {}",
            file.display()
        );
    }
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_file_is_owner_only_and_an_existing_one_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deeper").join("authql.db");
        prepare(&path).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert!(exposed_files(&path).is_empty());

        std::fs::write(&path, b"kept").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        prepare(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"kept");
        assert_eq!(mode(&path), 0o640, "the operator's mode is not changed");
        assert_eq!(exposed_files(&path), vec![(path.clone(), 0o640)]);
    }
}
