//! Prometheus metrics, served at `GET /metrics` in the text format.
//!
//! Each `App` has its own registry (tests run many apps in one process).
//! Labels hold only values from small fixed sets, never client input, and
//! come from the enums that name them ([`Outcome`], [`LoginOutcome`],
//! [`RefreshOutcome`], [`EndReason`], [`Discard`], [`MailKind`],
//! [`GiveUpReason`]). Every family is there from
//! the start, its known series at zero, so that dashboards and alerts read 0
//! rather than "no data" before the first event.

use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
    Opts, Registry, TextEncoder,
};

use crate::core::mail::MailKind;
use crate::error::{Code, Outcome};
use crate::store::{Discard, PoolUse};
use crate::vocabulary::EndReason;

/// How a login ended, for `authql_logins_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginOutcome {
    Ok,
    Failed(Code),
}

impl LoginOutcome {
    /// The codes a login can fail with.
    const FAILURES: [Code; 8] = [
        Code::BadUserInput,
        Code::TooManyAttempts,
        Code::InvalidCredentials,
        Code::AccountDisabled,
        Code::EmailNotVerified,
        Code::PasswordResetRequired,
        Code::ServiceUnavailable,
        Code::InternalServerError,
    ];

    fn as_str(self) -> &'static str {
        match self {
            LoginOutcome::Ok => "ok",
            LoginOutcome::Failed(code) => code.as_str(),
        }
    }
}

/// How a refresh ended, for `authql_refreshes_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// The token was current and has been replaced.
    Rotated,
    /// The previous token, within the grace window: the current answer again.
    Grace,
    Failed(Code),
}

impl RefreshOutcome {
    /// The codes a refresh can fail with.
    const FAILURES: [Code; 4] = [
        Code::InvalidRefreshToken,
        Code::RefreshTokenReused,
        Code::ServiceUnavailable,
        Code::InternalServerError,
    ];

    fn as_str(self) -> &'static str {
        match self {
            RefreshOutcome::Rotated => "rotated",
            RefreshOutcome::Grace => "grace",
            RefreshOutcome::Failed(code) => code.as_str(),
        }
    }
}

/// Why the sender gave a mail up, for `authql_mails_given_up_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum GiveUpReason {
    /// Still failing a day after it was queued.
    Expired,
    /// Its seal does not open (`JWT_SECRET` changed since it was queued).
    Unsealable,
    /// It opened but is no mail lettre can send (an address that does not
    /// parse, say).
    Unsendable,
}

/// The service's counters, histograms and gauges.
pub struct Metrics {
    registry: Registry,
    /// GraphQL operations by root field(s) and outcome code.
    requests: IntCounterVec,
    request_seconds: HistogramVec,
    /// Forward-auth checks (`/auth/verify`) by outcome.
    forward_auth: IntCounterVec,
    /// Logins by outcome (`ok` or the error code).
    logins: IntCounterVec,
    /// Refreshes by outcome (`rotated`, `grace`, or the error code).
    refreshes: IntCounterVec,
    pub refresh_reuse_detected: IntCounter,
    pub sessions_opened: IntCounter,
    /// Sessions ended, by the reason kept in `end_reason`.
    sessions_ended: IntCounterVec,
    pool_connections: IntGaugeVec,
    /// Connections closed instead of reused, by [`Discard`] reason; follows
    /// the pool's own counts when rendered.
    pool_discarded: IntCounterVec,
    /// Statements the pool's connections sent; follows the pool's count when
    /// rendered.
    db_statements: IntCounter,
    db_conflict_retries: IntCounter,
    /// WebSocket connections open for live session events.
    pub live_sockets: IntGauge,
    /// Reads of session changes for live session events.
    pub session_event_polls: IntCounter,
    /// Session events handed to sockets.
    pub session_events_delivered: IntCounter,
    /// Mails queued, sent, failed (attempts) and given up, by kind.
    mails_queued: IntCounterVec,
    mails_sent: IntCounterVec,
    mail_send_failures: IntCounterVec,
    mails_given_up: IntCounterVec,
    /// Seconds since the oldest mail still to send was queued (0 when none),
    /// as the sender last read the outbox.
    pub mail_oldest_unsent_age: Gauge,
    /// Held while the pool's counts are copied, so that two scrapes at once
    /// cannot both add the same difference.
    pool_discarded_sync: parking_lot::Mutex<()>,
}

impl Metrics {
    /// Shows these operations in `/metrics` from the start (at zero), so
    /// that a rate over them exists before their first request; the
    /// transport that knows the schema names them.
    pub(crate) fn expect_operations(&self, operations: &[&str]) {
        for operation in operations {
            let labels = [*operation, Outcome::Ok.as_str()];
            self.requests.with_label_values(&labels);
            self.request_seconds.with_label_values(&labels);
        }
    }

