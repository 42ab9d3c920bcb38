-- Sign-in to the insights pages (bot/signin.py, storage/web_signin.py) and the indexes
-- their figures read (storage/insights.py).

-- The key that signs sign-in links and session cookies when WEB_SECRET is not set: made
-- once and kept here, so links and sessions survive a restart and every process of one
-- bot agrees on it.
CREATE TABLE web_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Each sign-in link opens once: its id is recorded when used. Kept until the link would
-- have expired anyway, then purged.
CREATE TABLE web_used_links (
    id TEXT PRIMARY KEY,
    community TEXT NOT NULL,
    member_id TEXT NOT NULL,
    used_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE INDEX web_used_links_expiry ON web_used_links (expires_at);

-- The insights pages read a year of a community's tickets by when they were opened (with
-- the first response) and by when they were resolved (with the outcome): these indexes
-- hold those columns, so counts and medians never visit the table rows.
CREATE INDEX tickets_insights_opened ON tickets (community, opened_at, first_response_at);

CREATE INDEX tickets_insights_resolved ON tickets (community, resolved_at, opened_at, outcome, status);
