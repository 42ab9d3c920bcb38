-- Members' requests to see or erase their data (/privacy export, /privacy erase), which
-- reach the admins as a notice they confirm (docs/privacy.md).
--   kind     'export' or 'erase'
--   status   'pending' until an admin confirms ('confirmed'); an erasure is 'done' once
--            carried out
--   notice   the admins' notice (channel, message) once the platform accepted it; NULL
--            while it waits in the outbox

CREATE TABLE privacy_requests (
    id INTEGER PRIMARY KEY,
    community TEXT NOT NULL,
    member_id TEXT NOT NULL,
    member_name TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    requested_at TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT,
    notice_channel_id TEXT,
    notice_message_id TEXT
);

CREATE INDEX privacy_requests_member ON privacy_requests (community, member_id, status)
