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
//! Per client address, the same rule on a second key: failures across all
//! user names are counted, successes do not clear them, and each check takes
//! an address slot too (before its name slot), so that no more than
//! `LOGIN_IP_MAX_FAILURES` wrong passwords from one address are ever checked
//! in its window, however many arrive at once and on however many replicas.
//! An IPv6 address counts as its /64 (one host's allotment), an IPv4-mapped
//! one as its IPv4 address.
//!
//! A known device is spared the user name's lockout, so that strangers
//! guessing a name cannot keep its owner out: a check from a request whose
//! `authql_device` cookie had a successful sign-in of the named user takes
//! a slot of that device (for that user) instead of the name's, under the
//! same rule (`LOGIN_MAX_FAILURES` in `LOGIN_LOCKOUT_SECS`), so that a
//! stolen cookie buys no more guesses than that. Its result still counts
//! for the name, without a slot: a failure is one more for the name (and
//! locks strangers out sooner), a success clears the name's failures, as
//! any successful login does. The address's slot is taken first, as ever:
//! no cookie lifts the per-address limit.
//!
//! Waiting for slots shares the check's one deadline (see
//! `credentials::check`): past it the attempt is refused with
//! `TOO_MANY_ATTEMPTS`.

use std::net::IpAddr;
use std::time::Duration;

use tokio::time::Instant;

use chrono::{NaiveDateTime, TimeDelta};

use crate::core::app::App;
use crate::core::clock;
use crate::core::devices::cookie::DeviceId;
use crate::core::devices::known;
use crate::error::AppError;
use crate::store::throttle::{self, CheckEnd, Cutoffs, Window};

/// Checks begun this long ago without another are taken to have died.
pub(crate) const STALE_CHECK_AFTER: TimeDelta = TimeDelta::minutes(2);
/// First and longest pause between looks at the slots while waiting.
const FIRST_PAUSE: Duration = Duration::from_millis(5);
const LONGEST_PAUSE: Duration = Duration::from_millis(200);

/// The throttle key of a user name (its folded form).
pub(crate) fn name_key(user_name_key: &str) -> String {
    format!("name:{user_name_key}")
}

/// The throttle key of a device known for a user: its failures for that
/// user alone (the device may be known for others too).
fn device_key(user_id: &str, device: &DeviceId) -> String {
    format!("device:{user_id}:{}", device.hash())
}

/// The address's throttle key: an IPv6 address as its /64, an IPv4-mapped
/// IPv6 address as its IPv4 address.
pub(crate) fn address_key(ip: IpAddr) -> String {
    match crate::core::client::throttle_bucket(ip) {
        bucket @ IpAddr::V4(_) => format!("ip:{bucket}"),
        bucket @ IpAddr::V6(_) => format!("ip:{bucket}/64"),
    }
}

/// One of the two limits a check is held to.
#[derive(Clone, Copy)]
struct Rule {
    max_failures: u32,
    window: TimeDelta,
    /// For the log line of a refusal.
    what: &'static str,
}

fn name_rule(app: &App) -> Rule {
    Rule {
        max_failures: app.config.login_max_failures,
        window: app.config.login_lockout,
        what: "this user name",
    }
}

/// A known device's own rule: the name's limits, counted for it alone.
fn device_rule(app: &App) -> Rule {
    Rule {
        what: "this known device",
        ..name_rule(app)
    }
}

