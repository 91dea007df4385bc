-- Every session keeps the device name it was opened with (see the MySQL
-- migration). SQLite cannot add a NOT NULL column without a default, so
-- the column defaults to 'Unknown device' and then takes the deviceInfo
-- of the sessions that have one.
ALTER TABLE user_login_sessions ADD COLUMN device_name TEXT NOT NULL DEFAULT 'Unknown device';
UPDATE user_login_sessions SET device_name = TRIM(device_info) WHERE TRIM(device_info) <> '';
