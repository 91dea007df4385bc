-- Every session keeps the device name it was opened with
-- (`Session.deviceName`): the client's deviceInfo, else a name read from its
-- User-Agent and client hints ("Firefox on Linux"), else 'Unknown device'.
-- It is set once, when the session opens. Sessions opened before this
-- migration are named by their deviceInfo alone.
ALTER TABLE user_login_sessions ADD COLUMN device_name VARCHAR(255) NULL;
UPDATE user_login_sessions
    SET device_name = COALESCE(NULLIF(TRIM(device_info), ''), 'Unknown device');
ALTER TABLE user_login_sessions MODIFY device_name VARCHAR(255) NOT NULL;
