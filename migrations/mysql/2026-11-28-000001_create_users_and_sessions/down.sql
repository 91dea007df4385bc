DROP TABLE user_login_sessions;
DROP TABLE users;
