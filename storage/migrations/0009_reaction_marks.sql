-- Reactions the bot has acted on, on the messages it watches (flags, ticket trackers).
-- A reaction is marked when it is handled, live or while catching up after a reconnect, and
-- unmarked when it is taken off; what is on a message but not marked was missed while the
-- bot was away, what is marked but gone was taken off while it was away. `done` is 0 while
-- the reaction is being handled: a crash meanwhile leaves it 0, and the next start forgets
-- such marks so the reaction is handled again (the handlers are idempotent per state).

CREATE TABLE reaction_marks (
    community TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    emoji TEXT NOT NULL,
    user_id TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (community, channel_id, message_id, emoji, user_id)
);
