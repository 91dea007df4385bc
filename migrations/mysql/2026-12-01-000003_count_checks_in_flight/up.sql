-- Password checks under way per throttle key, so that only failures count
-- while no more checks than the limit allows can run at once: `checking`
-- holds how many are in flight, `checking_since` when the last one began
-- (a count older than any check can take is forgotten, should a server die
-- mid-check).
ALTER TABLE login_throttle
    ADD COLUMN checking INT NOT NULL DEFAULT 0,
    ADD COLUMN checking_since DATETIME(6) NULL;
