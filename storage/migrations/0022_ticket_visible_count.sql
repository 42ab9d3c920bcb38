-- A member's /ticket list counts the tickets they may see: the public ones and their own
-- private ones. This index holds every column of that count, so it is read from the index
-- alone (about 1 ms at 10,000 open tickets) instead of visiting each ticket's row (16 ms).
CREATE INDEX tickets_visible ON tickets (community, active, private, opener_id);
