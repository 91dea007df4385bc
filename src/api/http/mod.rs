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
pub(crate) mod media_type;
pub(crate) mod request_parts;
pub(crate) mod server;
pub(crate) mod socket;
mod state;
pub(crate) mod write_deadline;

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::{any, get};

pub use state::HttpState;

use crate::api::browser::graphiql_assets::AssetsError;
use crate::core::app::AppState;

/// The whole service as an axum router, on a fresh [`HttpState`].
pub fn router(app: AppState) -> Result<Router, AssetsError> {
    Ok(HttpState::new(app)?.router())
}

impl HttpState {
    /// The routes, their limits and CORS, on this state.
    pub fn router(&self) -> Router {
        let config = &self.app.config;
        let cors = cors::Cors::new(
            &config.browsers.allowed_origins,
            &config.browsers.allowed_headers,
        );
        Router::new()
            .route(
                "/graphql",
                get(graphql_or_socket)
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
                config.http.request_timeout,
            ))
            // Outside the timeout, so that a browser can read that 503 too.
            .layer(axum::middleware::from_fn_with_state(cors, cors::gate))
            .with_state(self.clone())
    }
}

/// `GET /graphql`: a WebSocket handshake goes to the socket of live session
/// events, anything else to GraphQL over HTTP (a query, or GraphiQL).
async fn graphql_or_socket(
    State(state): State<HttpState>,
    query: Query<graphql::GetParams>,
    request: axum::extract::Request,
) -> axum::response::Response {
    if socket::is_upgrade(request.headers()) {
        let (parts, body) = request.into_parts();
        let scheme = request_parts::own_scheme(&state, &parts);
        let request = axum::extract::Request::from_parts(parts, body);
        return socket::handshake(state, scheme, request).await;
    }
    graphql::get_graphql(state, query, request).await
}

/// Answers carry tokens and personal data: no cache may keep them.
async fn no_store(mut response: axum::response::Response) -> axum::response::Response {
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}
