ALTER TABLE login_throttle DROP COLUMN checking_since;
ALTER TABLE login_throttle DROP COLUMN checking;
