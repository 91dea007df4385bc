//! The sockets of this replica as the HTTP layer holds them: their tasks, so
//! that a stop can wait for their close frames; the signal that the service
//! stops; and those still waiting for `connection_init`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::init_wait::InitWaiting;

/// The replica's sockets; clones share them.
#[derive(Clone, Default)]
pub(crate) struct Sockets {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    /// Cancelled when the service stops: every socket closes.
    stopping: CancellationToken,
    /// Every socket's task, so that a stop can wait for their close frames.
    tasks: TaskTracker,
    /// The sockets that have not sent `connection_init` yet.
    init_waiting: InitWaiting,
}

impl Sockets {
    /// Runs one socket's task, so that [`Self::stop`] can wait for it.
    pub(crate) fn track<F>(&self, socket: F) -> impl Future<Output = ()> + use<F>
    where
        F: Future<Output = ()>,
    {
        self.shared.tasks.track_future(socket)
    }

    /// The sockets of this replica waiting for `connection_init`.
    pub(crate) fn init_waiting(&self) -> &InitWaiting {
        &self.shared.init_waiting
    }

    /// Resolves when the service begins to stop.
    pub(crate) fn stopping(&self) -> tokio_util::sync::WaitForCancellationFutureOwned {
        self.shared.stopping.clone().cancelled_owned()
    }

    /// Tells every socket that the service stops and waits up to `deadline`
    /// for them to send their close frames.
    pub(crate) async fn stop(&self, deadline: Duration) {
        self.shared.stopping.cancel();
        self.shared.tasks.close();
        if tokio::time::timeout(deadline, self.shared.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!(?deadline, "sockets still open at shutdown; stopping anyway");
        }
    }
}
