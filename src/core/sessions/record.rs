//! Recording what the sessions service did: the metrics and log lines of
//! every session opened and ended, written here and nowhere else, so that
//! a new way in or out is recorded like the others by going through the
//! service. Its security events (`SIGNED_IN`, `SESSION_ENDED`) are not
//! written here but in the transaction of the open or end itself
//! (`crate::store::sessions::open`, `end_sessions!`), so that they commit
//! with it.
//!
//! `metrics` is None for an operator's command run with a bare pool (`user
//! disable`, `user enable`): it serves no metrics, so only the log line is
//! written.

use crate::core::metrics::Metrics;
use crate::core::sessions::SignInMethod;
use crate::vocabulary::EndReason;

/// Counts and logs a session just opened.
pub(super) fn opened(metrics: &Metrics, user_id: &str, session_id: &str, method: &SignInMethod) {
    metrics.sessions_opened.inc();
    tracing::info!(%user_id, %session_id, method = method.as_str(), "login succeeded: session opened");
}

/// Counts and logs `count` sessions of `user_id` just ended for `reason`;
/// `session_id` names the one session the end was about, when it was about
/// one. Nothing is written when none ended (another request ended them
/// first, and recorded them).
pub(crate) fn ended(
    metrics: Option<&Metrics>,
    user_id: &str,
    session_id: Option<&str>,
    reason: EndReason,
    count: usize,
) {
    if count == 0 {
        return;
    }
    if let Some(metrics) = metrics {
        metrics.sessions_ended(reason, count);
    }
    match session_id {
        Some(session_id) => {
            tracing::info!(%user_id, %session_id, %reason, count, "session ended")
        }
        None => tracing::info!(%user_id, %reason, count, "sessions ended"),
    }
}
