-- Core tables: durable jobs, per-community configuration overrides, audit log.
-- Timestamps are ISO-8601 UTC text so both SQLite and PostgreSQL sort them correctly.

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    community TEXT NOT NULL,
    kind TEXT NOT NULL,
    due_at TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    idempotency_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT
);

CREATE INDEX jobs_pending_due ON jobs (status, due_at);

CREATE TABLE community_overrides (
    community TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (community, key)
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    community TEXT NOT NULL,
    at TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_log_community_at ON audit_log (community, at);
