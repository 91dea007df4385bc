//! The write-progress deadline: a connection whose client takes no byte of
//! its answer for `HTTP_IDLE_TIMEOUT_SECS` is closed.
//!
//! hyper waits on a full socket for as long as it stays full, so a client
//! that asks (pipelines `GET /metrics`, say) and never reads would hold its
//! connection, and its place among `HTTP_MAX_CONNECTIONS`, forever. Only a
//! write that is waiting counts: a connection whose server is still working
//! on a slow request, or a WebSocket whose client reads, writes nothing or
//! writes at once, and is never cut by this deadline. The deadline runs from
//! the first write that had to wait since the last one that went through;
//! when it passes, the write fails with `TimedOut`, and hyper (or the
//! WebSocket) drops the connection.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

/// The deadline of one connection's writes.
pub(crate) struct WriteDeadline {
    /// How long a write may wait without the client taking a byte.
    bound: Duration,
    /// Fires `bound` after the first write that waited; made on the first
    /// wait and moved on later ones, not made again.
    stall: Option<Pin<Box<Sleep>>>,
    /// A write is waiting, and none has gone through since.
    waiting: bool,
}

impl WriteDeadline {
    pub(crate) fn new(bound: Duration) -> WriteDeadline {
        WriteDeadline {
            bound,
            stall: None,
            waiting: false,
        }
    }

    /// Judges what one write on the socket came to: passed on as it is,
    /// unless it is still waiting `bound` after the first wait, which is
    /// then an error.
    pub(crate) fn judge(
        &mut self,
        cx: &mut Context<'_>,
        written: Poll<std::io::Result<usize>>,
    ) -> Poll<std::io::Result<usize>> {
        if written.is_ready() {
            self.waiting = false;
            return written;
        }
        let bound = self.bound;
        let stall = self
            .stall
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(bound)));
        if !self.waiting {
            stall.as_mut().reset(Instant::now() + bound);
            self.waiting = true;
        }
        match stall.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the client took no byte of its answer for HTTP_IDLE_TIMEOUT_SECS",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Short, for a test on the real clock; the steps below stay far from it.
    const BOUND: Duration = Duration::from_millis(600);

    fn judge(deadline: &mut WriteDeadline, written: Poll<std::io::Result<usize>>) -> Poll<usize> {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match deadline.judge(&mut cx, written) {
            Poll::Ready(Ok(n)) => Poll::Ready(n),
            Poll::Ready(Err(error)) => {
                assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
                Poll::Ready(0)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    #[tokio::test]
    async fn a_write_waiting_for_the_whole_bound_fails() {
        let mut deadline = WriteDeadline::new(BOUND);
        assert_eq!(judge(&mut deadline, Poll::Pending), Poll::Pending);
        assert_eq!(judge(&mut deadline, Poll::Pending), Poll::Pending);
        tokio::time::sleep(BOUND + BOUND / 2).await;
        assert_eq!(judge(&mut deadline, Poll::Pending), Poll::Ready(0));
    }

    #[tokio::test]
    async fn a_byte_taken_starts_the_bound_again() {
        let mut deadline = WriteDeadline::new(BOUND);
        assert_eq!(judge(&mut deadline, Poll::Pending), Poll::Pending);
        tokio::time::sleep(BOUND / 2).await;
        assert_eq!(judge(&mut deadline, Poll::Ready(Ok(1))), Poll::Ready(1));
        // Nothing to write for longer than the bound: that is no stall.
        tokio::time::sleep(BOUND * 2).await;
        assert_eq!(judge(&mut deadline, Poll::Pending), Poll::Pending);
        tokio::time::sleep(BOUND + BOUND / 2).await;
        assert_eq!(judge(&mut deadline, Poll::Pending), Poll::Ready(0));
    }
}
