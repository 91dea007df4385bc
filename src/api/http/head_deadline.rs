//! How long a connection may take to send a request head, and how long it
//! may sit idle between requests: one deadline per connection, which hyper
//! enforces and this module computes. The socket wrapper made here is also
//! where the connection's other per-socket bounds live, since it is the one
//! thing that lasts exactly as long as the TCP stream, through a WebSocket
//! upgrade too: the write-progress deadline of [`super::write_deadline`],
//! and the connection's place among `HTTP_MAX_CONNECTIONS`.
//!
//! hyper has one knob, `header_read_timeout`, and starts its timer as soon
//! as it waits for a request head, so on a keep-alive connection the idle
//! time before the next request counts against the header timeout too. The
//! contract wants two bounds: the whole head within `HTTP_HEADER_TIMEOUT_SECS`
//! of its first byte (of the accept, for a connection's first request), and
//! idle keep-alive connections closed after `HTTP_IDLE_TIMEOUT_SECS`. No
//! crate splits them, so this module does, with two small parts that share
//! what the connection has shown:
//! - [`HeadTimer`], the `hyper::rt::Timer` hyper is given. Each time hyper
//!   starts a head timer, a new wait begins; the sleep it hands back moves
//!   its own deadline from "idle" to "header" once a byte has arrived.
//! - [`DeadlineIo`], the socket wrapper that notes when the first byte of a
//!   head arrives, and that answers `408 Request Timeout` when hyper closes
//!   a connection whose head was cut off part way (hyper itself just closes).
//!   It holds the connection's place (a semaphore permit of the accept loop)
//!   and gives it back when dropped: hyper hands the wrapper on to an
//!   upgraded WebSocket, so a socket keeps its place until it closes.
//!
//! Bytes of a next request that arrived together with the previous one are
//! already in hyper's buffer when its wait begins; such a head gets the idle
//! bound before its header bound. That costs at most one idle timeout, never
//! an unbounded hold.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::rt::{Sleep, Timer};
use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;

use super::write_deadline::WriteDeadline;

/// What a timed-out half-sent request is told before the connection closes.
const REQUEST_TIMEOUT_ANSWER: &[u8] =
    b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";

/// The two bounds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeadBounds {
    /// The whole head, from its first byte (or the accept).
    pub header: Duration,
    /// Between a response and the first byte of the next request; and how
    /// long a write may wait without the client taking a byte.
    pub idle: Duration,
}

/// What one connection has shown, shared by its timer and its socket.
#[derive(Debug)]
struct Progress {
    /// The connection has not yet had a request: its first head is timed
    /// from the accept, with the header bound.
    first_request: bool,
    /// When hyper began waiting for the current head.
    waiting_since: Instant,
    /// When the first byte since then arrived.
    first_byte_at: Option<Instant>,
    /// A deadline passed while part of a head was in.
    cut_mid_head: bool,
}

#[derive(Debug)]
struct Shared {
    bounds: HeadBounds,
    progress: Mutex<Progress>,
}

impl Shared {
    fn with_progress<T>(&self, f: impl FnOnce(&mut Progress) -> T) -> T {
        let mut progress = self.progress.lock();
        f(&mut progress)
    }

    /// hyper starts waiting for a head.
    fn begin_wait(&self) {
        self.with_progress(|p| {
            p.waiting_since = Instant::now();
            p.first_byte_at = None;
        });
    }

    /// The deadline of the current wait.
    fn deadline(&self) -> Instant {
        self.with_progress(|p| match (p.first_request, p.first_byte_at) {
            (true, _) => p.waiting_since + self.bounds.header,
            (false, Some(first_byte)) => first_byte + self.bounds.header,
            (false, None) => p.waiting_since + self.bounds.idle,
        })
    }

    fn bytes_arrived(&self) {
        self.with_progress(|p| {
            if p.first_byte_at.is_none() {
                p.first_byte_at = Some(Instant::now());
            }
        });
    }

