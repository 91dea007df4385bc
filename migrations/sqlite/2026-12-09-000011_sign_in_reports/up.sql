-- Reported sign-ins: see the MySQL migration for what each column holds.
ALTER TABLE users ADD COLUMN password_reset_required_at TEXT NULL;
ALTER TABLE account_tokens ADD COLUMN session_id TEXT NULL;
