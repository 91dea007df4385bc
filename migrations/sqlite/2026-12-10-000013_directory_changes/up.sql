-- The user directory's change log: see the MySQL migration for what it
-- holds and why.
CREATE TABLE directory_shards (
    shard BIGINT NOT NULL PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO directory_shards (shard, version) VALUES
    (0, 0), (1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (6, 0), (7, 0),
    (8, 0), (9, 0), (10, 0), (11, 0), (12, 0), (13, 0), (14, 0), (15, 0);
CREATE TABLE directory_changes (
    shard BIGINT NOT NULL,
    version BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (shard, version, user_id)
);
CREATE INDEX directory_changes_at ON directory_changes (at);
