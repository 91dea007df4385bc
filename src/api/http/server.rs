//! The accept loop: at most `HTTP_MAX_CONNECTIONS` connections are open at
//! once (past that, new ones wait in the kernel's backlog, not accepted and
//! starved), each served by hyper's HTTP/1.1 connection with the head and
//! idle deadlines of [`super::head_deadline`] and request heads over 16 KiB
//! refused with 431. A shutdown stops accepting, lets every connection
//! finish its request in flight, and closes idle ones. Connections may be
//! upgraded to WebSockets (live session events); an upgraded socket is then
//! the socket handler's, and still counts against the bound until it
//! closes: the connection's permit lives in its socket wrapper, which the
//! WebSocket owns after the upgrade, so neither sockets nor the descriptors
//! they use can grow past `HTTP_MAX_CONNECTIONS`. A client that reads none
//! of its answers is cut by the write-progress deadline of
//! [`super::write_deadline`], and so gives its place back too.
//!
//! `axum::serve` has none of these knobs, so the loop is written here with
//! hyper's and hyper-util's own parts.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use super::head_deadline::{HeadBounds, HeadDeadline};
use crate::config::HttpLimits;

/// Largest request head (request line and headers) read; larger is 431.
pub(crate) const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Pause after a failed accept (out of file descriptors, say), so the loop
/// does not spin while the condition lasts.
const ACCEPT_RETRY_PAUSE: Duration = Duration::from_millis(50);

/// Serves `router` on `listener` until `shutdown` resolves, then waits for
/// the connections to finish their requests.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &HttpLimits,
    shutdown: impl Future<Output = ()>,
) {
    let bounds = HeadBounds {
        header: limits.header_timeout,
        idle: limits.idle_timeout,
    };
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    // hyper-util's GracefulShutdown does not take connections that may be
    // upgraded, so the same is done here: a stop signal every connection
    // watches, and a tracker of the connection tasks to wait for.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let connections = TaskTracker::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(ACCEPT_RETRY_PAUSE).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let deadline = HeadDeadline::new(bounds);
        let io = TokioIo::new(deadline.wrap(stream, permit));
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(request)
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(deadline.timer())
            .header_read_timeout(limits.header_timeout)
            .max_header_size(MAX_HEAD_BYTES);
        let mut stopping = stopping.clone();
        connections.spawn(async move {
            let connection = builder.serve_connection(io, service).with_upgrades();
            tokio::pin!(connection);
            let stop_signal = async move {
                // The guard it returns is not Send; only the moment matters.
                let _ = stopping.wait_for(|stop| *stop).await.map(|_| ());
            };
            let served = tokio::select! {
                served = connection.as_mut() => served,
                () = stop_signal => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = served {
                tracing::debug!(%error, %peer, "connection closed with an error");
            }
        });
    }
    drop(listener);
    let _ = stop.send(true);
    connections.close();
    connections.wait().await;
}
