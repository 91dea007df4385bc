-- Security events: see the MySQL migration for what each column holds and
-- why the timeline is ordered by (at, seq, id).
CREATE TABLE security_events (
    id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    seq BIGINT NOT NULL,
    ip_address TEXT NULL,
    device_name TEXT NULL,
    session_id TEXT NULL,
    end_reason TEXT NULL,
    detail TEXT NULL
);
CREATE INDEX security_events_timeline ON security_events (user_id, at, seq, id);
CREATE INDEX security_events_at ON security_events (at);
