DROP TABLE mfa_challenges;
DROP TABLE recovery_codes;
ALTER TABLE users DROP COLUMN totp_secret;
ALTER TABLE users DROP COLUMN totp_pending_secret;
ALTER TABLE users DROP COLUMN totp_enabled_at;
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE user_login_sessions DROP COLUMN aal;
ALTER TABLE user_login_sessions DROP COLUMN amr;
ALTER TABLE user_login_sessions DROP COLUMN authenticated_at;
