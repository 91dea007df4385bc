//! The login throttle, kept in the database so that replicas share it.
//!
//! Per user name key, only failures count, and a success clears them. To
//! keep guesses bounded while right passwords that arrive together all get
//! through, each password check takes a slot before it runs: a slot is free
//! while the window's failures plus the checks under way stay below
//! `LOGIN_MAX_FAILURES`, so no more wrong passwords than that can ever be
//! checked in one window, on any number of replicas. An attempt that finds
//! every slot held by checks still under way waits for them (a check takes
//! milliseconds) instead of being refused: they may well succeed. Once the
//! failures alone fill the window, attempts are refused with
//! `TOO_MANY_ATTEMPTS` until it is over, right password or not.
//!
//! A server that dies mid-check, or a database that fails as a check ends,
//! leaves its slot taken; the slots of a name are forgotten once no check
//! has begun for [`STALE_CHECK_AFTER`], longer than any check may take (a
//! check is abandoned after 30 s). Until then a leaked slot lowers the name's
//! allowance of wrong passwords; it never raises it.
//!
//! Per client address: failures across all user names are counted, and an
//! address past `LOGIN_IP_MAX_FAILURES` is refused, so that one address
//! cannot spray many accounts. Successes do not clear it.

use std::net::IpAddr;
use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};

use crate::app::App;
use crate::clock;
use crate::db::models::throttle::{self, CheckEnd, Cutoffs, Window};
use crate::error::AppError;

/// Checks begun this long ago without another are taken to have died.
pub(crate) const STALE_CHECK_AFTER: TimeDelta = TimeDelta::minutes(2);
/// Longest an attempt waits for the checks under way to finish.
const MAX_WAIT: Duration = Duration::from_secs(10);
/// First and longest pause between looks at the slots while waiting.
const FIRST_PAUSE: Duration = Duration::from_millis(5);
const LONGEST_PAUSE: Duration = Duration::from_millis(200);

fn name_key(user_name_key: &str) -> String {
    format!("name:{user_name_key}")
}

fn address_key(ip: IpAddr) -> String {
    format!("ip:{ip}")
}

fn cutoffs(now: NaiveDateTime, window: TimeDelta) -> Cutoffs {
    Cutoffs {
        now,
        window: clock::earlier(now, window),
        stale_checks: clock::earlier(now, STALE_CHECK_AFTER),
    }
}

/// Whole seconds until a window that began at `started_at` is over (at least 1).
fn retry_after(window: Window, length: TimeDelta, now: NaiveDateTime) -> u64 {
    let ends_at = clock::later(window.started_at, length);
    let millis = u64::try_from((ends_at - now).num_milliseconds()).unwrap_or(0);
    millis.div_ceil(1000).max(1)
}

/// Refuses an address that failed too often lately, across all user names.
pub(crate) async fn refuse_busy_address(app: &App, ip: Option<IpAddr>) -> Result<(), AppError> {
    let Some(ip) = ip else {
        return Ok(());
    };
    let config = &app.config;
    let now = app.clock.now();
    let mut conn = app.pool.get().await?;
    if let Some(window) = throttle::window(&mut conn, &address_key(ip)).await? {
        let exceeded = i64::from(window.failure_count) >= i64::from(config.login_ip_max_failures);
        if exceeded && window.started_at > clock::earlier(now, config.login_ip_lockout) {
            tracing::warn!(%ip, "login refused: too many failures from this address");
            return Err(AppError::TooManyAttempts {
                retry_after_secs: retry_after(window, config.login_ip_lockout, now),
            });
        }
    }
    Ok(())
}

/// A password check that holds a slot; hand it to [`end_check`].
#[derive(Debug)]
#[must_use = "a check holds a slot until it is ended"]
pub(crate) struct PasswordCheck {
    key: String,
}

/// Takes a slot to check a password for `user_name_key`, waiting (bounded)
/// while checks under way hold them all; `TOO_MANY_ATTEMPTS` once the
/// window's failures alone fill them.
pub(crate) async fn begin_check(app: &App, user_name_key: &str) -> Result<PasswordCheck, AppError> {
    let key = name_key(user_name_key);
    let config = &app.config;
    let began = tokio::time::Instant::now();
    let mut pause = FIRST_PAUSE;
    loop {
        let now = app.clock.now();
        let cutoffs = cutoffs(now, config.login_lockout);
        let mut conn = app.pool.get().await?;
        if throttle::begin_check(&mut conn, &key, cutoffs, config.login_max_failures).await? {
            return Ok(PasswordCheck { key });
        }
        let window = throttle::window(&mut conn, &key).await?;
        drop(conn);
        let failures = window
            .filter(|window| window.started_at > cutoffs.window)
            .map_or(0, |window| window.failure_count);
        let refuse = || AppError::TooManyAttempts {
            retry_after_secs: window
                .map_or(1, |window| retry_after(window, config.login_lockout, now)),
        };
        if i64::from(failures) >= i64::from(config.login_max_failures) {
            tracing::warn!("login refused: too many failures for this user name");
            return Err(refuse());
        }
        if began.elapsed() >= MAX_WAIT {
            tracing::warn!("login refused: checks for this user name did not finish in time");
            return Err(AppError::TooManyAttempts {
                retry_after_secs: 1,
            });
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}

/// Ends a check, counting a failure against the user name (and the client
/// address), or clearing the user name's failures after a success. A failure
/// to record is logged: the slot then stays taken until it is stale, which
/// errs on the side of fewer guesses.
pub(crate) async fn end_check(app: &App, check: PasswordCheck, end: CheckEnd, ip: Option<IpAddr>) {
    let result = async {
        let now = app.clock.now();
        let mut conn = app.pool.get().await?;
        throttle::end_check(
            &mut conn,
            &check.key,
            end,
            cutoffs(now, app.config.login_lockout),
        )
        .await?;
        if let (CheckEnd::Failed, Some(ip)) = (end, ip) {
            let cutoffs = cutoffs(now, app.config.login_ip_lockout);
            throttle::count_failure(&mut conn, &address_key(ip), cutoffs).await?;
        }
        Ok::<(), AppError>(())
    }
    .await;
    if let Err(error) = result {
        tracing::warn!(error = %error.detail(), ?end, "cannot record the end of a password check");
    }
}
