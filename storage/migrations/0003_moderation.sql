-- Moderation: flags moderators settle, the messages and rule hits behind them, member
-- reports, quorum votes and the infractions record.
-- A flag collects one or more messages (a burst by one member is one flag); a message is in
-- at most one unsettled flag at a time, which storage/moderation.py enforces in one
-- transaction. Timestamps are ISO-8601 UTC text (storage.timestamps).

CREATE TABLE moderation_flags (
    id INTEGER PRIMARY KEY,
    community TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'message',
    author_id TEXT NOT NULL,
    author_name TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    outcome TEXT,
    acted_by TEXT,
    acted_at TEXT,
    reason TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    suggested TEXT,
    timeout_seconds INTEGER,
    details TEXT NOT NULL DEFAULT '{}',
    post_channel_id TEXT,
    post_message_id TEXT,
    created_at TEXT NOT NULL,
    last_activity_at TEXT NOT NULL
);

CREATE INDEX moderation_flags_author ON moderation_flags (community, author_id, status);

CREATE INDEX moderation_flags_status ON moderation_flags (community, status, created_at);

CREATE INDEX moderation_flags_post ON moderation_flags (community, post_channel_id, post_message_id);

CREATE TABLE moderation_flag_messages (
    id INTEGER PRIMARY KEY,
    community TEXT NOT NULL,
    flag_id INTEGER NOT NULL REFERENCES moderation_flags (id),
    channel_id TEXT NOT NULL,
    channel_name TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL,
    excerpt TEXT NOT NULL DEFAULT '',
    permalink TEXT NOT NULL DEFAULT '',
    posted_at TEXT NOT NULL,
    deleted_at TEXT,
    UNIQUE (flag_id, channel_id, message_id)
);

CREATE INDEX moderation_flag_messages_message
    ON moderation_flag_messages (community, channel_id, message_id);

CREATE TABLE moderation_hits (
    id INTEGER PRIMARY KEY,
    community TEXT NOT NULL,
    flag_id INTEGER REFERENCES moderation_flags (id),
    channel_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    action TEXT NOT NULL,
    matched TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL,
    UNIQUE (community, channel_id, message_id, rule)
);

CREATE INDEX moderation_hits_flag ON moderation_hits (flag_id);

CREATE TABLE moderation_reports (
    id INTEGER PRIMARY KEY,
    community TEXT NOT NULL,
    flag_id INTEGER NOT NULL REFERENCES moderation_flags (id),
    channel_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    reporter_id TEXT NOT NULL,
    reporter_name TEXT NOT NULL,
    reporter_locale TEXT,
    reason TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL,
    notified_at TEXT,
    UNIQUE (community, channel_id, message_id, reporter_id)
);

CREATE INDEX moderation_reports_reporter ON moderation_reports (community, reporter_id, at);

CREATE INDEX moderation_reports_flag ON moderation_reports (flag_id);

CREATE TABLE moderation_votes (
    id INTEGER PRIMARY KEY,
    community TEXT NOT NULL,
    flag_id INTEGER NOT NULL REFERENCES moderation_flags (id),
    action TEXT NOT NULL,
    moderator_id TEXT NOT NULL,
    at TEXT NOT NULL,
    UNIQUE (flag_id, action, moderator_id)
);

CREATE TABLE moderation_infractions (
    id INTEGER PRIMARY KEY,
    community TEXT NOT NULL,
    member_id TEXT NOT NULL,
    member_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    moderator_id TEXT NOT NULL,
    flag_id INTEGER REFERENCES moderation_flags (id),
    at TEXT NOT NULL,
    expires_at TEXT,
    status TEXT NOT NULL DEFAULT 'active'
);

CREATE INDEX moderation_infractions_member ON moderation_infractions (community, member_id, at)
