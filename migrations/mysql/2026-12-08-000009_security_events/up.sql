-- Security events: what happened to an account (sign-ins, failures,
-- session ends, credential, address and factor changes, refresh-token
-- reuse), for `mySecurityEvents`, kept SECURITY_EVENT_RETENTION_DAYS.
--
-- A user's timeline is ordered by (at, seq, id), newest first: `at` is the
-- service's clock, `seq` a number the writing process raises for every
-- event (so events of the same instant keep the order they happened in),
-- and `id` (random) breaks the last ties. No AUTO_INCREMENT: on Galera each
-- node hands out its own interleaved series (auto_increment_increment), so
-- such an id does not follow time across nodes.
CREATE TABLE security_events (
    id VARCHAR(32) NOT NULL PRIMARY KEY,
    user_id VARCHAR(32) NOT NULL,
    kind VARCHAR(32) NOT NULL,
    at DATETIME(6) NOT NULL,
    seq BIGINT NOT NULL,
    ip_address VARCHAR(64) NULL,
    device_name VARCHAR(255) NULL,
    session_id VARCHAR(32) NULL,
    end_reason VARCHAR(32) NULL,
    detail VARCHAR(255) NULL,
    CONSTRAINT security_events_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    INDEX security_events_timeline (user_id, at, seq, id),
    INDEX security_events_at (at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
