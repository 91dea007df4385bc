//! Log setup: `RUST_LOG` (default `info`) to stderr.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; a bad `RUST_LOG` is an error.
pub fn init() -> Result<(), String> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(value) if !value.trim().is_empty() => {
            EnvFilter::try_new(value).map_err(|e| e.to_string())?
        }
        _ => EnvFilter::new("info"),
    };
    // A second init (tests) keeps the first subscriber; that is fine.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    Ok(())
}
