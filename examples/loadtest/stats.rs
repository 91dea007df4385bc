//! Measurement: each worker records into its own [`Recorder`] (an HDR
//! histogram of latencies plus error counts), and the recorders of a scenario
//! are merged into one [`Summary`].
//!
//! Requests are counted over a fixed window that starts after a warm-up: a
//! request counts when it both started and finished inside the window, so
//! requests/s is successful requests in the window divided by its length.
//! Errors are counted whenever they happen, warm-up included.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::client::Failure;

/// Longest latency the histogram tells apart, in microseconds.
const MAX_LATENCY_US: u64 = 60_000_000;

/// The measured part of a scenario's run.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub start: Instant,
    pub end: Instant,
}

impl Window {
    /// A window of `duration` that opens after `warmup` from now.
    pub fn after_warmup(warmup: Duration, duration: Duration) -> Window {
        let start = Instant::now() + warmup;
        Window {
            start,
            end: start + duration,
        }
    }

    fn contains(&self, started: Instant, finished: Instant) -> bool {
        started >= self.start && finished <= self.end
    }

    fn secs(&self) -> f64 {
        (self.end - self.start).as_secs_f64()
    }
}

/// One worker's latencies and errors.
pub struct Recorder {
    window: Window,
    latencies_us: Histogram<u64>,
    errors: BTreeMap<Failure, u64>,
}

impl Recorder {
    pub fn new(window: Window) -> Recorder {
        Recorder {
            window,
            latencies_us: Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)
                .expect("constant histogram bounds are valid"),
            errors: BTreeMap::new(),
        }
    }

    /// Records one request that ran from `started` to `finished`.
    pub fn record(&mut self, started: Instant, finished: Instant, outcome: Result<(), Failure>) {
        match outcome {
            Err(failure) => *self.errors.entry(failure).or_default() += 1,
            Ok(()) if self.window.contains(started, finished) => {
                let micros = u64::try_from((finished - started).as_micros()).unwrap_or(u64::MAX);
                self.latencies_us.saturating_record(micros.max(1));
            }
            Ok(()) => {}
        }
    }

    /// Records one request that started inside the window, whenever it
    /// finished and however it ended: the wait a user saw, a failure after
    /// 30 s included. Its errors count whenever they happen.
    pub fn record_waited(
        &mut self,
        started: Instant,
        finished: Instant,
        outcome: Result<(), Failure>,
    ) {
        if started >= self.window.start && started < self.window.end {
            let micros = u64::try_from((finished - started).as_micros()).unwrap_or(u64::MAX);
            self.latencies_us.saturating_record(micros.max(1));
        }
        if let Err(failure) = outcome {
            *self.errors.entry(failure).or_default() += 1;
        }
    }

    /// Adds another worker's records to these.
    pub fn merge(&mut self, other: Recorder) {
        self.latencies_us
            .add(&other.latencies_us)
            .expect("histograms of the same bounds add up");
        for (failure, count) in other.errors {
            *self.errors.entry(failure).or_default() += count;
        }
    }

    /// Throughput, latency percentiles and errors.
    pub fn summary(&self) -> Summary {
        let ms_at = |quantile: f64| self.latencies_us.value_at_quantile(quantile) as f64 / 1000.0;
        let requests = self.latencies_us.len();
        Summary {
            requests,
            requests_per_sec: requests as f64 / self.window.secs(),
            p50_ms: ms_at(0.50),
            p99_ms: ms_at(0.99),
            p999_ms: ms_at(0.999),
            errors: self.errors.values().sum(),
            error_kinds: self.errors.clone(),
        }
    }
}

/// What a scenario measured.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Successful requests inside the window.
    pub requests: u64,
    pub requests_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    /// Failed requests (non-200, GraphQL errors, transport), warm-up included.
    pub errors: u64,
    /// The errors by kind, such as `"HTTP 503"` or `"GraphQL TOO_MANY_ATTEMPTS"`.
    pub error_kinds: BTreeMap<Failure, u64>,
}
