-- Less noise for the people on call (issue 15) and flags in the language of their channel
-- (issue 17).
--
-- `moderation_watch_notices`: the ambassadors' notice about one member and one watch-word
-- rule (`topic`). A repeat within the window counts on the same notice (`count`, the
-- latest message) and edits it; after the window, or once someone deleted the notice, the
-- next repeat starts a new `round`, which the outbox keys carry so a re-run adds nothing.
-- `post_message_id` is filled in when the platform accepted the post; `shown` is the count
-- the notice on the platform shows (-1: its post was refused), so a repeat that came while
-- the post was still on its way is edited in once the post is there.
-- `moderation_flags.language`: the language of the flagged message's channel ('' where the
-- community has no channel languages), for `/flags open language:` and per-language desks.

CREATE TABLE moderation_watch_notices (
    id INTEGER PRIMARY KEY,
    community TEXT NOT NULL,
    member_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    round INTEGER NOT NULL,
    count INTEGER NOT NULL,
    shown INTEGER NOT NULL DEFAULT 0,
    opened_at TEXT NOT NULL,
    last_at TEXT NOT NULL,
    author_name TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    channel_name TEXT NOT NULL,
    excerpt TEXT NOT NULL,
    permalink TEXT NOT NULL,
    post_channel_id TEXT,
    post_message_id TEXT,
    UNIQUE (community, member_id, topic)
);

CREATE INDEX moderation_watch_notices_last_at ON moderation_watch_notices (last_at);

ALTER TABLE moderation_flags ADD COLUMN language TEXT NOT NULL DEFAULT '';

CREATE INDEX moderation_flags_language ON moderation_flags (community, status, language);
