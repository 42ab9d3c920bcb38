-- Two figures of the insights pages (storage/insights.py) that need data nothing kept.

-- The due time of the promise a step made (`/ticket update N ... next:2d`): whether the
-- promise was kept is read from the history after it. NULL for every other step and for
-- promises made before this column existed (those are not counted).
ALTER TABLE ticket_history ADD COLUMN promise_due TEXT;

CREATE INDEX ticket_history_promise ON ticket_history (community, promise_due);

-- When a newcomer first posted after their latest join (set once; a rejoin clears it).
ALTER TABLE welcome_members ADD COLUMN first_post_at TEXT;
