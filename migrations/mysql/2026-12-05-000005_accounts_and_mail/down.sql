DROP TABLE mail_outbox;
DROP TABLE account_tokens;
DROP INDEX users_status_created ON users;
ALTER TABLE users
    DROP INDEX users_email_key_unique,
    DROP COLUMN email_verified_at,
    DROP COLUMN email_key,
    DROP COLUMN email;
