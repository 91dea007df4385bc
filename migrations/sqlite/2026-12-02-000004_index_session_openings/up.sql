-- Live session events read the sessions opened or ended since a moment:
-- ended_at has its index; created_at gets one.
CREATE INDEX user_login_sessions_created ON user_login_sessions (created_at);
