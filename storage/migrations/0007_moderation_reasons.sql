-- Why a rule matched, as data rather than English words: a JSON list of
-- {"key": "burst", "values": {"count": 5, "seconds": 10.0, "limit": 4}}, where each key names
-- a text of the moderation catalogs, so every reader sees the reason in their own language.
-- Hits stored before keep their English words in `reason`, which are shown as they are.

ALTER TABLE moderation_hits ADD COLUMN reasons TEXT NOT NULL DEFAULT '[]'
