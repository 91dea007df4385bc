-- The user directory's search terms and user counts: see the MySQL
-- migration for what each holds and why. WITHOUT ROWID: the rows are kept
-- in the primary key's order, as InnoDB keeps them, so a range of terms
-- reads each term's user and creation time without a second lookup.
CREATE TABLE user_search_terms (
    term TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (term, user_id)
) WITHOUT ROWID;
CREATE INDEX user_search_terms_user ON user_search_terms (user_id);

CREATE TABLE user_counts (
    shard INTEGER NOT NULL PRIMARY KEY,
    users BIGINT NOT NULL
);

INSERT INTO user_counts (shard, users)
WITH RECURSIVE shards (shard) AS (SELECT 0 UNION ALL SELECT shard + 1 FROM shards WHERE shard < 63)
SELECT shard, 0 FROM shards;
