-- Discord's AutoMod acting on a member's message, as the gateway reports it: one event per
-- action (a block, an alert, a timeout), so one message arrives as several events. A
-- blocked message never gets a message id, so its events are paired here: an event joins
-- the oldest recent execution of the same rule, member, channel and text that has not
-- seen its kind of action yet, else starts a new one. Each execution is one "message" on
-- a flag ('blocked:<id>'), so a block and its alert make one flag entry, and the same text
-- sent twice makes two. Only a hash of the text is kept here; the flag keeps the excerpt.
CREATE TABLE moderation_automod_executions (
    id INTEGER PRIMARY KEY,
    community TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    actions TEXT NOT NULL DEFAULT ',',
    alert_message_id TEXT,
    at TEXT NOT NULL
);

CREATE INDEX moderation_automod_executions_pairing
    ON moderation_automod_executions (community, rule_id, user_id, content_hash, at);

-- An alert names the message it posted: the same alert heard twice is found by it.
CREATE INDEX moderation_automod_executions_alert
    ON moderation_automod_executions (community, alert_message_id);
