//! `authql serve`: migrate, then serve HTTP until SIGINT or SIGTERM, letting
//! in-flight requests finish.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::app::App;
use crate::cli::CliError;
use crate::config::Config;
use crate::db::migrate;

/// Runs the service until a shutdown signal.
pub(crate) async fn serve(config: Config) -> Result<(), CliError> {
    let applied = migrate::run_pending(&config.database_url).await?;
    let jwt_secret = crate::jwt_secret::resolve(&config.jwt_secret)?;
    let access_keys = crate::jwt_key::resolve(&config.access_signing, &jwt_secret)?;
    let listen_addr = config.listen_addr;
    let app = Arc::new(App::new(config, &jwt_secret, &access_keys)?);
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
    let router = crate::http::router(app.clone());
    let pruner = crate::prune::spawn_periodic(app.clone());
    let shutdown_started = Arc::new(Notify::new());
    let signal_seen = shutdown_started.clone();
    let server = crate::http::server::serve(listener, router, &app.config.http, async move {
        shutdown_signal().await;
        signal_seen.notify_one();
    });
    let deadline = app.config.shutdown_timeout;
    tokio::select! {
        () = server => {}
        () = async {
            shutdown_started.notified().await;
            tokio::time::sleep(deadline).await;
        } => tracing::warn!(?deadline, "in-flight requests did not finish in time; stopping anyway"),
    }
    // Open sockets are told, and get as long to send their close frames.
    app.session_feed.stop(deadline).await;
    // Requests whose clients hung up run on; give them as long again
    // before the pool closes under them.
    if tokio::time::timeout(deadline, app.detached.drain())
        .await
        .is_err()
    {
        tracing::warn!(
            ?deadline,
            "requests still running at shutdown; stopping anyway"
        );
    }
    pruner.abort();
    app.pool.close();
    tracing::info!("authql stopped");
    Ok(())
}

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
