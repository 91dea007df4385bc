//! Prometheus metrics, served at `GET /metrics` in the text format.
//!
//! Each `App` has its own registry (tests run many apps in one process).
//! Labels hold only values from small fixed sets, never client input.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::db::PoolUse;

/// The service's counters, histograms and gauges.
pub struct Metrics {
    registry: Registry,
    /// GraphQL operations by root field(s) and outcome code.
    pub requests: IntCounterVec,
    pub request_seconds: HistogramVec,
    /// Logins by outcome (`ok` or the error code).
    pub logins: IntCounterVec,
    /// Refreshes by outcome (`rotated`, `grace`, or the error code).
    pub refreshes: IntCounterVec,
    pub refresh_reuse_detected: IntCounter,
    pub sessions_opened: IntCounter,
    /// Sessions ended, by the reason kept in `end_reason`.
    pub sessions_ended: IntCounterVec,
    pool_connections: IntGaugeVec,
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let metrics = Metrics {
            requests: IntCounterVec::new(
                Opts::new(
                    "authql_graphql_requests_total",
                    "GraphQL operations by operation and outcome",
                ),
                &["operation", "outcome"],
            )
            .unwrap_or_else(|e| unreachable!("static metric definition: {e}")),
            request_seconds: HistogramVec::new(
                HistogramOpts::new(
                    "authql_graphql_request_duration_seconds",
                    "GraphQL operation latency",
                )
                .buckets(vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ]),
                &["operation", "outcome"],
            )
            .unwrap_or_else(|e| unreachable!("static metric definition: {e}")),
            logins: IntCounterVec::new(
                Opts::new("authql_logins_total", "Logins by outcome"),
                &["outcome"],
            )
            .unwrap_or_else(|e| unreachable!("static metric definition: {e}")),
            refreshes: IntCounterVec::new(
                Opts::new("authql_refreshes_total", "Refresh-token calls by outcome"),
                &["outcome"],
            )
            .unwrap_or_else(|e| unreachable!("static metric definition: {e}")),
            refresh_reuse_detected: IntCounter::new(
                "authql_refresh_reuse_detected_total",
                "Used-up refresh tokens presented after the grace window",
            )
            .unwrap_or_else(|e| unreachable!("static metric definition: {e}")),
            sessions_opened: IntCounter::new(
                "authql_sessions_opened_total",
                "Sessions opened by login",
            )
            .unwrap_or_else(|e| unreachable!("static metric definition: {e}")),
            sessions_ended: IntCounterVec::new(
                Opts::new("authql_sessions_ended_total", "Sessions ended, by reason"),
                &["reason"],
            )
            .unwrap_or_else(|e| unreachable!("static metric definition: {e}")),
            pool_connections: IntGaugeVec::new(
                Opts::new(
                    "authql_db_pool_connections",
                    "Database pool connections by state",
                ),
                &["state"],
            )
            .unwrap_or_else(|e| unreachable!("static metric definition: {e}")),
            registry,
        };
        metrics.register_all();
        metrics
    }

    fn register_all(&self) {
        let collectors: [Box<dyn prometheus::core::Collector>; 8] = [
            Box::new(self.requests.clone()),
            Box::new(self.request_seconds.clone()),
            Box::new(self.logins.clone()),
            Box::new(self.refreshes.clone()),
            Box::new(self.refresh_reuse_detected.clone()),
            Box::new(self.sessions_opened.clone()),
            Box::new(self.sessions_ended.clone()),
            Box::new(self.pool_connections.clone()),
        ];
        for collector in collectors {
            // Names are distinct constants and the registry is new.
            let _ = self.registry.register(collector);
        }
    }

    /// Counts `count` sessions ended for `reason`.
    pub fn sessions_ended(&self, reason: &str, count: usize) {
        self.sessions_ended
            .with_label_values(&[reason])
            .inc_by(u64::try_from(count).unwrap_or(u64::MAX));
    }

    /// The text exposition, with pool gauges read now.
    pub fn render(&self, pool: PoolUse) -> String {
        let gauges = [
            ("in_use", pool.in_use),
            ("idle", pool.open.saturating_sub(pool.in_use)),
            ("waiting", pool.waiting),
            ("max", pool.max_size),
        ];
        for (state, value) in gauges {
            self.pool_connections
                .with_label_values(&[state])
                .set(i64::try_from(value).unwrap_or(i64::MAX));
        }
        let mut text = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut text) {
            tracing::error!(%error, "cannot encode metrics");
        }
        String::from_utf8_lossy(&text).into_owned()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
