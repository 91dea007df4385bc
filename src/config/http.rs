//! The HTTP server's limits: `HTTP_HEADER_TIMEOUT_SECS`,
//! `HTTP_IDLE_TIMEOUT_SECS`, `HTTP_BODY_TIMEOUT_SECS`,
//! `HTTP_REQUEST_TIMEOUT_SECS`, `HTTP_MAX_CONNECTIONS`.

use std::time::Duration;

/// How long clients may take, and how many may be connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpLimits {
    /// A whole request head, from its first byte (from the accept for a
    /// connection's first request).
    pub header_timeout: Duration,
    /// A keep-alive connection between a response and the next request.
    pub idle_timeout: Duration,
    /// The whole request body, from the end of the head.
    pub body_timeout: Duration,
    /// A whole request, head to answer; past it the answer is 503.
    pub request_timeout: Duration,
    /// Open client connections at most; more wait to be accepted.
    pub max_connections: usize,
}
