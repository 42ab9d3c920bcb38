-- Moderators' tools (issue 13): notes on members, appeals, credit for every moderator of a
-- quorum decision, quorum votes on pardons, and the audit log searchable by member.
--
-- `moderation_credits`: every moderator an infraction is credited to; a ban decided by a
-- quorum of three is credited to all three, and pardoning it takes as many votes
-- (`moderation_pardon_votes`).
-- `moderation_notes`: what moderators note about a member, shown on flags and /infractions.
-- `moderation_appeals`: one appeal per infraction (the UNIQUE constraint refuses a second
-- even from two processes at once); decided by votes in `moderation_appeal_votes`.
-- `audit_log.member_id`: whom an entry is about, so /audit can filter by member; older rows
-- about a member by subject are filled in here.

CREATE TABLE moderation_credits (
    infraction_id INTEGER NOT NULL REFERENCES moderation_infractions (id),
    moderator_id TEXT NOT NULL,
    PRIMARY KEY (infraction_id, moderator_id)
);

CREATE TABLE moderation_pardon_votes (
    infraction_id INTEGER NOT NULL REFERENCES moderation_infractions (id),
    moderator_id TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (infraction_id, moderator_id)
);

CREATE TABLE moderation_notes (
    id INTEGER PRIMARY KEY,
    community TEXT NOT NULL,
    member_id TEXT NOT NULL,
    member_name TEXT NOT NULL,
    author_id TEXT NOT NULL,
    text TEXT NOT NULL,
    at TEXT NOT NULL
);

CREATE INDEX moderation_notes_member ON moderation_notes (community, member_id, at);

CREATE TABLE moderation_appeals (
    id INTEGER PRIMARY KEY,
    community TEXT NOT NULL,
    infraction_id INTEGER NOT NULL REFERENCES moderation_infractions (id),
    member_id TEXT NOT NULL,
    member_name TEXT NOT NULL,
    member_locale TEXT,
    text TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    decided_by TEXT,
    decided_at TEXT,
    reason TEXT NOT NULL DEFAULT '',
    post_channel_id TEXT,
    post_message_id TEXT,
    at TEXT NOT NULL,
    UNIQUE (community, infraction_id)
);

CREATE INDEX moderation_appeals_post ON moderation_appeals (community, post_channel_id, post_message_id);

CREATE TABLE moderation_appeal_votes (
    appeal_id INTEGER NOT NULL REFERENCES moderation_appeals (id),
    decision TEXT NOT NULL,
    moderator_id TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (appeal_id, decision, moderator_id)
);

ALTER TABLE audit_log ADD COLUMN member_id TEXT NOT NULL DEFAULT '';

UPDATE audit_log SET member_id = SUBSTR(subject, 8) WHERE subject LIKE 'member:%';

CREATE INDEX audit_log_member ON audit_log (community, member_id, at);

CREATE INDEX audit_log_actor ON audit_log (community, actor_id, at);
