-- The admin API's audit log and the user directory's indexes: see the
-- MySQL migration for what each holds and why.
CREATE TABLE audit_log (
    id TEXT NOT NULL PRIMARY KEY,
    at TEXT NOT NULL,
    seq BIGINT NOT NULL,
    actor_id TEXT NOT NULL,
    action TEXT NOT NULL,
    target_user_id TEXT NULL,
    detail TEXT NULL,
    ip_address TEXT NULL
);
CREATE INDEX audit_log_order ON audit_log (at, seq, id);
CREATE INDEX users_directory ON users (created_at, id, user_name_key, email_key);
CREATE INDEX user_login_sessions_user_created ON user_login_sessions (user_id, created_at);
