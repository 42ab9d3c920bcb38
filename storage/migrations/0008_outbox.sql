-- The outbox: every platform side effect, written in the same transaction as the state
-- change that causes it, and carried out by the delivery loop exactly once.
--   lane        entries sharing a lane go out in id order (one channel, message or member)
--   depends_on  an entry whose payload names this entry's result (a thread on a new post)
--   then_kind   the cog's continuation, run in the transaction that records the outcome
--   status      pending -> running -> delivered | failed | superseded

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    community TEXT NOT NULL,
    lane TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    depends_on INTEGER REFERENCES outbox (id),
    then_kind TEXT,
    then_data TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    interrupted INTEGER NOT NULL DEFAULT 0,
    due_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    finished_at TEXT,
    result TEXT,
    error_kind TEXT,
    last_error TEXT
);

CREATE INDEX outbox_status_due ON outbox (status, due_at);
CREATE INDEX outbox_lane ON outbox (lane, status, id);
