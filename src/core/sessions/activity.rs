//! `lastActiveAt` writes: at most one per session at a time, and off the
//! request path.
//!
//! The guard finds a session's `last_active_at` stale (older than
//! [`LAST_ACTIVE_RESOLUTION_SECS`](super::LAST_ACTIVE_RESOLUTION_SECS)) on
//! every request of that session until a write lands. When each of those
//! requests wrote it and waited, a burst on a stale session sent one UPDATE
//! per request in flight: the first waited for its commit (a log flush,
//! 3–5 ms on an idle disk, hundreds under a busy one), the others for its row
//! lock, each holding a pooled connection meanwhile, and every other request
//! waited behind them for the pool. That was `mySessions`' tail (README,
//! Performance). So the first request to find a session stale starts its
//! write on a task of its own, the others find it under way and go on, and
//! none waits for it: a write lost or late costs only a lagging
//! `lastActiveAt`, which the contract lets lag by a minute.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::NaiveDateTime;
use parking_lot::Mutex;

use crate::error::AppError;
use crate::store::DbPool;
use crate::store::sessions as session_rows;

/// The `lastActiveAt` writes of one process.
#[derive(Clone)]
pub(crate) struct ActivityWrites {
    pool: DbPool,
    /// Sessions whose write is under way.
    under_way: Arc<Mutex<HashSet<String>>>,
}

impl ActivityWrites {
    /// Writes through `pool`.
    pub(crate) fn new(pool: DbPool) -> Self {
        ActivityWrites {
            pool,
            under_way: Arc::default(),
        }
    }

    /// Starts writing `now` as the session's `last_active_at` (where it is
    /// still before `stale_before` and the session has not ended), unless a
    /// write of it is already under way; returns at once either way.
    pub(crate) fn record(&self, session_id: &str, now: NaiveDateTime, stale_before: NaiveDateTime) {
        if !self.under_way.lock().insert(session_id.to_owned()) {
            return;
        }
        // Dropped when the write is done or its task dies, whichever comes
        // first: the next request that finds the session stale writes again.
        let under_way = UnderWay {
            sessions: self.under_way.clone(),
            session_id: session_id.to_owned(),
        };
        let pool = self.pool.clone();
        tokio::spawn(async move {
            let written = async {
                let mut conn = pool.get().await?;
                session_rows::touch(&mut conn, &under_way.session_id, now, stale_before).await?;
                Ok::<_, AppError>(())
            }
            .await;
            if let Err(error) = written {
                tracing::warn!(error = %error.detail(), session_id = %under_way.session_id, "cannot record session activity");
            }
        });
    }
}

/// A session's mark in `under_way`, taken off when dropped.
struct UnderWay {
    sessions: Arc<Mutex<HashSet<String>>>,
    session_id: String,
}

impl Drop for UnderWay {
    fn drop(&mut self) {
        self.sessions.lock().remove(&self.session_id);
    }
}
