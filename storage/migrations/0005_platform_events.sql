-- Platform deliveries already handled, so a retried or replayed delivery is processed once.
-- Slack retries an event (same event_id, X-Slack-Retry-Num set) when it saw no ack in time;
-- adapters claim the key here before they act. Rows expire and are pruned.

CREATE TABLE platform_events (
    community TEXT NOT NULL,
    event_key TEXT NOT NULL,
    received_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (community, event_key)
);

CREATE INDEX platform_events_expires ON platform_events (expires_at);
