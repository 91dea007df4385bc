//! The clock: where every service reads "now". Times are naive UTC truncated
//! to microseconds, the precision MySQL keeps, so that both backends answer
//! alike.
//!
//! `App` holds the clock as a [`Clock`], so that tests of expiry, grace and
//! lockout move time forward ([`ShiftedClock`]) instead of sleeping through it.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, NaiveDateTime, SubsecRound, TimeDelta, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// Now, in UTC, to the microsecond.
    fn now(&self) -> NaiveDateTime;
}

/// The system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> NaiveDateTime {
        Utc::now().naive_utc().trunc_subsecs(6)
    }
}

/// The system's clock moved forward by an offset that only grows: time still
/// passes as usual, and [`ShiftedClock::advance`] jumps ahead. For tests and
/// drills; every replica given the same one sees the same time.
#[derive(Debug, Default)]
pub struct ShiftedClock {
    offset_micros: AtomicI64,
}

impl ShiftedClock {
    pub fn new() -> ShiftedClock {
        ShiftedClock::default()
    }

    /// Moves the clock forward by `by` (a negative step is ignored).
    pub fn advance(&self, by: TimeDelta) {
        let micros = by.num_microseconds().unwrap_or(i64::MAX).max(0);
        self.offset_micros.fetch_add(micros, Ordering::SeqCst);
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> NaiveDateTime {
        let offset = TimeDelta::microseconds(self.offset_micros.load(Ordering::SeqCst));
        later(SystemClock.now(), offset)
    }
}

/// `at` plus `delta`, saturating instead of overflowing.
pub fn later(at: NaiveDateTime, delta: TimeDelta) -> NaiveDateTime {
    at.checked_add_signed(delta).unwrap_or(NaiveDateTime::MAX)
}

/// `at` minus `delta`, saturating instead of overflowing.
pub fn earlier(at: NaiveDateTime, delta: TimeDelta) -> NaiveDateTime {
    at.checked_sub_signed(delta).unwrap_or(NaiveDateTime::MIN)
}

/// Seconds since the Unix epoch, for JWT claims.
pub fn unix_secs(at: NaiveDateTime) -> i64 {
    at.and_utc().timestamp()
}

/// Interprets a naive UTC time as UTC.
pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}
