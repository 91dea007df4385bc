//! Pruning: deletes sessions that ended or expired more than
//! `SESSION_RETENTION_DAYS` ago, throttle counters whose window is over,
//! accounts never verified within `UNVERIFIED_ACCOUNT_DAYS` (freeing their
//! name and address), mail tokens spent or expired a day ago, logins' second steps
//! (`mfaToken`s) expired an hour ago, and mails
//! sent or given up that were queued more than `MAIL_RETENTION_DAYS` ago (a
//! mail still to send is never pruned), known devices not seen within
//! their retention (`devices::known::RETENTION`), and security events and
//! audit entries recorded more than `SECURITY_EVENT_RETENTION_DAYS` ago, and
//! the user directory's change log after a day, in small
//! batches, so that the
//! tables stay bounded by live use. Safe when
//! several replicas prune at once: each delete re-checks its condition.

use crate::core::app::{App, AppState};
use crate::core::clock;
use crate::error::AppError;
use crate::store::{
    accounts, audit_log, directory_changes, factors, known_devices, outbox, passkeys,
    security_events, sessions, throttle,
};

/// How long the user directory's change log is kept.
const DIRECTORY_CHANGE_RETENTION: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// Rows deleted per statement: small enough not to hold locks for long.
const BATCH_SIZE: i64 = 500;

/// What one pass deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneReport {
    pub sessions: usize,
    pub throttle_rows: usize,
    /// Accounts never verified within `UNVERIFIED_ACCOUNT_DAYS`.
    pub unverified_accounts: usize,
    /// Mail tokens spent or expired a day ago or more.
    pub mail_tokens: usize,
    /// Second steps of logins (`mfaToken`s) expired an hour ago or more, and
    /// passkey ceremonies tried that have expired since.
    pub sign_in_challenges: usize,
    pub mails: usize,
    /// Known devices not seen within their retention.
    pub known_devices: usize,
    pub security_events: usize,
    /// Audit entries, kept as long as security events.
    pub audit_entries: usize,
    /// Rows of the user directory's change log written a day ago or more.
    pub directory_changes: usize,
}

/// Deletes everything past retention, batch by batch, until none is left.
pub async fn prune_once(app: &App) -> Result<PruneReport, AppError> {
    let now = app.clock.now();
    let config = &app.config;
    let session_cutoff = clock::earlier(now, config.session_retention);
    let window = config.login_lockout.max(config.login_ip_lockout);
    let throttle_cutoff = clock::earlier(now, window);
    // Sign-ups are counted per address, and mails locked per recipient, in
    // rows of the same table with an hour's window.
    let hour_cutoff = clock::earlier(
        now,
        window.max(crate::core::accounts::sign_up::SIGN_UP_WINDOW),
    );
    let mail_cutoff = clock::earlier(now, config.accounts.mail_retention);
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
        let keys =
            throttle::stale_keys(&mut conn, throttle_cutoff, hour_cutoff, BATCH_SIZE).await?;
        if !keys.is_empty() {
            report.throttle_rows +=
                throttle::delete_stale(&mut conn, &keys, throttle_cutoff, hour_cutoff).await?;
        }
        if (keys.len() as i64) < BATCH_SIZE {
            break;
        }
    }
    let unverified_cutoff = clock::earlier(now, config.accounts.unverified_account_lifetime);
    let token_cutoff = clock::earlier(now, chrono::TimeDelta::days(1));
    loop {
        let (accounts, tokens) =
            accounts::prune(&mut conn, now, unverified_cutoff, token_cutoff, BATCH_SIZE).await?;
        report.unverified_accounts += accounts;
        report.mail_tokens += tokens;
        if (accounts as i64) < BATCH_SIZE && (tokens as i64) < BATCH_SIZE {
            break;
        }
    }
    report.sign_in_challenges = factors::delete_expired_challenges(
        &mut conn,
        clock::earlier(now, chrono::TimeDelta::hours(1)),
    )
    .await?;
    // A spent ceremony's row only has to outlive the ceremony.
    report.sign_in_challenges += passkeys::delete_spent_ceremonies(&mut conn, now).await?;
    loop {
        let ids = outbox::finished_before(&mut conn, mail_cutoff, BATCH_SIZE).await?;
        if !ids.is_empty() {
            report.mails += outbox::delete_finished(&mut conn, &ids, mail_cutoff).await?;
        }
        if (ids.len() as i64) < BATCH_SIZE {
            break;
        }
    }
    let device_cutoff = clock::earlier(now, crate::core::devices::known::RETENTION);
    loop {
        let deleted =
            known_devices::delete_unseen_since(&mut conn, device_cutoff, BATCH_SIZE).await?;
        report.known_devices += deleted;
        if (deleted as i64) < BATCH_SIZE {
            break;
        }
    }
    let event_cutoff = clock::earlier(now, config.security_event_retention);
    loop {
        let ids = security_events::recorded_before(&mut conn, event_cutoff, BATCH_SIZE).await?;
        if !ids.is_empty() {
            report.security_events +=
                security_events::delete_recorded_before(&mut conn, &ids, event_cutoff).await?;
        }
        if (ids.len() as i64) < BATCH_SIZE {
            break;
        }
    }
    // The audit log is kept as long as the security events it sits beside.
    loop {
        let ids = audit_log::recorded_before(&mut conn, event_cutoff, BATCH_SIZE).await?;
        if !ids.is_empty() {
            report.audit_entries +=
                audit_log::delete_recorded_before(&mut conn, &ids, event_cutoff).await?;
        }
        if (ids.len() as i64) < BATCH_SIZE {
            break;
        }
    }
    // A replica that last searched the directory before this reads all of
    // it again (see `store::directory_changes`).
    let change_cutoff = clock::earlier(now, DIRECTORY_CHANGE_RETENTION);
    loop {
        let deleted = directory_changes::prune(&mut conn, change_cutoff, BATCH_SIZE).await?;
        report.directory_changes += deleted;
        if (deleted as i64) < BATCH_SIZE {
            break;
        }
    }
    if report != PruneReport::default() {
        tracing::info!(
            sessions = report.sessions,
            throttle_rows = report.throttle_rows,
            unverified_accounts = report.unverified_accounts,
            mail_tokens = report.mail_tokens,
            sign_in_challenges = report.sign_in_challenges,
            mails = report.mails,
            known_devices = report.known_devices,
            security_events = report.security_events,
            audit_entries = report.audit_entries,
            directory_changes = report.directory_changes,
            "pruned old rows"
        );
    }
    Ok(report)
}

/// Prunes every `PRUNE_INTERVAL_SECS` until the task is aborted.
pub fn spawn_periodic(app: AppState) -> tokio::task::JoinHandle<()> {
    let interval = app.config.prune_interval;
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