    pub fn new() -> Metrics {
        let metrics = Metrics::unpopulated();
        for outcome in FORWARD_AUTH_OUTCOMES {
            metrics.forward_auth.with_label_values(&[outcome.as_str()]);
        }
        let logins = LoginOutcome::FAILURES.map(LoginOutcome::Failed);
        for outcome in std::iter::once(LoginOutcome::Ok).chain(logins) {
            metrics.logins.with_label_values(&[outcome.as_str()]);
        }
        let refreshes = RefreshOutcome::FAILURES.map(RefreshOutcome::Failed);
        for outcome in [RefreshOutcome::Rotated, RefreshOutcome::Grace]
            .into_iter()
            .chain(refreshes)
        {
            metrics.refreshes.with_label_values(&[outcome.as_str()]);
        }
        for reason in <EndReason as strum::IntoEnumIterator>::iter() {
            metrics.sessions_ended.with_label_values(&[reason.as_str()]);
        }
        for state in POOL_STATES {
            metrics.pool_connections.with_label_values(&[state]);
        }
        for reason in Discard::ALL {
            metrics.pool_discarded.with_label_values(&[reason.as_str()]);
        }
        for kind in <MailKind as strum::IntoEnumIterator>::iter() {
            let kind = kind.as_str();
            metrics.mails_queued.with_label_values(&[kind]);
            metrics.mails_sent.with_label_values(&[kind]);
            metrics.mail_send_failures.with_label_values(&[kind]);
            for reason in <GiveUpReason as strum::IntoEnumIterator>::iter() {
                metrics
                    .mails_given_up
                    .with_label_values(&[kind, reason.into()]);
            }
        }
        metrics
    }

    /// The families, registered but without any series yet.
    fn unpopulated() -> Metrics {
        let registry = Registry::new();
        Metrics {
            requests: registered(
                &registry,
                IntCounterVec::new(
                    Opts::new(
                        "authql_graphql_requests_total",
                        "GraphQL operations by operation and outcome",
                    ),
                    &["operation", "outcome"],
                ),
            ),
            request_seconds: registered(
                &registry,
                HistogramVec::new(
                    HistogramOpts::new(
                        "authql_graphql_request_duration_seconds",
                        "GraphQL operation latency",
                    )
                    .buckets(vec![
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                        5.0,
                    ]),
                    &["operation", "outcome"],
                ),
            ),
            forward_auth: registered(
                &registry,
                IntCounterVec::new(
                    Opts::new(
                        "authql_forward_auth_requests_total",
                        "Forward-auth checks (/auth/verify) by outcome",
                    ),
                    &["outcome"],
                ),
            ),
            logins: registered(
                &registry,
                IntCounterVec::new(
                    Opts::new("authql_logins_total", "Logins by outcome"),
                    &["outcome"],
                ),
            ),
            refreshes: registered(
                &registry,
                IntCounterVec::new(
                    Opts::new("authql_refreshes_total", "Refresh-token calls by outcome"),
                    &["outcome"],
                ),
            ),
            refresh_reuse_detected: registered(
                &registry,
                IntCounter::new(
                    "authql_refresh_reuse_detected_total",
                    "Used-up refresh tokens presented after the grace window",
                ),
            ),
            sessions_opened: registered(
                &registry,
                IntCounter::new("authql_sessions_opened_total", "Sessions opened by login"),
            ),
            sessions_ended: registered(
                &registry,
                IntCounterVec::new(
                    Opts::new("authql_sessions_ended_total", "Sessions ended, by reason"),
                    &["reason"],
                ),
            ),
            pool_connections: registered(
                &registry,
                IntGaugeVec::new(
                    Opts::new(
                        "authql_db_pool_connections",
                        "Database pool connections by state",
                    ),
                    &["state"],
                ),
            ),
            pool_discarded: registered(
                &registry,
                IntCounterVec::new(
                    Opts::new(
                        "authql_db_connections_discarded_total",
                        "Database connections closed instead of reused: lost, interrupted mid-statement, or answering for another statement",
                    ),
                    &["reason"],
                ),
            ),
            db_statements: registered(
                &registry,
                IntCounter::new(
                    "authql_db_statements_total",
                    "SQL statements the service's database connections sent (transaction control included)",
                ),
            ),
            db_conflict_retries: registered(
                &registry,
                IntCounter::new(
                    "authql_db_conflict_retries_total",
                    "Database work run again after losing a lock or Galera certification conflict (error 1213)",
                ),
            ),
            live_sockets: registered(
                &registry,
                IntGauge::new(
                    "authql_live_sockets",
                    "WebSocket connections open for live session events",
                ),
            ),
            session_event_polls: registered(
                &registry,
                IntCounter::new(
                    "authql_session_event_polls_total",
                    "Reads of session changes for live session events (one per poll interval while a socket is open)",
                ),
            ),
            session_events_delivered: registered(
                &registry,
                IntCounter::new(
                    "authql_session_events_delivered_total",
                    "Session events handed to sockets",
                ),
            ),
            mails_queued: registered(
                &registry,
                IntCounterVec::new(
                    Opts::new(
                        "authql_mails_queued_total",
                        "Mails queued in the outbox, by kind",
                    ),
                    &["kind"],
                ),
            ),
            mails_sent: registered(
                &registry,
                IntCounterVec::new(
                    Opts::new(
                        "authql_mails_sent_total",
                        "Mails this replica handed to the SMTP server, by kind",
                    ),
                    &["kind"],
                ),
            ),
            mail_send_failures: registered(
                &registry,
                IntCounterVec::new(
                    Opts::new(
                        "authql_mail_send_failures_total",
                        "Attempts to send a mail that failed (the mail is retried), by kind",
                    ),
                    &["kind"],
                ),
            ),
            mails_given_up: registered(
                &registry,
                IntCounterVec::new(
                    Opts::new(
                        "authql_mails_given_up_total",
                        "Mails given up, never to be sent, by kind and reason",
                    ),
                    &["kind", "reason"],
                ),
            ),
            mail_oldest_unsent_age: registered(
                &registry,
                Gauge::new(
                    "authql_mail_oldest_unsent_age_seconds",
                    "Age of the oldest mail still to send (0 when none), as this replica's sender last read the outbox",
                ),
            ),
            pool_discarded_sync: parking_lot::Mutex::new(()),
            registry,
        }
    }

