//! Typed reads of variables, each failure naming its variable.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::TimeDelta;

use super::{ConfigError, MAX_DAYS};

/// Typed reads of variables, each failure naming its variable.
pub(super) struct Vars<'a, F: Fn(&str) -> Option<String>>(pub(super) &'a F);

impl<F: Fn(&str) -> Option<String>> Vars<'_, F> {
    /// The value, or None when unset or blank.
    pub(super) fn raw(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    pub(super) fn parse<T: FromStr>(&self, name: &'static str, default: T) -> Result<T, ConfigError>
    where
        T::Err: fmt::Display,
    {
        match self.raw(name) {
            None => Ok(default),
            Some(value) => value.trim().parse().map_err(|e: T::Err| ConfigError {
                variable: name,
                problem: e.to_string(),
            }),
        }
    }

    pub(super) fn at_least<T>(&self, name: &'static str, minimum: T) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + fmt::Display + Copy,
        T::Err: fmt::Display,
    {
        let value = self.parse(name, minimum)?;
        if value < minimum {
            return Err(ConfigError {
                variable: name,
                problem: format!("must be at least {minimum}, got {value}"),
            });
        }
        Ok(value)
    }

    pub(super) fn positive<T>(&self, name: &'static str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + fmt::Display + Copy + From<u8>,
        T::Err: fmt::Display,
    {
        let value = self.parse(name, default)?;
        if value < T::from(1) {
            return Err(ConfigError {
                variable: name,
                problem: "must be 1 or more".into(),
            });
        }
        Ok(value)
    }

    /// A whole number from `minimum` to `maximum`.
    pub(super) fn bounded<T>(
        &self,
        name: &'static str,
        default: T,
        minimum: T,
        maximum: T,
    ) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + fmt::Display + Copy,
        T::Err: fmt::Display,
    {
        let value = self.parse(name, default)?;
        if value < minimum || value > maximum {
            return Err(ConfigError {
                variable: name,
                problem: format!("must be {minimum} to {maximum}, got {value}"),
            });
        }
        Ok(value)
    }

    /// Whole seconds from `minimum` up to a century (larger values would
    /// overflow date arithmetic and mean nothing), for date arithmetic.
    pub(super) fn delta(
        &self,
        name: &'static str,
        default: u32,
        minimum: u32,
    ) -> Result<TimeDelta, ConfigError> {
        let secs = self.bounded(name, default, minimum, MAX_DAYS * 24 * 3600)?;
        Ok(TimeDelta::seconds(i64::from(secs)))
    }

    /// Whole seconds from `minimum` up to a century, for timers.
    pub(super) fn timer(
        &self,
        name: &'static str,
        default: u32,
        minimum: u32,
    ) -> Result<Duration, ConfigError> {
        let secs = self.bounded(name, default, minimum, MAX_DAYS * 24 * 3600)?;
        Ok(Duration::from_secs(u64::from(secs)))
    }

    pub(super) fn non_empty(
        &self,
        name: &'static str,
        default: &str,
    ) -> Result<String, ConfigError> {
        Ok(self.raw(name).unwrap_or_else(|| default.to_owned()))
    }
}
