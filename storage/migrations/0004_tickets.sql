-- Ambassador tickets: the tickets, their per-community numbering, history, votes, watchers
-- and the weekly digests already posted. Timestamps are ISO-8601 UTC text (storage.timestamps).

-- One row per community; incremented in the same transaction as the ticket insert, so a
-- number is never handed out twice and never reused, even after a ticket is deleted.
CREATE TABLE ticket_counters (
    community TEXT PRIMARY KEY,
    last_number INTEGER NOT NULL
);

CREATE TABLE tickets (
    community TEXT NOT NULL,
    number INTEGER NOT NULL,
    title TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    -- 1 while open, claimed or waiting on company: the queue's indexes lead with it.
    active INTEGER NOT NULL,
    opener_id TEXT NOT NULL,
    opener_name TEXT NOT NULL,
    opener_locale TEXT,
    owner_id TEXT,
    owner_name TEXT,
    opened_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    claimed_at TEXT,
    first_response_at TEXT,
    first_response_escalated_at TEXT,
    last_public_update_at TEXT,
    last_public_note TEXT NOT NULL DEFAULT '',
    next_update_due TEXT,
    promise_seq INTEGER NOT NULL DEFAULT 0,
    reminded_seq INTEGER NOT NULL DEFAULT 0,
    follow_up_seq INTEGER NOT NULL DEFAULT 0,
    last_follow_up_at TEXT,
    resolved_at TEXT,
    resolved_by TEXT,
    resolution TEXT NOT NULL DEFAULT '',
    closed_at TEXT,
    merged_into INTEGER,
    vote_count INTEGER NOT NULL DEFAULT 0,
    channel_id TEXT,
    tracker_message_id TEXT,
    thread_id TEXT,
    tracker_url TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (community, number)
);

-- /ticket list: first page by votes (most first, then oldest) or by age, for the open
-- queue or one status; the column order matches the ORDER BY so no sort step is needed.
CREATE INDEX tickets_queue_votes ON tickets (community, active, vote_count DESC, opened_at, number);

CREATE INDEX tickets_queue_age ON tickets (community, active, opened_at, number);

CREATE INDEX tickets_status_votes ON tickets (community, status, vote_count DESC, opened_at, number);

CREATE INDEX tickets_status_age ON tickets (community, status, opened_at, number);

-- ... and for every status at once ("all").
CREATE INDEX tickets_all_votes ON tickets (community, vote_count DESC, opened_at, number);

CREATE INDEX tickets_all_age ON tickets (community, opened_at, number);

-- "mine", the per-member limit and cooldown; "owner"; "category".
CREATE INDEX tickets_opener ON tickets (community, opener_id, active);

CREATE INDEX tickets_owner ON tickets (community, owner_id, active);

CREATE INDEX tickets_category ON tickets (community, category, active);

-- Reactions on the tracker and commands inside the thread find their ticket.
CREATE INDEX tickets_tracker ON tickets (community, tracker_message_id);

CREATE INDEX tickets_thread ON tickets (community, thread_id);

-- The queue across communities ("everywhere") and start-up reconciliation of jobs.
CREATE INDEX tickets_everywhere_votes ON tickets (active, vote_count DESC, opened_at, number);

CREATE INDEX tickets_everywhere_age ON tickets (active, opened_at, number);

-- The weekly digest counts by period (opened_at is served by tickets_all_age).
CREATE INDEX tickets_resolved ON tickets (community, resolved_at);

CREATE INDEX tickets_first_response ON tickets (community, first_response_at);

-- Every transition and public action: who, when, from which status to which, and why.
CREATE TABLE ticket_history (
    id INTEGER PRIMARY KEY,
    community TEXT NOT NULL,
    number INTEGER NOT NULL,
    at TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_name TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    note TEXT NOT NULL DEFAULT '',
    FOREIGN KEY (community, number) REFERENCES tickets (community, number)
);

CREATE INDEX ticket_history_ticket ON ticket_history (community, number, id);

CREATE TABLE ticket_votes (
    community TEXT NOT NULL,
    number INTEGER NOT NULL,
    member_id TEXT NOT NULL,
    voted_at TEXT NOT NULL,
    PRIMARY KEY (community, number, member_id),
    FOREIGN KEY (community, number) REFERENCES tickets (community, number)
);

-- Who hears about the resolution: the opener, voters (unless they opted out), people who
-- asked to watch, and the watchers of tickets merged into this one.
CREATE TABLE ticket_watchers (
    community TEXT NOT NULL,
    number INTEGER NOT NULL,
    member_id TEXT NOT NULL,
    member_name TEXT NOT NULL DEFAULT '',
    locale TEXT,
    notify INTEGER NOT NULL DEFAULT 1,
    since TEXT NOT NULL,
    PRIMARY KEY (community, number, member_id),
    FOREIGN KEY (community, number) REFERENCES tickets (community, number)
);

-- A digest period is posted at most once, even if its job is re-run after a crash.
CREATE TABLE ticket_digests (
    community TEXT NOT NULL,
    period TEXT NOT NULL,
    posted_at TEXT NOT NULL,
    PRIMARY KEY (community, period)
);
