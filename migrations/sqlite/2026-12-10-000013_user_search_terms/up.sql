-- The user directory's search terms and user counts: see the MySQL
-- migration for what each holds and why.
CREATE TABLE user_search_terms (
    term TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (term, user_id)
);
CREATE INDEX user_search_terms_user ON user_search_terms (user_id);

CREATE TABLE user_counts (
    shard INTEGER NOT NULL PRIMARY KEY,
    users BIGINT NOT NULL
);

INSERT INTO user_counts (shard, users)
WITH RECURSIVE shards (shard) AS (SELECT 0 UNION ALL SELECT shard + 1 FROM shards WHERE shard < 63)
SELECT shard, 0 FROM shards;

UPDATE user_counts SET users = (
    SELECT COUNT(*) FROM users WHERE unicode(substr(users.id, 1, 1)) % 64 = user_counts.shard
);
