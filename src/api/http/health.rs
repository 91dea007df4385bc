//! Liveness, readiness and metrics for load balancers, orchestrators and
//! monitoring.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;

use super::HttpState;

/// How long readiness waits for the database before answering 503.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// 200 while the process serves.
pub(crate) async fn healthz() -> (StatusCode, &'static str) {
    (StatusCode::OK, "ok\n")
}

/// 200 when the database answers, else 503.
pub(crate) async fn readyz(State(state): State<HttpState>) -> (StatusCode, &'static str) {
    let check = async {
        let mut conn = state.app.pool.get().await.ok()?;
        crate::store::ping(&mut conn).await.ok()
    };
    match tokio::time::timeout(READY_TIMEOUT, check).await {
        Ok(Some(())) => (StatusCode::OK, "ready\n"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n"),
    }
}

/// Prometheus text exposition.
pub(crate) async fn metrics(State(state): State<HttpState>) -> impl axum::response::IntoResponse {
    let body = state.app.metrics.render(state.app.pool.usage());
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
}
