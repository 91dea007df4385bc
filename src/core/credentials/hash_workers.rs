//! The threads that run password hashes: a fixed number of them, so that a
//! login flood cannot take more memory or cores than configured, and at a
//! lower scheduling priority, so that the cheap requests beside a flood (`me`,
//! `refreshToken`) keep their latency while hashes take the leftover CPU.
//!
//! Jobs reach the threads through one queue that all of them take from:
//! `crossbeam-channel`, whose receiver is shared by cloning (std's `mpsc`
//! has one receiver, which the threads had to take turns at behind a
//! `Mutex`), whose sender needs no lock to be shared, and whose unbounded
//! `send` never blocks the async caller. Chosen over `flume` because
//! nothing here needs an async channel (callers wait on a oneshot answer)
//! and crossbeam's is the implementation std's own `mpsc` is built on.

use crossbeam_channel::{Receiver, Sender};
use tokio::sync::{AcquireError, Semaphore, SemaphorePermit, oneshot};
use tokio::time::Instant;

use crate::error::{AppError, InternalCause};

/// Nice value of the hashing threads (0 is normal, 19 the lowest priority).
const HASH_THREAD_NICE: i32 = 10;

type Job = Box<dyn FnOnce() + Send>;

/// A pool of hashing threads fed through a queue.
pub(crate) struct HashWorkers {
    jobs: Sender<Job>,
    /// One permit per thread: callers wait here, in async land, rather than
    /// in the queue, so that a cancelled request leaves nothing behind.
    permits: Semaphore,
    size: usize,
}

impl HashWorkers {
    /// Starts `size` threads; they stop when the pool is dropped.
    pub(crate) fn start(size: usize) -> std::io::Result<HashWorkers> {
        let size = size.max(1);
        let (sender, receiver) = crossbeam_channel::unbounded::<Job>();
        for index in 0..size {
            let receiver: Receiver<Job> = receiver.clone();
            std::thread::Builder::new()
                .name(format!("authql-hash-{index}"))
                .spawn(move || {
                    lower_priority();
                    // Ends when the pool, and so the sender, is dropped.
                    for job in receiver {
                        job();
                    }
                })?;
        }
        Ok(HashWorkers {
            jobs: sender,
            permits: Semaphore::new(size),
            size,
        })
    }

    /// How many hashes run at once at most.
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// Runs `work` on a hashing thread once one is free.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let permit = self.permits.acquire().await;
        self.run_with(permit, work).await
    }

    /// Runs `work` on a hashing thread if one is free before `deadline`;
    /// None when none was (the work is then not done).
    pub(crate) async fn run_before<T: Send + 'static>(
        &self,
        deadline: Instant,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<Option<T>, AppError> {
        match tokio::time::timeout_at(deadline, self.permits.acquire()).await {
            Ok(permit) => self.run_with(permit, work).await.map(Some),
            Err(_) => Ok(None),
        }
    }

    async fn run_with<T: Send + 'static>(
        &self,
        permit: Result<SemaphorePermit<'_>, AcquireError>,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let broken = |what: &'static str| AppError::internal(InternalCause::Invariant(what));
        let _permit = permit.map_err(|_| broken("hash permits closed"))?;
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move || {
            // The caller may have gone away; its answer is then not needed.
            let _ = reply.send(work());
        });
        self.jobs
            .send(job)
            .map_err(|_| broken("hash threads stopped"))?;
        answer
            .await
            .map_err(|_| broken("hash thread dropped a job"))
    }
}

/// Lowers the calling thread's priority; on failure the thread runs at the
/// normal priority, which is only slower for the requests beside it.
#[cfg(target_os = "linux")]
fn lower_priority() {
    // SAFETY: gettid and setpriority take plain integers and touch no memory
    // of ours; on Linux, PRIO_PROCESS with a thread id sets that thread's nice.
    let result = unsafe {
        let thread_id = libc::gettid();
        libc::setpriority(
            libc::PRIO_PROCESS,
            thread_id as libc::id_t,
            HASH_THREAD_NICE,
        )
    };
    if result != 0 {
        tracing::warn!("cannot lower the priority of a password hashing thread");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_and_bounds_concurrency() {
        let workers = HashWorkers::start(2).unwrap();
        assert_eq!(workers.size(), 2);
        let answers =
            futures_util::future::join_all((0..8).map(|i| workers.run(move || i * 2))).await;
        let answers: Vec<i32> = answers.into_iter().map(Result::unwrap).collect();
        assert_eq!(answers, vec![0, 2, 4, 6, 8, 10, 12, 14]);
    }

    #[tokio::test]
    async fn a_job_that_finds_no_free_thread_in_time_is_not_run() {
        let workers = HashWorkers::start(1).unwrap();
        let (release, held) = std::sync::mpsc::channel::<()>();
        let busy = workers.run(move || held.recv().is_ok());
        let late = async {
            let deadline = Instant::now() + std::time::Duration::from_millis(50);
            let answer = workers.run_before(deadline, || 1).await;
            release.send(()).unwrap();
            answer
        };
        let (busy, late) = futures_util::future::join(busy, late).await;
        assert!(busy.unwrap());
        assert_eq!(late.unwrap(), None);
        let deadline = Instant::now() + std::time::Duration::from_secs(5);
        assert_eq!(workers.run_before(deadline, || 2).await.unwrap(), Some(2));
    }
}
