-- A flagged or reported message that was forwarded (Discord's forwards) shows where the
-- original was: `forwarded_from` is NULL for a message written where it was posted, ''
-- for a forward from an unknown place or another server, else the original channel's id
-- (its name, as the bot saw it then, in `forwarded_from_name`).

ALTER TABLE moderation_flag_messages ADD COLUMN forwarded_from TEXT;
ALTER TABLE moderation_flag_messages ADD COLUMN forwarded_from_name TEXT NOT NULL DEFAULT ''
