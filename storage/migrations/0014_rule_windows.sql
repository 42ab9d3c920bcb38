-- The moderation rules' time windows (bursts, repeated messages, mention spam), kept in the
-- database when several processes hear one community's messages (storage/rule_windows.py).
--
-- `rule_window_authors`: one row per author with recent posts. Recording a post updates
-- it first, and the row lock is held until commit, so one author's posts are numbered
-- and judged one at a time in every process: each post sees every post before it.
-- `rule_window_posts`: what the rules need of each recent post, never its text. A message
-- is recorded once (`message_id`), so a check run again after a lost race counts it once.
-- Rows older than the longest window (one hour) go as the author posts again and by a sweep.

CREATE TABLE rule_window_authors (
    community TEXT NOT NULL,
    author TEXT NOT NULL,
    last_at TEXT NOT NULL,
    PRIMARY KEY (community, author)
);

CREATE INDEX rule_window_authors_last_at ON rule_window_authors (last_at);

CREATE TABLE rule_window_posts (
    id INTEGER PRIMARY KEY,
    community TEXT NOT NULL,
    author TEXT NOT NULL,
    at TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    message_id TEXT,
    fingerprint BIGINT NOT NULL,
    length INTEGER NOT NULL,
    mentions INTEGER NOT NULL
);

CREATE INDEX rule_window_posts_author ON rule_window_posts (community, author, id);

CREATE UNIQUE INDEX rule_window_posts_message
    ON rule_window_posts (community, channel_id, message_id);

CREATE INDEX rule_window_posts_at ON rule_window_posts (at);
