-- Failed-login counters shared by every replica: one row per user name key
-- ("name:<lower-case name>") or client address ("ip:<address>"), counting
-- attempts in a fixed window that starts at the first one.
CREATE TABLE login_throttle (
    throttle_key VARBINARY(1100) NOT NULL PRIMARY KEY,
    failure_count INT NOT NULL,
    window_started_at DATETIME(6) NOT NULL,
    INDEX login_throttle_window (window_started_at)
) ENGINE = InnoDB;
