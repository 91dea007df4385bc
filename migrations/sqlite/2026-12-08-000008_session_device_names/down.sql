ALTER TABLE user_login_sessions DROP COLUMN device_name;
