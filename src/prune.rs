//! Pruning: deletes sessions that ended or expired more than
//! `SESSION_RETENTION_DAYS` ago and throttle counters whose window is over,
//! in small batches, so that the tables stay bounded by live use. Safe when
//! several replicas prune at once: each delete re-checks its condition.

use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};

use crate::app::{App, AppState};
use crate::clock;
use crate::db::models::{sessions, throttle};
use crate::error::AppError;

/// Rows deleted per statement: small enough not to hold locks for long.
const BATCH_SIZE: i64 = 500;

/// What one pass deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneReport {
    pub sessions: usize,
    pub throttle_rows: usize,
}

fn before(now: NaiveDateTime, delta: Option<TimeDelta>) -> NaiveDateTime {
    delta
        .and_then(|delta| now.checked_sub_signed(delta))
        .unwrap_or(NaiveDateTime::MIN)
}

/// Deletes everything past retention, batch by batch, until none is left.
pub async fn prune_once(app: &App) -> Result<PruneReport, AppError> {
    let now = clock::now();
    let config = &app.config;
    let session_cutoff = before(
        now,
        TimeDelta::try_days(i64::try_from(config.session_retention_days).unwrap_or(0)),
    );
    let window_secs = config.login_lockout_secs.max(config.login_ip_lockout_secs);
    let throttle_cutoff = before(
        now,
        TimeDelta::try_seconds(i64::try_from(window_secs).unwrap_or(0)),
    );
    let mut report = PruneReport::default();
    let mut conn = app.pool.get().await?;
    loop {
        let ids = sessions::finished_before(&mut conn, session_cutoff, BATCH_SIZE).await?;
        if !ids.is_empty() {
            report.sessions += sessions::delete_finished(&mut conn, &ids, session_cutoff).await?;
        }
        if (ids.len() as i64) < BATCH_SIZE {
            break;
        }
    }
    loop {
        let keys = throttle::stale_keys(&mut conn, throttle_cutoff, BATCH_SIZE).await?;
        if !keys.is_empty() {
            report.throttle_rows +=
                throttle::delete_stale(&mut conn, &keys, throttle_cutoff).await?;
        }
        if (keys.len() as i64) < BATCH_SIZE {
            break;
        }
    }
    if report != PruneReport::default() {
        tracing::info!(
            sessions = report.sessions,
            throttle_rows = report.throttle_rows,
            "pruned old rows"
        );
    }
    Ok(report)
}

/// Prunes every `PRUNE_INTERVAL_SECS` until the task is aborted.
pub fn spawn_periodic(app: AppState) -> tokio::task::JoinHandle<()> {
    let interval = Duration::from_secs(app.config.prune_interval_secs);
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(error) = prune_once(&app).await {
                tracing::warn!(error = %error.detail(), "pruning failed; will try again at the next interval");
            }
        }
    })
}
