-- Failed-login counters: one row per user name key or client address.
CREATE TABLE login_throttle (
    throttle_key TEXT NOT NULL PRIMARY KEY,
    failure_count INTEGER NOT NULL,
    window_started_at TEXT NOT NULL
);

CREATE INDEX login_throttle_window ON login_throttle (window_started_at);
