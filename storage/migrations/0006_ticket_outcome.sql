-- How a resolved ticket ended: 'done' (what the digest's "you asked, we did" reports),
-- 'declined' (it will not be done; the public resolution says why) or 'duplicate' (it is
-- asked for elsewhere). NULL while a ticket is not resolved. A new column rather than a
-- change to 0004, which existing databases have applied; tickets resolved before it were
-- all done.
ALTER TABLE tickets ADD COLUMN outcome TEXT;

UPDATE tickets SET outcome = 'done' WHERE status = 'resolved';

-- On a history row: the outcome the ticket was resolved with (to_status 'resolved'), or the
-- one a reopen left behind (from_status 'resolved'); NULL on every other row.
ALTER TABLE ticket_history ADD COLUMN outcome TEXT;

UPDATE ticket_history SET outcome = 'done' WHERE to_status = 'resolved' OR from_status = 'resolved';
