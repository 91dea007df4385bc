//! The `DateTime` scalar of the contract: RFC 3339 in UTC with a `Z`.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{NaiveDateTime, SecondsFormat};

/// An RFC 3339 date-time in UTC, for example "2026-11-28T09:39:11Z".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct DateTime(pub NaiveDateTime);

/// An RFC 3339 date-time in UTC, for example "2026-11-28T09:39:11Z".
#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => chrono::DateTime::parse_from_rfc3339(text)
                .map(|at| DateTime(at.naive_utc()))
                .map_err(|_| InputValueError::custom("expected an RFC 3339 date-time")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(
            self.0
                .and_utc()
                .to_rfc3339_opts(SecondsFormat::AutoSi, true),
        )
    }
}

impl From<NaiveDateTime> for DateTime {
    fn from(at: NaiveDateTime) -> Self {
        DateTime(at)
    }
}
