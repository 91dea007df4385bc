//! The HTTP surface: `/graphql` (POST, and GET for GraphiQL and queries),
//! `/healthz`, `/readyz` and `/metrics`.

pub mod graphql;
pub mod health;

use axum::Router;
use axum::routing::get;

use crate::app::AppState;
use crate::graphql::{AppSchema, build_schema};

/// What the handlers share.
#[derive(Clone)]
pub struct HttpState {
    pub app: AppState,
    pub schema: AppSchema,
}

/// The whole service as an axum router.
pub fn router(app: AppState) -> Router {
    let schema = build_schema(app.clone());
    Router::new()
        .route(
            "/graphql",
            get(graphql::get_graphql).post(graphql::post_graphql),
        )
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .with_state(HttpState { app, schema })
}
