-- Private tickets and quiet follow-ups (issue 13, "Ambassadors and members").
--
-- private: 1 for a ticket opened with private:yes (billing, personal data). Its tracker and
-- thread live in the ambassadors' channel, never in the tickets channel; lists show it only
-- to its opener and ambassadors; the digest counts it without naming it. A ticket never
-- changes between private and public, so the column is set once, at the insert.
ALTER TABLE tickets ADD COLUMN private INTEGER NOT NULL DEFAULT 0;

-- quiet_follow_ups: public follow-ups posted since an ambassador last acted on the ticket;
-- after [tickets] escalate_after follow-ups the ticket goes privately to the ambassadors'
-- lead instead of another public post. Reset by every ambassador's change.
ALTER TABLE tickets ADD COLUMN quiet_follow_ups INTEGER NOT NULL DEFAULT 0;

-- lead_escalated_at: when the lead was told (once per quiet spell, reset with the count).
ALTER TABLE tickets ADD COLUMN lead_escalated_at TEXT;
