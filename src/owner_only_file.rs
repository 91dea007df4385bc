//! Files that hold secrets the server generated for itself (the JWT secret,
//! a signing key): created readable by their owner only, never overwritten.

use std::io::Write;
use std::path::Path;

/// Creates `path` with mode 0600 holding `contents`; fails if the file
/// already exists (another process made it meanwhile, or an operator's key
/// is there), so nothing is ever overwritten.
pub(crate) fn create_new(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}
