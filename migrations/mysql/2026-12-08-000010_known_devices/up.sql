-- Devices known for a user: one row per (user, device) that had a
-- successful sign-in, the device named by the SHA-256 (hex) of its
-- `authql_device` cookie (a random 256-bit value the browser keeps; only its
-- hash is stored, so a copy of the database cannot make a known device).
-- A known device is exempt from the per-name login lockout (it is judged by
-- its own failures instead). Rows not seen within the retention are pruned.
CREATE TABLE known_devices (
    user_id VARCHAR(32) NOT NULL,
    device_hash VARCHAR(64) NOT NULL,
    first_seen_at DATETIME(6) NOT NULL,
    last_seen_at DATETIME(6) NOT NULL,
    PRIMARY KEY (user_id, device_hash),
    CONSTRAINT known_devices_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    INDEX known_devices_last_seen (last_seen_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
