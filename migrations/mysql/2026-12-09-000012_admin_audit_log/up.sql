-- The admin API: what admins did (the audit log), and indexes for the user
-- directory.
--
-- `audit_log` holds one row per admin mutation, written in the transaction
-- of the change it records: who (`actor_id`), what (`action`, the mutation's
-- name, and `detail`, never a secret), to whom (`target_user_id`, NULL for
-- an invitation) and from where (`ip_address`). Ordered newest first by
-- (`at`, `seq`, `id`) as security events are (see that migration: no
-- AUTO_INCREMENT on Galera). No foreign keys: an audit trail outlives the
-- rows it names (an unverified account is pruned), and nothing may change
-- an entry once written. Kept SECURITY_EVENT_RETENTION_DAYS.
CREATE TABLE audit_log (
    id VARCHAR(32) NOT NULL PRIMARY KEY,
    at DATETIME(6) NOT NULL,
    seq BIGINT NOT NULL,
    actor_id VARCHAR(32) NOT NULL,
    action VARCHAR(64) NOT NULL,
    target_user_id VARCHAR(32) NULL,
    detail VARCHAR(255) NULL,
    ip_address VARCHAR(64) NULL,
    INDEX audit_log_order (at, seq, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- `users(query:)` matches a substring of the name or the address, which no
-- B-tree can seek to; this index holds every column the search reads, in
-- the order of its pages (oldest first), so a search scans this narrow
-- index instead of the table's rows (whose password hashes and sealed TOTP
-- secrets make them wide), and a page without a query reads only its rows.
CREATE INDEX users_directory ON users (created_at, id, user_name_key, email_key);

-- `lastSignInAt`: the latest session a user opened.
CREATE INDEX user_login_sessions_user_created ON user_login_sessions (user_id, created_at);