    /// Counts `count` sessions ended for `reason`.
    pub fn sessions_ended(&self, reason: EndReason, count: usize) {
        self.sessions_ended
            .with_label_values(&[reason.as_str()])
            .inc_by(u64::try_from(count).unwrap_or(u64::MAX));
    }

    /// Counts one mail queued; the flows call it once the mail's
    /// transaction committed.
    pub fn mail_queued(&self, kind: MailKind) {
        self.mails_queued.with_label_values(&[kind.as_str()]).inc();
    }

    /// Counts one mail handed to the SMTP server.
    pub(crate) fn mail_sent(&self, kind: MailKind) {
        self.mails_sent.with_label_values(&[kind.as_str()]).inc();
    }

    /// Counts one failed attempt to send a mail.
    pub(crate) fn mail_send_failed(&self, kind: MailKind) {
        self.mail_send_failures
            .with_label_values(&[kind.as_str()])
            .inc();
    }

    /// Counts one mail given up.
    pub(crate) fn mail_given_up(&self, kind: MailKind, reason: GiveUpReason) {
        self.mails_given_up
            .with_label_values(&[kind.as_str(), reason.into()])
            .inc();
    }

    /// Counts one forward-auth check.
    pub fn forward_auth(&self, outcome: Outcome) {
        self.forward_auth
            .with_label_values(&[outcome.as_str()])
            .inc();
    }

    /// Counts one login.
    pub fn login(&self, outcome: LoginOutcome) {
        self.logins.with_label_values(&[outcome.as_str()]).inc();
    }

    /// Counts one refresh.
    pub fn refresh(&self, outcome: RefreshOutcome) {
        self.refreshes.with_label_values(&[outcome.as_str()]).inc();
    }

    /// Counts one GraphQL operation and its latency.
    pub fn request(&self, operation: &str, outcome: Outcome, elapsed: std::time::Duration) {
        let labels = [operation, outcome.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.request_seconds
            .with_label_values(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// The text exposition, with pool gauges read now.
    pub fn render(&self, pool: PoolUse) -> String {
        let gauges = [
            pool.in_use,
            pool.open.saturating_sub(pool.in_use),
            pool.waiting,
            pool.max_size,
        ];
        for (state, value) in POOL_STATES.into_iter().zip(gauges) {
            self.pool_connections
                .with_label_values(&[state])
                .set(i64::try_from(value).unwrap_or(i64::MAX));
        }
        {
            let _synced = self.pool_discarded_sync.lock();
            for (reason, total) in Discard::ALL.into_iter().zip(pool.discarded) {
                let counter = self.pool_discarded.with_label_values(&[reason.as_str()]);
                counter.inc_by(total.saturating_sub(counter.get()));
            }
            let statements = &self.db_statements;
            statements.inc_by(pool.statements.saturating_sub(statements.get()));
            let retries = &self.db_conflict_retries;
            retries.inc_by(pool.conflict_retries.saturating_sub(retries.get()));
        }
        let mut text = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut text) {
            tracing::error!(%error, "cannot encode metrics");
        }
        String::from_utf8_lossy(&text).into_owned()
    }
}

/// What a forward-auth check can end in.
const FORWARD_AUTH_OUTCOMES: [Outcome; 6] = [
    Outcome::Ok,
    Outcome::Failed(Code::Unauthenticated),
    Outcome::Failed(Code::TokenExpired),
    Outcome::Failed(Code::SessionRevoked),
    Outcome::Failed(Code::ServiceUnavailable),
    Outcome::Failed(Code::InternalServerError),
];

/// The states `authql_db_pool_connections` reports.
const POOL_STATES: [&str; 4] = ["in_use", "idle", "waiting", "max"];

/// Registers a metric built from constant, valid definitions: neither the
/// building nor the registering (distinct names, a new registry) can fail.
fn registered<M>(registry: &Registry, built: prometheus::Result<M>) -> M
where
    M: prometheus::core::Collector + Clone + 'static,
{
    let metric = built.unwrap_or_else(|error| unreachable!("static metric definition: {error}"));
    let _ = registry.register(Box::new(metric.clone()));
    metric
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
