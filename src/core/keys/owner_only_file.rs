//! Files that hold secrets the server generated for itself (the JWT secret,
//! a signing key): created readable by their owner only, never overwritten,
//! and never seen half written by a replica starting at the same moment.

use std::io::Write;
use std::path::Path;

/// Creates `path` with mode 0600 holding `contents`; fails with
/// `AlreadyExists` if the file exists (another process made it meanwhile,
/// or an operator's key is there), so nothing is ever overwritten. The
/// contents are written to a scratch file beside it first and linked into
/// place whole.
pub(crate) fn create_new(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let scratch = path.with_file_name(format!(
        ".{}.{:016x}.tmp",
        path.file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default(),
        rand::random::<u64>()
    ));
    let written =
        write_scratch(&scratch, contents).and_then(|()| std::fs::hard_link(&scratch, path));
    let _ = std::fs::remove_file(&scratch);
    written
}

fn write_scratch(scratch: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(scratch)?;
    file.write_all(contents)?;
    file.sync_all()
}
