//! Coalesced session checks: every request with a bearer token reads its
//! session and user, and when many arrive at once, one statement serves them
//! all.
//!
//! # How a batch forms
//!
//! A check joins the queue. When no batch is being looked up, it starts a
//! driver task at once, which takes everything queued (at most
//! [`MAX_BATCH`] checks) and reads their sessions and users
//! in one `WHERE id = ? OR id = ? ...` statement. Checks that arrive while
//! that statement is in flight wait in the queue and form the next batch,
//! which the driver sends as soon as the first one has answered. So a lone
//! check is sent at once (no timer), and under load the number of statements
//! follows the database's round-trip time, not the number of requests.
//!
//! # Revocation stays immediate
//!
//! A batch holds only checks that were queued before its statement was sent,
//! and every statement reads committed rows as of when it runs. A check that
//! starts after a session ended therefore lands in a batch sent after the
//! end, and sees it ended.
//!
//! # Why not async-graphql's `DataLoader`
//!
//! The stack's dataloader was the first choice, with its cache off. It cannot
//! give the behaviour above: it opens a batch with a timer (`delay`; zero
//! still goes through `tokio::time::sleep`, which fires on the timer wheel's
//! next millisecond tick), and a key that arrives while a batch's load is in
//! flight starts a second load alongside it instead of waiting, so under load
//! it sends about one statement per arrival window rather than one per round
//! trip. It also answers a dropped load task with a panic (`rx.await.unwrap()`
//! in its `load_many`), which a request path may not do. The coalescer here is
//! a queue behind a mutex and one task; nothing else.
//!
//! # Failures
//!
//! The batch's statement failing fails every check in it with the same code
//! (`SERVICE_UNAVAILABLE` when the database cannot be reached). The driver
//! runs on a task of its own, so a caller that gives up interrupts nothing:
//! the statement finishes and its connection goes back clean.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::oneshot;

use super::activity::ActivityWrites;
use crate::error::{AppError, InternalCause};
use crate::store::DbPool;
use crate::store::sessions::{self as session_rows, SessionState};
use crate::store::users::UserRecord;

/// Most checks one statement answers (so at most this many sessions it
/// reads); the rest wait for the next.
pub(crate) const MAX_BATCH: usize = 64;

/// A session and its user, as one check finds them; None when no such
/// session exists.
pub(crate) type Found = Option<(SessionState, UserRecord)>;

/// The shared queue of session checks of one process, and the
/// `lastActiveAt` writes the checks start.
#[derive(Clone)]
pub(crate) struct SessionChecks {
    queue: Arc<Mutex<Queue>>,
    pool: DbPool,
    pub(crate) activity: ActivityWrites,
}

/// Checks waiting for a batch, and whether a driver is running.
#[derive(Default)]
struct Queue {
    waiting: Vec<Waiter>,
    driving: bool,
}

/// One check: the session it asks for and where its answer goes.
struct Waiter {
    session_id: String,
    answer: oneshot::Sender<Result<Found, AppError>>,
}

impl SessionChecks {
    /// Checks read through `pool`.
    pub(crate) fn new(pool: DbPool) -> Self {
        SessionChecks {
            queue: Arc::default(),
            activity: ActivityWrites::new(pool.clone()),
            pool,
        }
    }

    /// The session `session_id` and its user, read in the next batch.
    pub(crate) async fn find(&self, session_id: &str) -> Result<Found, AppError> {
        let (answer, answered) = oneshot::channel();
        let start_driver = {
            let mut queue = self.queue.lock();
            queue.waiting.push(Waiter {
                session_id: session_id.to_owned(),
                answer,
            });
            !std::mem::replace(&mut queue.driving, true)
        };
        if start_driver {
            tokio::spawn(drive(self.queue.clone(), self.pool.clone()));
        }
        answered.await.unwrap_or_else(|_| {
            Err(AppError::internal(InternalCause::Invariant(
                "a session check was dropped unanswered",
            )))
        })
    }
}

/// Sends batches until the queue is empty, then stops.
async fn drive(queue: Arc<Mutex<Queue>>, pool: DbPool) {
    let _stopped = DriverStopped(queue.clone());
    loop {
        let batch = {
            let mut queue = queue.lock();
            if queue.waiting.is_empty() {
                queue.driving = false;
                return;
            }
            take_batch(&mut queue.waiting)
        };
        answer(batch, &pool).await;
    }
}

/// Takes the first [`MAX_BATCH`] checks of `waiting`, in arrival order.
fn take_batch(waiting: &mut Vec<Waiter>) -> Vec<Waiter> {
    let taken = waiting.len().min(MAX_BATCH);
    waiting.drain(..taken).collect()
}

/// Reads one batch and hands each waiter its row (or the batch's failure).
async fn answer(batch: Vec<Waiter>, pool: &DbPool) {
    let mut ids: Vec<&str> = batch.iter().map(|w| w.session_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let read = async {
        let mut conn = pool.get().await?;
        let rows = session_rows::find_states_with_users(&mut conn, &ids).await?;
        Ok::<_, AppError>(rows)
    }
    .await;
    match read {
        Ok(rows) => {
            let by_id: HashMap<&str, &(SessionState, UserRecord)> =
                rows.iter().map(|row| (row.0.id.as_str(), row)).collect();
            for waiter in batch {
                let found = by_id
                    .get(waiter.session_id.as_str())
                    .map(|row| (*row).clone());
                // A waiter that gave up has nobody to tell.
                let _ = waiter.answer.send(Ok(found));
            }
        }
        Err(failure) => {
            for waiter in batch {
                let _ = waiter.answer.send(Err(shared_failure(&failure)));
            }
        }
    }
}

/// The failure of a batch, as each of its checks reports it: the same code,
/// with the cause as text (a database error cannot be cloned).
fn shared_failure(failure: &AppError) -> AppError {
    let cause = |cause: &InternalCause| InternalCause::SharedLookup(cause.to_string());
    match failure {
        AppError::ServiceUnavailable(inner) => AppError::ServiceUnavailable(cause(inner)),
        AppError::Internal(inner) => AppError::Internal(cause(inner)),
        other => AppError::Internal(InternalCause::SharedLookup(other.to_string())),
    }
}

/// Clears the running mark if a driver dies by a panic, failing the checks
/// still queued, so that the next check starts a new driver instead of
/// waiting for one that is gone.
struct DriverStopped(Arc<Mutex<Queue>>);

impl Drop for DriverStopped {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut queue = self.0.lock();
            queue.driving = false;
            // Dropping their senders answers them with an internal error.
            queue.waiting.clear();
        }
    }
}
