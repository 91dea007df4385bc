DROP INDEX user_login_sessions_user_created ON user_login_sessions;
DROP INDEX users_directory ON users;
DROP TABLE audit_log;
