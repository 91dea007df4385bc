-- Second factors and assurance.
--
-- Every session says how it was authenticated: `amr` (RFC 8176 names,
-- comma-separated, a set), `aal` (2 when `amr` holds `mfa`) and when a
-- credential was last proved in it. Sessions opened before this migration
-- were opened by a password at their creation.
ALTER TABLE user_login_sessions
    ADD COLUMN aal INT NOT NULL DEFAULT 1,
    ADD COLUMN amr VARCHAR(64) NOT NULL DEFAULT 'pwd',
    ADD COLUMN authenticated_at DATETIME(6) NULL;
UPDATE user_login_sessions SET authenticated_at = created_at WHERE authenticated_at IS NULL;
ALTER TABLE user_login_sessions MODIFY authenticated_at DATETIME(6) NOT NULL;

-- TOTP: the secret sealed with a key derived from JWT_SECRET (NULL while
-- TOTP is off), a secret enrolled but not yet confirmed, when TOTP was
-- turned on, and the last time step accepted (codes at or before it are
-- refused, on every replica).
ALTER TABLE users
    ADD COLUMN totp_secret TEXT NULL,
    ADD COLUMN totp_pending_secret TEXT NULL,
    ADD COLUMN totp_enabled_at DATETIME(6) NULL,
    ADD COLUMN totp_last_step BIGINT NULL;

-- Recovery codes, kept only as their SHA-256; each is used once.
CREATE TABLE recovery_codes (
    user_id VARCHAR(32) NOT NULL,
    code_hash VARCHAR(64) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    used_at DATETIME(6) NULL,
    PRIMARY KEY (user_id, code_hash),
    CONSTRAINT recovery_codes_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The second step of a login that answered MFA_REQUIRED: the mfaToken's
-- SHA-256, the password hash the first step verified (the session opens
-- only while it is still the stored one), the login's device label and
-- refresh-token delivery, and the wrong codes given so far.
CREATE TABLE mfa_challenges (
    token_hash VARCHAR(64) NOT NULL PRIMARY KEY,
    user_id VARCHAR(32) NOT NULL,
    verified_hash VARCHAR(255) NOT NULL,
    device_info VARCHAR(255) NULL,
    delivery VARCHAR(16) NOT NULL,
    failures INT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    used_at DATETIME(6) NULL,
    CONSTRAINT mfa_challenges_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    INDEX mfa_challenges_expires (expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
