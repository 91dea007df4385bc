//! Requests run to their end on tasks of their own (see `crate::store`,
//! "Interrupted queries"), so the number of them must be bounded some other
//! way than by open connections: a client could otherwise send requests and
//! hang up faster than they finish. [`DetachedWork`] caps how many run at
//! once (past it, a request is answered `SERVICE_UNAVAILABLE` at once) and
//! lets a shutdown wait for those still running before the pool closes.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;

/// Requests running at once, most; far above what the pool can serve, so it
/// only bites on a flood of requests that are hung up on.
pub const MAX_DETACHED_REQUESTS: usize = 4096;

/// The requests running on their own tasks.
#[derive(Clone)]
pub struct DetachedWork {
    tracker: TaskTracker,
    permits: Arc<Semaphore>,
}

/// Too many requests are running already.
#[derive(Debug)]
pub(crate) struct Saturated;

impl Default for DetachedWork {
    fn default() -> Self {
        DetachedWork {
            tracker: TaskTracker::new(),
            permits: Arc::new(Semaphore::new(MAX_DETACHED_REQUESTS)),
        }
    }
}

impl DetachedWork {
    /// Runs `work` on a task of its own and waits for its result; the task
    /// goes on if the caller is dropped.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl Future<Output = T> + Send + 'static,
    ) -> Result<Result<T, tokio::task::JoinError>, Saturated> {
        let permit = self
            .permits
            .clone()
            .try_acquire_owned()
            .map_err(|_| Saturated)?;
        // Boxed, so that the task holds a pointer rather than the whole
        // future: a GraphQL execution's future is tens of kilobytes, and
        // tokio moves a task's future (and reads its output) by copying the
        // task's stage, which was most of a small request's instructions
        // under callgrind.
        let work = Box::pin(work);
        let task = self.tracker.spawn(async move {
            let result = work.await;
            drop(permit);
            result
        });
        Ok(task.await)
    }

    /// Waits until every request started so far has finished.
    pub async fn drain(&self) {
        self.tracker.close();
        self.tracker.wait().await;
    }
}