    fn timed_out(&self) {
        self.with_progress(|p| p.cut_mid_head = p.first_byte_at.is_some());
    }

    fn response_written(&self) {
        self.with_progress(|p| p.first_request = false);
    }
}

/// The deadlines of one connection: make one per accepted socket, give
/// [`HeadDeadline::timer`] to hyper and wrap the socket with
/// [`HeadDeadline::wrap`].
pub(crate) struct HeadDeadline {
    shared: Arc<Shared>,
}

impl HeadDeadline {
    pub(crate) fn new(bounds: HeadBounds) -> HeadDeadline {
        HeadDeadline {
            shared: Arc::new(Shared {
                bounds,
                progress: Mutex::new(Progress {
                    first_request: true,
                    waiting_since: Instant::now(),
                    first_byte_at: None,
                    cut_mid_head: false,
                }),
            }),
        }
    }

    pub(crate) fn timer(&self) -> HeadTimer {
        HeadTimer {
            shared: self.shared.clone(),
        }
    }

    /// The socket with its deadlines, holding `place` until it is dropped.
    pub(crate) fn wrap(&self, stream: TcpStream, place: OwnedSemaphorePermit) -> DeadlineIo {
        DeadlineIo {
            stream,
            shared: self.shared.clone(),
            writes: WriteDeadline::new(self.shared.bounds.idle),
            _place: place,
        }
    }
}

/// The timer hyper runs its header timeout on.
#[derive(Clone)]
pub(crate) struct HeadTimer {
    shared: Arc<Shared>,
}

impl Timer for HeadTimer {
    fn sleep(&self, _duration: Duration) -> Pin<Box<dyn Sleep>> {
        self.start()
    }

    fn sleep_until(&self, _deadline: std::time::Instant) -> Pin<Box<dyn Sleep>> {
        self.start()
    }
}

impl HeadTimer {
    /// hyper asks for a head timer only when it begins waiting for a head;
    /// its own deadline is replaced by ours.
    fn start(&self) -> Pin<Box<dyn Sleep>> {
        self.shared.begin_wait();
        let deadline = self.shared.deadline();
        Box::pin(HeadSleep {
            shared: self.shared.clone(),
            sleep: Box::pin(tokio::time::sleep_until(deadline)),
        })
    }
}

/// Resolves at the current wait's deadline, which moves when a first byte
/// arrives; hyper polls it after every read that left the head unfinished.
struct HeadSleep {
    shared: Arc<Shared>,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl Future for HeadSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let deadline = self.shared.deadline();
        if self.sleep.deadline() != deadline {
            self.sleep.as_mut().reset(deadline);
        }
        match self.sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.shared.timed_out();
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Sleep for HeadSleep {}

/// The socket, noting first bytes and written responses for the deadline,
/// failing writes that wait too long, and holding the connection's place.
pub(crate) struct DeadlineIo {
    stream: TcpStream,
    shared: Arc<Shared>,
    writes: WriteDeadline,
    /// One of the accept loop's `HTTP_MAX_CONNECTIONS` permits, given back
    /// when the socket closes, whoever holds it then (hyper, or the
    /// WebSocket it was upgraded to).
    _place: OwnedSemaphorePermit,
}

impl AsyncRead for DeadlineIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.shared.bytes_arrived();
        }
        polled
    }
}

impl AsyncWrite for DeadlineIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write(cx, data);
        let polled = self.writes.judge(cx, written);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.shared.response_written();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        let polled = self.writes.judge(cx, written);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.shared.response_written();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

impl Drop for DeadlineIo {
    fn drop(&mut self) {
        if self.shared.with_progress(|p| p.cut_mid_head) {
            // Best effort, without blocking: the client is told why before
            // the close, when its socket has room for these few bytes.
            let _ = self.stream.try_write(REQUEST_TIMEOUT_ANSWER);
        }
    }
}
