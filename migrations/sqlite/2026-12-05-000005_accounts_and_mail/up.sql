-- Accounts and mail (see the MySQL migration for what each column holds).
ALTER TABLE users ADD COLUMN email TEXT NULL;
ALTER TABLE users ADD COLUMN email_key TEXT NULL;
ALTER TABLE users ADD COLUMN email_verified_at TEXT NULL;
CREATE UNIQUE INDEX users_email_key_unique ON users (email_key);
CREATE INDEX users_status_created ON users (status, created_at);

CREATE TABLE account_tokens (
    token_hash TEXT NOT NULL PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id TEXT NULL REFERENCES users (id) ON DELETE CASCADE,
    email TEXT NULL,
    role TEXT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT NULL
);
CREATE INDEX account_tokens_user_kind ON account_tokens (user_id, kind);
CREATE INDEX account_tokens_expires ON account_tokens (expires_at);

CREATE TABLE mail_outbox (
    id TEXT NOT NULL PRIMARY KEY,
    kind TEXT NOT NULL,
    recipient_key TEXT NOT NULL,
    sealed TEXT NOT NULL,
    created_at TEXT NOT NULL,
    due_at TEXT NULL,
    attempts INTEGER NOT NULL,
    claimed_by TEXT NULL,
    claimed_until TEXT NULL,
    sent_at TEXT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox (due_at);
CREATE INDEX mail_outbox_recipient ON mail_outbox (recipient_key, kind, created_at);
CREATE INDEX mail_outbox_created ON mail_outbox (created_at);
