-- Reported sign-ins (the contract's "Devices and security history"):
-- `password_reset_required_at` is when a user reported a sign-in as not
-- theirs; while it is set, the right password answers
-- PASSWORD_RESET_REQUIRED, and a password reset clears it. A new-device
-- alert's report token names the session it is about (`session_id`; no
-- foreign key: the session may be pruned before the link is followed).
ALTER TABLE users ADD COLUMN password_reset_required_at DATETIME(6) NULL;
ALTER TABLE account_tokens ADD COLUMN session_id VARCHAR(32) NULL;
