-- The user directory's search and count, read through indexes rather than
-- scans (a scan of 100,000 users takes 20-40 ms here, over the admin
-- search's 20 ms target).
--
-- `user_search_terms` holds, for each user, every suffix of the folded name
-- (`user_name_key`) and of the lower-case address (`email_key`) that begins
-- a word: at the start, at each character that is not a letter or digit,
-- and right after one ("bob_smith" gives "bob_smith", "_smith" and
-- "smith"). A search for text finds the users with a term that begins with
-- it: one range of the primary key. authql writes the terms in the
-- transaction that writes the name or the address, and writes the missing
-- ones at start (this migration leaves the table empty: the rule needs the
-- program's Unicode tables). `created_at` is the user's, for the pages'
-- order. A user's terms go with the user (ON DELETE CASCADE).
CREATE TABLE user_search_terms (
    term VARBINARY(1024) NOT NULL,
    user_id VARCHAR(32) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (term, user_id),
    INDEX user_search_terms_user (user_id),
    CONSTRAINT user_search_terms_user_fk FOREIGN KEY (user_id) REFERENCES users (id)
        ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- How many users there are, in 64 shards (a user counts in the shard of its
-- id's first character), so the directory's `totalCount` of everyone is a
-- read of 64 rows, not a count of every user (InnoDB counts by scanning),
-- and two accounts made at once on two Galera nodes rarely touch the same
-- row. authql moves the counts in the transaction that adds or deletes a
-- user. No trigger: creating one on a server with binary logging can need
-- a privilege the service's account should not have. This migration
-- leaves every count at 0: the start after it finds that they do not add
-- up to the users there are, counts them, and writes every user's terms.
CREATE TABLE user_counts (
    shard INT NOT NULL PRIMARY KEY,
    users BIGINT NOT NULL
) ENGINE = InnoDB;

INSERT INTO user_counts (shard, users)
WITH RECURSIVE shards (shard) AS (SELECT 0 UNION ALL SELECT shard + 1 FROM shards WHERE shard < 63)
SELECT shard, 0 FROM shards;
