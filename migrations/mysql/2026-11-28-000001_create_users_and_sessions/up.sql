-- Binary collation throughout: ids are case-sensitive base64url, and user name
-- folding is done by the program (Unicode lower case), not by the collation.
-- The lookup key is VARBINARY because every *_bin collation of MariaDB pads
-- with spaces ("a" = "a "), and trailing spaces must count.
CREATE TABLE users (
    id VARCHAR(32) NOT NULL PRIMARY KEY,
    user_name VARCHAR(64) NOT NULL,
    user_name_key VARBINARY(1024) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    role VARCHAR(64) NOT NULL,
    status VARCHAR(16) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    CONSTRAINT users_user_name_key_unique UNIQUE (user_name_key)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE user_login_sessions (
    id VARCHAR(32) NOT NULL PRIMARY KEY,
    user_id VARCHAR(32) NOT NULL,
    device_info VARCHAR(255) NULL,
    ip_address VARCHAR(45) NULL,
    user_agent VARCHAR(512) NULL,
    created_at DATETIME(6) NOT NULL,
    last_active_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    ended_at DATETIME(6) NULL,
    end_reason VARCHAR(32) NULL,
    refresh_secret VARCHAR(64) NOT NULL,
    refresh_generation BIGINT NOT NULL,
    refreshed_at DATETIME(6) NULL,
    CONSTRAINT user_login_sessions_user_fk FOREIGN KEY (user_id) REFERENCES users (id),
    INDEX user_login_sessions_user_open (user_id, ended_at, expires_at),
    INDEX user_login_sessions_expires (expires_at),
    INDEX user_login_sessions_ended (ended_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
