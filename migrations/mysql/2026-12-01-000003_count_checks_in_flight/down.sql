ALTER TABLE login_throttle DROP COLUMN checking_since, DROP COLUMN checking;
