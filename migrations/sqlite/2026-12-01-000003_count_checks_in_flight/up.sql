-- Password checks under way per throttle key (see the MySQL migration).
ALTER TABLE login_throttle ADD COLUMN checking INTEGER NOT NULL DEFAULT 0;
ALTER TABLE login_throttle ADD COLUMN checking_since TEXT NULL;
