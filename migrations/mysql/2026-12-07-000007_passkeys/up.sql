-- Passkeys (WebAuthn).
--
-- A user's passkeys: the credential as the WebAuthn library keeps it (its
-- id, public key and flags, as JSON: nothing secret), found by the SHA-256
-- of its credential id (unique: one credential belongs to one account), the
-- signature counter (authoritative: raised only by a compare-and-set, so a
-- counter that goes backwards is refused on every replica), whether the
-- authenticator says it is backed up, and when a counter going backwards
-- was last refused (a cloned authenticator).
CREATE TABLE passkeys (
    id VARCHAR(32) NOT NULL PRIMARY KEY,
    user_id VARCHAR(32) NOT NULL,
    credential_key VARCHAR(64) NOT NULL,
    credential TEXT NOT NULL,
    label VARCHAR(255) NOT NULL,
    sign_count BIGINT NOT NULL,
    backed_up BOOLEAN NOT NULL,
    created_at DATETIME(6) NOT NULL,
    last_used_at DATETIME(6) NULL,
    counter_refused_at DATETIME(6) NULL,
    CONSTRAINT passkeys_credential_key UNIQUE (credential_key),
    CONSTRAINT passkeys_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    INDEX passkeys_user (user_id, created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Ceremonies finished (or tried): a ceremony's state travels sealed in its
-- challengeId, so starting one writes nothing; finishing one records the
-- SHA-256 of its challengeId here first, so it is used once on any replica.
-- Kept until the ceremony would have expired anyway.
CREATE TABLE passkey_ceremonies_used (
    ceremony_hash VARCHAR(64) NOT NULL PRIMARY KEY,
    expires_at DATETIME(6) NOT NULL,
    INDEX passkey_ceremonies_used_expires (expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
