-- The user directory's change log. Each replica keeps the directory that
-- `users(query:)` searches (every user's id, creation time, name key and
-- address key) in memory, because a search matches a substring, which no
-- index seeks to: a search among 100,000 users read them all, 22 to 75 ms
-- in SQL, where the copy answers in 1.4 to 4 ms. Before each search a
-- replica brings its copy up to date from this log.
--
-- Every transaction that adds a user, deletes one, or changes a name key or
-- an address key takes the next `version` of the user's shard (one of 16,
-- by the user's id) and writes one `directory_changes` row per user it
-- touched. The version is taken under the shard row's lock, so versions of
-- a shard commit in order: a replica that has read a shard's version has
-- every change up to it in the log. A version without a row (the log pruned
-- past it, or every shard moved on at once) tells a replica to read the
-- whole directory again. Sixteen shards keep concurrent sign-ups (and
-- Galera nodes) from all waiting on one row.
CREATE TABLE directory_shards (
    shard BIGINT NOT NULL PRIMARY KEY,
    version BIGINT NOT NULL
) ENGINE = InnoDB;
INSERT INTO directory_shards (shard, version) VALUES
    (0, 0), (1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (6, 0), (7, 0),
    (8, 0), (9, 0), (10, 0), (11, 0), (12, 0), (13, 0), (14, 0), (15, 0);

-- Kept a day (`at`); a replica that last searched before that reads the
-- whole directory again.
CREATE TABLE directory_changes (
    shard BIGINT NOT NULL,
    version BIGINT NOT NULL,
    user_id VARCHAR(32) NOT NULL,
    at DATETIME(6) NOT NULL,
    PRIMARY KEY (shard, version, user_id),
    INDEX directory_changes_at (at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
