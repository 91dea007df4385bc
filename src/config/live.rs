//! Live session events' settings: `SESSION_EVENTS_POLL_MS`,
//! `MAX_SOCKETS_PER_USER`, `WS_INIT_TIMEOUT_SECS`, `WS_MAX_MESSAGES_PER_SEC`.

use std::time::Duration;

/// The settings of live session events.
#[derive(Debug, Clone, Copy)]
pub struct LiveSettings {
    /// How often a replica reads what changed (`SESSION_EVENTS_POLL_MS`).
    pub poll_interval: Duration,
    /// Most sockets one user may hold open on one replica
    /// (`MAX_SOCKETS_PER_USER`); the next is closed with 4429.
    pub max_sockets_per_user: usize,
    /// How long a socket may wait before `connection_init`
    /// (`WS_INIT_TIMEOUT_SECS`); then it is closed with 4408.
    pub init_timeout: Duration,
    /// Most messages a client may send per second on one socket
    /// (`WS_MAX_MESSAGES_PER_SEC`); past it the socket is closed with 1008.
    pub max_messages_per_sec: u32,
}
