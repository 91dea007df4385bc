//! `authql serve`: migrate, then serve HTTP (and send queued mail, when
//! `SMTP_URL` is set) until SIGINT or SIGTERM, letting in-flight requests
//! and mails finish.
//!
//! The contract wants the process gone within `SHUTDOWN_TIMEOUT_SECS` plus a
//! few seconds of the signal, whatever is still running. So one deadline,
//! set when the signal arrives, bounds every wait of the shutdown: the
//! connections' requests, the sockets' close frames (given at least
//! [`SOCKET_CLOSE_GRACE`] even when the deadline has passed) and the
//! requests whose clients hung up. Past it the service stops anyway: the
//! pool closes, and `cli::run_with_config` gives the runtime
//! [`RUNTIME_STOP_GRACE`] before it leaves its threads behind (a task that
//! never yields would otherwise hold the exit forever) and the process exits
//! 0. A request cut off that way gets no answer (its connection closes);
//! its transaction, not committed, is rolled back by the database, so what
//! it asked for is done or not done as a whole, as for a client that hangs
//! up.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::cli::CliError;
use crate::config::Config;
use crate::core::app::App;
use crate::core::keys::Keys;
use crate::store::migrate;

/// Runs the service until a shutdown signal.
pub(crate) async fn serve(config: Config) -> Result<(), CliError> {
    let applied = migrate::run_pending(&config.database_url).await?;
    let keys = Keys::load(&config)?;
    let listen_addr = config.listen_addr;
    let app = Arc::new(App::new(config, &keys)?);
    let http = crate::api::http::HttpState::new(app.clone())?;
    // Checks SMTP_URL and MAIL_FROM before listening; None without SMTP_URL.
    let mail_sender = crate::core::mail::sender::MailSender::start(app.clone())?;
    let listener = listen(listen_addr).map_err(|source| CliError::Listen {
        addr: listen_addr,
        source,
    })?;
    let local_addr = listener.local_addr().map_err(CliError::Serve)?;
    tracing::info!(
        %local_addr,
        backend = app.pool.backend_name(),
        migrations_applied = applied,
        "authql is serving GraphQL at http://{local_addr}/graphql"
    );
    let router = http.router();
    let pruner = crate::core::prune::spawn_periodic(app.clone());
    let deadline = app.config.shutdown_timeout;
    let (signalled, stop_by) = tokio::sync::oneshot::channel::<Instant>();
    let server = crate::api::http::server::serve(listener, router, &app.config.http, async move {
        shutdown_signal().await;
        let _ = signalled.send(Instant::now() + deadline);
    });
    tokio::pin!(server);
    // The server runs until the signal; it then stops accepting and waits
    // for its connections, until the deadline at most.
    let mut server_ended = false;
    let stop_by = tokio::select! {
        () = &mut server => {
            server_ended = true;
            Instant::now() + deadline
        }
        Ok(stop_by) = stop_by => stop_by,
    };
    if !server_ended && tokio::time::timeout_at(stop_by, &mut server).await.is_err() {
        tracing::warn!(
            ?deadline,
            "in-flight requests did not finish in time; stopping anyway"
        );
    }
    // Open sockets are told, and get what is left to send their close
    // frames; requests whose clients hung up run on, until the same
    // deadline, before the pool closes under them.
    if !http.stop(stop_by, SOCKET_CLOSE_GRACE).await {
        tracing::warn!(
            ?deadline,
            "requests still running at shutdown; stopping anyway"
        );
    }
    pruner.abort();
    if let Some(mail_sender) = mail_sender {
        // Sends under way get what is left of the deadline.
        mail_sender.stop(stop_by).await;
    }
    app.pool.close();
    tracing::info!("authql stopped");
    Ok(())
}

/// Least time open sockets get to send their close frames, even past the
/// deadline.
const SOCKET_CLOSE_GRACE: Duration = Duration::from_secs(1);

/// How long the runtime may take to stop once `serve` returned, before its
/// threads are left behind and the process exits.
pub(crate) const RUNTIME_STOP_GRACE: Duration = Duration::from_secs(1);

/// Connections past `HTTP_MAX_CONNECTIONS` wait in the kernel's accept
/// queue; this is its length (the kernel caps it at `net.core.somaxconn`).
const ACCEPT_BACKLOG: u32 = 4096;

/// The listening socket, with a backlog long enough to hold a burst.
fn listen(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(ACCEPT_BACKLOG)
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received: finishing in-flight requests"),
        () = terminate => tracing::info!("SIGTERM received: finishing in-flight requests"),
    }
}