fn address_rule(app: &App) -> Rule {
    Rule {
        max_failures: app.config.login_ip_max_failures,
        window: app.config.login_ip_lockout,
        what: "this client address",
    }
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

/// A password check that holds a slot of its user name and, when the client
/// address is known, one of that address; hand it to [`end_check`].
#[derive(Debug)]
#[must_use = "a check holds its slots until it is ended"]
pub(crate) struct PasswordCheck {
    /// Whose slot the check holds besides its address's; None for a check
    /// that names no user (a passkey sign-in).
    judged_by: Option<JudgedBy>,
    address_key: Option<String>,
}

/// Which limit on guesses for a user a check is held to.
#[derive(Debug)]
enum JudgedBy {
    /// The user name's: it holds a slot of this name key.
    Name(String),
    /// A known device's: it holds a slot of `device_key`, and its result
    /// counts for `name_key` too.
    KnownDevice {
        device_key: String,
        name_key: String,
    },
}

/// Takes a slot of the client address, then one of `user_name_key` (of the
/// known device instead, when `device` had a successful sign-in of that
/// user), waiting while checks under way hold them all, until `deadline`;
/// `TOO_MANY_ATTEMPTS` once the window's failures alone fill either, or at
/// the deadline. Pass as `device` only the id of a cookie the request may
/// use (the cross-site rule).
pub(crate) async fn begin_check(
    app: &App,
    user_name_key: &str,
    ip: Option<IpAddr>,
    device: Option<&DeviceId>,
    deadline: Instant,
) -> Result<PasswordCheck, AppError> {
    let mut check = begin_address_check(app, ip, deadline).await?;
    let judged_by = match judge(app, user_name_key, device).await {
        Ok(judged_by) => judged_by,
        Err(error) => {
            end_check(app, check, CheckEnd::Abandoned).await;
            return Err(error);
        }
    };
    let (key, rule) = match &judged_by {
        JudgedBy::KnownDevice { device_key, .. } => (device_key.as_str(), device_rule(app)),
        JudgedBy::Name(name_key) => (name_key.as_str(), name_rule(app)),
    };
    if let Err(refused) = take_slot(app, key, rule, deadline).await {
        end_check(app, check, CheckEnd::Abandoned).await;
        return Err(refused);
    }
    check.judged_by = Some(judged_by);
    Ok(check)
}

/// Whose limit a check for `user_name_key` from `device` is held to: the
/// device's when it is known for the user of that name, else the name's.
async fn judge(
    app: &App,
    user_name_key: &str,
    device: Option<&DeviceId>,
) -> Result<JudgedBy, AppError> {
    let name_key = name_key(user_name_key);
    let Some(device) = device else {
        return Ok(JudgedBy::Name(name_key));
    };
    Ok(
        match known::user_knowing(app, user_name_key, device).await? {
            Some(user_id) => JudgedBy::KnownDevice {
                device_key: device_key(&user_id, device),
                name_key,
            },
            None => JudgedBy::Name(name_key),
        },
    )
}

/// Takes a slot of the client address alone, for a check that names no
/// user until it has passed (a passkey's assertion): `TOO_MANY_ATTEMPTS`
/// once the address's failures fill its window, or at the deadline.
pub(crate) async fn begin_address_check(
    app: &App,
    ip: Option<IpAddr>,
    deadline: Instant,
) -> Result<PasswordCheck, AppError> {
    let address_key = ip.map(address_key);
    if let Some(key) = &address_key {
        take_slot(app, key, address_rule(app), deadline).await?;
    }
    Ok(PasswordCheck {
        judged_by: None,
        address_key,
    })
}

/// Takes one slot of `key` under `rule` (see the module doc).
async fn take_slot(app: &App, key: &str, rule: Rule, deadline: Instant) -> Result<(), AppError> {
    let mut pause = FIRST_PAUSE;
    loop {
        let now = app.clock.now();
        let cutoffs = cutoffs(now, rule.window);
        let mut conn = app.pool.get().await?;
        if throttle::begin_check(&mut conn, key, cutoffs, rule.max_failures).await? {
            return Ok(());
        }
        let window = throttle::window(&mut conn, key).await?;
        drop(conn);
        let failures = window
            .filter(|window| window.started_at > cutoffs.window)
            .map_or(0, |window| window.failure_count);
        if i64::from(failures) >= i64::from(rule.max_failures) {
            tracing::warn!("login refused: too many failures for {}", rule.what);
            return Err(AppError::TooManyAttempts {
                retry_after_secs: window.map_or(1, |window| retry_after(window, rule.window, now)),
            });
        }
        if Instant::now() + pause >= deadline {
            tracing::warn!(
                "login refused: checks for {} did not finish in time",
                rule.what
            );
            return Err(AppError::TooManyAttempts {
                retry_after_secs: 1,
            });
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}

/// Ends a check, counting a failure against the user name (and the known
/// device that held the slot instead, if one did) and the client address,
/// or clearing the user name's (and the device's) failures after a success
/// (an address's failures are never cleared). A failure to record is
/// logged: the slot then stays taken until it is stale, which errs on the
/// side of fewer guesses.
pub(crate) async fn end_check(app: &App, check: PasswordCheck, end: CheckEnd) {
    match &check.judged_by {
        Some(JudgedBy::Name(name_key)) => release(app, name_key, end, name_rule(app)).await,
        Some(JudgedBy::KnownDevice {
            device_key,
            name_key,
        }) => {
            release(app, device_key, end, device_rule(app)).await;
            count_for_name(app, name_key, end).await;
        }
        None => {}
    }
    if let Some(key) = &check.address_key {
        let end = match end {
            CheckEnd::Failed => CheckEnd::Failed,
            CheckEnd::Succeeded | CheckEnd::Abandoned => CheckEnd::Abandoned,
        };
        release(app, key, end, address_rule(app)).await;
    }
}

/// Counts a known device's result for the user name it was spared.
async fn count_for_name(app: &App, name_key: &str, end: CheckEnd) {
    let result = async {
        let now = app.clock.now();
        let mut conn = app.pool.get().await?;
        let cutoffs = cutoffs(now, name_rule(app).window);
        throttle::count_unslotted(&mut conn, name_key, end, cutoffs).await?;
        Ok::<(), AppError>(())
    }
    .await;
    if let Err(error) = result {
        tracing::warn!(error = %error.detail(), ?end, "cannot count a known device's check for its user name");
    }
}

async fn release(app: &App, key: &str, end: CheckEnd, rule: Rule) {
    let result = async {
        let now = app.clock.now();
        let mut conn = app.pool.get().await?;
        throttle::end_check(&mut conn, key, end, cutoffs(now, rule.window)).await?;
        Ok::<(), AppError>(())
    }
    .await;
    if let Err(error) = result {
        tracing::warn!(error = %error.detail(), ?end, "cannot record the end of a password check");
    }
}
