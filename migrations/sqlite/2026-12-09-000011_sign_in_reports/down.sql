ALTER TABLE account_tokens DROP COLUMN session_id;
ALTER TABLE users DROP COLUMN password_reset_required_at;
