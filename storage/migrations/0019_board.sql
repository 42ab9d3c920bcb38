-- The public web board (bot/app/web): a community's feed lists the newest public steps of
-- all its tickets, newest first; without this index that is a sort of the whole history.
CREATE INDEX ticket_history_community ON ticket_history (community, id);
