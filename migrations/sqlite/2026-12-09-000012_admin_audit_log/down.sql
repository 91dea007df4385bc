DROP INDEX user_login_sessions_user_created;
DROP INDEX users_directory;
DROP TABLE audit_log;
