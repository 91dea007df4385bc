//! The login throttle, kept in the database so that replicas share it.
//!
//! Per user name key: every attempt is counted before the password is
//! checked (so concurrent attempts cannot slip past the limit), and a success
//! clears the count. An attempt beyond `LOGIN_MAX_FAILURES` within the window
//! is refused, right password or not.
//!
//! Per client address: failures across all user names are counted, and an
//! address past `LOGIN_IP_MAX_FAILURES` is refused, so that one address
//! cannot spray many accounts. Successes do not clear it.

use std::net::IpAddr;

use chrono::{NaiveDateTime, TimeDelta};

use crate::app::App;
use crate::clock;
use crate::db::DbConn;
use crate::db::models::throttle::{self, Window};
use crate::error::AppError;

fn name_key(user_name_key: &str) -> String {
    format!("name:{user_name_key}")
}

fn address_key(ip: IpAddr) -> String {
    format!("ip:{ip}")
}

fn cutoff(now: NaiveDateTime, window_secs: u64) -> NaiveDateTime {
    // Config bounds every duration, so the conversions cannot fail.
    let window = TimeDelta::try_seconds(i64::try_from(window_secs).unwrap_or(0))
        .unwrap_or(TimeDelta::zero());
    now.checked_sub_signed(window).unwrap_or(NaiveDateTime::MIN)
}

/// Whole seconds until a window that began at `started_at` is over (at least 1).
fn retry_after(window: Window, window_secs: u64, now: NaiveDateTime) -> u64 {
    let ends_at = clock::add_secs(window.started_at, window_secs);
    let millis = u64::try_from((ends_at - now).num_milliseconds()).unwrap_or(0);
    millis.div_ceil(1000).max(1)
}

/// Admits a login attempt or refuses it with `TOO_MANY_ATTEMPTS`; the attempt
/// counts against the user name either way.
pub async fn admit(
    app: &App,
    conn: &mut DbConn,
    user_name_key: &str,
    ip: Option<IpAddr>,
) -> Result<(), AppError> {
    let config = &app.config;
    let now = clock::now();
    if let Some(ip) = ip {
        let ip_cutoff = cutoff(now, config.login_ip_lockout_secs);
        if let Some(window) = throttle::window(conn, &address_key(ip)).await? {
            let exceeded =
                i64::from(window.failure_count) >= i64::from(config.login_ip_max_failures);
            if exceeded && window.started_at > ip_cutoff {
                tracing::warn!(%ip, "login refused: too many failures from this address");
                return Err(AppError::TooManyAttempts {
                    retry_after_secs: retry_after(window, config.login_ip_lockout_secs, now),
                });
            }
        }
    }
    let window = throttle::count_attempt(
        conn,
        &name_key(user_name_key),
        now,
        cutoff(now, config.login_lockout_secs),
    )
    .await?;
    if i64::from(window.failure_count) > i64::from(config.login_max_failures) {
        tracing::warn!(ip = ?ip, "login refused: too many failures for this user name");
        return Err(AppError::TooManyAttempts {
            retry_after_secs: retry_after(window, config.login_lockout_secs, now),
        });
    }
    Ok(())
}

/// Counts a failed login against the client address.
pub async fn record_failure(
    app: &App,
    conn: &mut DbConn,
    ip: Option<IpAddr>,
) -> Result<(), AppError> {
    if let Some(ip) = ip {
        let now = clock::now();
        throttle::count_attempt(
            conn,
            &address_key(ip),
            now,
            cutoff(now, app.config.login_ip_lockout_secs),
        )
        .await?;
    }
    Ok(())
}

/// Clears the user name's count after a successful login.
pub async fn record_success(conn: &mut DbConn, user_name_key: &str) -> Result<(), AppError> {
    Ok(throttle::clear(conn, &name_key(user_name_key)).await?)
}
