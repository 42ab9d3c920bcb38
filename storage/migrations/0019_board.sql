-- The public web board (bot/app/web, storage/board.py).

-- A community's feed lists the newest public steps of all its tickets, newest first;
-- without this index that is a sort of the whole history.
CREATE INDEX ticket_history_community ON ticket_history (community, id);

-- The board lists public tickets only (private = 0, see storage/ticket_queue.PUBLIC_SQL).
-- Partial indexes on just those rows answer its first page and its count from the index,
-- by votes or by age, for open tickets and for all of them, at any number of tickets.
CREATE INDEX tickets_public_votes ON tickets (community, active, vote_count DESC, opened_at, number) WHERE private = 0;

CREATE INDEX tickets_public_age ON tickets (community, active, opened_at, number) WHERE private = 0;

CREATE INDEX tickets_public_all_votes ON tickets (community, vote_count DESC, opened_at, number) WHERE private = 0;

CREATE INDEX tickets_public_all_age ON tickets (community, opened_at, number) WHERE private = 0;
