//! Known devices: the `authql_device` cookie that every sign-in sets names
//! the device with a random id (256 bits, base64url), and a device is known
//! for a user once a sign-in of that user succeeded on it.
//!
//! Only the id's SHA-256 is stored: a reader of the database cannot make a
//! known device, and nobody can guess one. A request that carries a
//! well-formed id keeps it (its cookie is set again, so that its 400 days
//! start over); a malformed or over-long one is ignored as if absent.
//!
//! Being known matters twice: the per-name login lockout spares a known
//! device (it is judged by its own failures, see `credentials::throttle`),
//! and a sign-in from a device that is not known may alert the owner.

use chrono::{NaiveDateTime, TimeDelta};

use crate::core::app::App;
use crate::core::devices::cookie::{COOKIE_LIFETIME, DeviceId};
use crate::error::AppError;
use crate::store::{DbConn, known_devices};

/// Known devices are forgotten once unseen this long: as long as the cookie
/// that names them lives. (When `SECURITY_EVENT_RETENTION_DAYS` lands, the
/// contract's "within the retention" may want that instead.)
pub(crate) const RETENTION: TimeDelta = COOKIE_LIFETIME;

/// The oldest `last_seen_at` that still makes a device known at `now`.
fn seen_after(now: NaiveDateTime) -> NaiveDateTime {
    crate::core::clock::earlier(now, RETENTION)
}

/// Whether `device` is known for the user `user_id` at `now`: a sign-in
/// of that user succeeded on it (carried or set its cookie) within the
/// retention, read on `conn`.
///
/// For the new-device rule (`super::alerts`), which asks it before the
/// sign-in's own session opens (that sign-in notes the device as known in
/// its own transaction). Pass the request's
/// [`DeviceCookie::usable`](crate::core::devices::cookie::DeviceCookie::usable)
/// id: a cross-site request proves no device.
pub(crate) async fn is_known_on(
    conn: &mut DbConn,
    user_id: &str,
    device: &DeviceId,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    Ok(known_devices::is_known(conn, user_id, &device.hash(), seen_after(now)).await?)
}

/// The id of the user named `user_name_key` when `device` is known for that
/// user; None otherwise. For the login throttle, which knows only the name.
pub(crate) async fn user_knowing(
    app: &App,
    user_name_key: &str,
    device: &DeviceId,
) -> Result<Option<String>, AppError> {
    let now = app.clock.now();
    let mut conn = app.pool.get().await?;
    Ok(known_devices::user_knowing_device(
        &mut conn,
        user_name_key,
        &device.hash(),
        seen_after(now),
    )
    .await?)
}
