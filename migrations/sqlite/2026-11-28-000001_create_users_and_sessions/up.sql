-- Timestamps are diesel's text form ("YYYY-MM-DD HH:MM:SS.ffffff", UTC), which
-- sorts and compares correctly as text.
CREATE TABLE users (
    id TEXT NOT NULL PRIMARY KEY,
    user_name TEXT NOT NULL,
    user_name_key TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT users_user_name_key_unique UNIQUE (user_name_key)
);

CREATE TABLE user_login_sessions (
    id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    device_info TEXT NULL,
    ip_address TEXT NULL,
    user_agent TEXT NULL,
    created_at TEXT NOT NULL,
    last_active_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ended_at TEXT NULL,
    end_reason TEXT NULL,
    refresh_secret TEXT NOT NULL,
    refresh_generation BIGINT NOT NULL,
    refreshed_at TEXT NULL
);

CREATE INDEX user_login_sessions_user_open ON user_login_sessions (user_id, ended_at, expires_at);
CREATE INDEX user_login_sessions_expires ON user_login_sessions (expires_at);
CREATE INDEX user_login_sessions_ended ON user_login_sessions (ended_at);
