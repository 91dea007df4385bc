-- Passkeys (WebAuthn): see the MySQL migration for what each column holds.
CREATE TABLE passkeys (
    id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_key TEXT NOT NULL UNIQUE,
    credential TEXT NOT NULL,
    label TEXT NOT NULL,
    sign_count BIGINT NOT NULL,
    backed_up BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT NULL,
    counter_refused_at TEXT NULL
);
CREATE INDEX passkeys_user ON passkeys (user_id, created_at);

CREATE TABLE passkey_ceremonies_used (
    ceremony_hash TEXT NOT NULL PRIMARY KEY,
    expires_at TEXT NOT NULL
);
CREATE INDEX passkey_ceremonies_used_expires ON passkey_ceremonies_used (expires_at);
