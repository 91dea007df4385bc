//! The one place that reads the wall clock. Times are naive UTC truncated to
//! microseconds, the precision MySQL keeps, so that both backends answer alike.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

/// Now, in UTC, to the microsecond.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// `at` plus `secs` seconds, saturating instead of overflowing.
pub fn add_secs(at: NaiveDateTime, secs: u64) -> NaiveDateTime {
    let secs = i64::try_from(secs).unwrap_or(i64::MAX);
    chrono::TimeDelta::try_seconds(secs)
        .and_then(|delta| at.checked_add_signed(delta))
        .unwrap_or(NaiveDateTime::MAX)
}

/// Seconds since the Unix epoch, for JWT claims.
pub fn unix_secs(at: NaiveDateTime) -> i64 {
    at.and_utc().timestamp()
}

/// Interprets a naive UTC time as UTC.
pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}
