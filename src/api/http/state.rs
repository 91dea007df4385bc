//! `HttpState`: what the handlers share. The domain's services (`App`), and
//! what only transport needs: the schemas, the documents already judged,
//! the requests running detached, the replica's sockets and the session
//! feed they listen to, and GraphiQL's files.

use std::sync::Arc;

use crate::api::browser::graphiql_assets::{AssetsError, LocalAssets};
use crate::api::graphql::Schemas;
use crate::api::graphql::parsed_documents::ParsedDocuments;
use crate::api::graphql::persisted_queries::PersistedQueries;
use crate::api::http::detached::DetachedWork;
use crate::api::http::socket::sockets::Sockets;
use crate::core::app::AppState;
use crate::core::live::feed::SessionFeed;

/// What the handlers share; clones share it.
#[derive(Clone)]
pub struct HttpState {
    pub app: AppState,
    pub schemas: Arc<Schemas>,
    pub(crate) documents: Arc<ParsedDocuments>,
    /// The documents clients sent under a hash (automatic persisted queries).
    pub(crate) persisted: Arc<PersistedQueries>,
    /// The requests running on tasks of their own, bounded; a shutdown
    /// drains them before closing the pool.
    pub(crate) detached: DetachedWork,
    /// The sockets of live session events: their tasks and the stop.
    pub(crate) sockets: Sockets,
    /// The reader of session changes that feeds those sockets.
    pub(crate) session_feed: SessionFeed,
    /// GraphiQL's files from `GRAPHIQL_ASSETS_DIR`, read at start; None
    /// when the page loads them from the CDN.
    pub(crate) graphiql_assets: Option<Arc<LocalAssets>>,
}

impl HttpState {
    /// Builds the state for `app`, reading GraphiQL's files when
    /// `GRAPHIQL_ASSETS_DIR` is set.
    pub fn new(app: AppState) -> Result<HttpState, AssetsError> {
        let graphiql_assets = match &app.config.browsers.graphiql_assets_dir {
            Some(dir) => Some(Arc::new(LocalAssets::load(dir)?)),
            None => None,
        };
        app.metrics
            .expect_operations(&crate::api::graphql::operation::KNOWN_ROOT_FIELDS);
        Ok(HttpState {
            schemas: Arc::new(Schemas::build(app.clone())),
            documents: Arc::default(),
            persisted: Arc::default(),
            detached: DetachedWork::default(),
            sockets: Sockets::default(),
            session_feed: SessionFeed::default(),
            graphiql_assets,
            app,
        })
    }

    /// Stops the transport's work within `deadline` (sockets get at least
    /// `socket_grace` for their close frames): sockets are told and closed,
    /// then the requests whose clients hung up run on until the deadline.
    /// Whether everything finished in time.
    pub async fn stop(
        &self,
        stop_by: tokio::time::Instant,
        socket_grace: std::time::Duration,
    ) -> bool {
        let left = stop_by.saturating_duration_since(tokio::time::Instant::now());
        self.sockets.stop(left.max(socket_grace)).await;
        tokio::time::timeout_at(stop_by, self.detached.drain())
            .await
            .is_ok()
    }
}
