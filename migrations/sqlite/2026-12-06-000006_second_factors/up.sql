-- Second factors and assurance (see the MySQL migration for what each
-- column holds). SQLite cannot add a NOT NULL column without a default,
-- so authenticated_at defaults to the empty string and is then filled.
ALTER TABLE user_login_sessions ADD COLUMN aal INTEGER NOT NULL DEFAULT 1;
ALTER TABLE user_login_sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
ALTER TABLE user_login_sessions ADD COLUMN authenticated_at TEXT NOT NULL DEFAULT '';
UPDATE user_login_sessions SET authenticated_at = created_at WHERE authenticated_at = '';

ALTER TABLE users ADD COLUMN totp_secret TEXT NULL;
ALTER TABLE users ADD COLUMN totp_pending_secret TEXT NULL;
ALTER TABLE users ADD COLUMN totp_enabled_at TEXT NULL;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NULL;

CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    used_at TEXT NULL,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE mfa_challenges (
    token_hash TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    verified_hash TEXT NOT NULL,
    device_info TEXT NULL,
    delivery TEXT NOT NULL,
    failures INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT NULL
);
CREATE INDEX mfa_challenges_expires ON mfa_challenges (expires_at);
