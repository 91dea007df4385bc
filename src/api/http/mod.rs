//! The HTTP surface: `/graphql` (POST, GET for GraphiQL and queries, and
//! OPTIONS for CORS preflights), GraphiQL's files under `/graphiql/`,
//! `/auth/verify` for reverse proxies, `/.well-known/jwks.json`, `/healthz`,
//! `/readyz` and `/metrics`.

pub(crate) mod cors;
pub mod detached;
pub(crate) mod forward_auth;
pub(crate) mod graphiql;
pub(crate) mod graphql;
pub(crate) mod head_deadline;
pub(crate) mod health;
pub(crate) mod jwks;
pub(crate) mod server;
pub(crate) mod socket;
pub(crate) mod write_deadline;

use axum::Router;
use axum::routing::{any, get};

use crate::api::graphql::Schemas;
use crate::api::graphql::parsed_documents::ParsedDocuments;
use crate::core::app::AppState;

/// What the handlers share.
#[derive(Clone)]
pub struct HttpState {
    pub app: AppState,
    pub schemas: std::sync::Arc<Schemas>,
    pub(crate) documents: std::sync::Arc<ParsedDocuments>,
}

/// The whole service as an axum router.
pub fn router(app: AppState) -> Router {
    let schemas = std::sync::Arc::new(Schemas::build(app.clone()));
    let cors = cors::Cors::new(&app.config.browsers.allowed_origins);
    Router::new()
        .route(
            "/graphql",
            get(graphql::get_graphql)
                .post(graphql::post_graphql)
                .layer(axum::middleware::map_response(no_store)),
        )
        .route("/graphiql/{name}", get(graphiql::asset))
        .route(
            "/auth/verify",
            any(forward_auth::verify).layer(axum::middleware::map_response(no_store)),
        )
        .route(
            "/auth/verify/{*path}",
            any(forward_auth::verify).layer(axum::middleware::map_response(no_store)),
        )
        .route("/.well-known/jwks.json", get(jwks::jwks))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        // The work of a GraphQL request runs on a task of its own (see
        // `detached`), so a request cut here still completes or changes
        // nothing; the client is told 503.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            app.config.http.request_timeout,
        ))
        // Outside the timeout, so that a browser can read that 503 too.
        .layer(axum::middleware::from_fn_with_state(cors, cors::gate))
        .with_state(HttpState {
            app,
            schemas,
            documents: std::sync::Arc::default(),
        })
}

/// Answers carry tokens and personal data: no cache may keep them.
async fn no_store(mut response: axum::response::Response) -> axum::response::Response {
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}
