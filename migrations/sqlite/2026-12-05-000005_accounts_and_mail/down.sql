DROP TABLE mail_outbox;
DROP TABLE account_tokens;
DROP INDEX users_status_created;
DROP INDEX users_email_key_unique;
ALTER TABLE users DROP COLUMN email_verified_at;
ALTER TABLE users DROP COLUMN email_key;
ALTER TABLE users DROP COLUMN email;
