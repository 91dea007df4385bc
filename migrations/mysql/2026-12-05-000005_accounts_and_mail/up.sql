-- Accounts: an address per user (unique in lower case: `email_key` is the
-- program's lower-case form, VARBINARY so that no collation pads or folds
-- it), when it was proved, and the one-use tokens that mails carry.
ALTER TABLE users
    ADD COLUMN email VARCHAR(254) NULL,
    ADD COLUMN email_key VARBINARY(1020) NULL,
    ADD COLUMN email_verified_at DATETIME(6) NULL,
    ADD CONSTRAINT users_email_key_unique UNIQUE (email_key);

-- Unverified accounts are pruned by age.
CREATE INDEX users_status_created ON users (status, created_at);

-- One-use tokens of mails (verification, reset, invitation, report). Only
-- the token's SHA-256 is kept: a reader of the table cannot use it.
CREATE TABLE account_tokens (
    token_hash VARCHAR(64) NOT NULL PRIMARY KEY,
    kind VARCHAR(32) NOT NULL,
    user_id VARCHAR(32) NULL,
    email VARCHAR(254) NULL,
    role VARCHAR(64) NULL,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    used_at DATETIME(6) NULL,
    CONSTRAINT account_tokens_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    INDEX account_tokens_user_kind (user_id, kind),
    INDEX account_tokens_expires (expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Mails waiting to be sent, sent, or given up. `sealed` is the whole mail
-- (recipient, subject, bodies) encrypted with a key derived from
-- JWT_SECRET, and emptied once sent. `recipient_key` is a keyed hash of the
-- lower-case recipient, for the per-address limits. `due_at` is when the
-- next attempt may start (NULL once sent or given up); a sender claims a
-- mail by setting `claimed_by`/`claimed_until` with a compare-and-set.
CREATE TABLE mail_outbox (
    id VARCHAR(32) NOT NULL PRIMARY KEY,
    kind VARCHAR(32) NOT NULL,
    recipient_key VARCHAR(64) NOT NULL,
    sealed TEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    due_at DATETIME(6) NULL,
    attempts INT NOT NULL,
    claimed_by VARCHAR(32) NULL,
    claimed_until DATETIME(6) NULL,
    sent_at DATETIME(6) NULL,
    INDEX mail_outbox_due (due_at),
    INDEX mail_outbox_recipient (recipient_key, kind, created_at),
    INDEX mail_outbox_created (created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
