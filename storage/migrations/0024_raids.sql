-- Raid measures (cogs/welcome/raids.py): what the bot did by itself when a join wave fired,
-- with what was there before, so an undo restores exactly that after any restart.

-- The raid state a wave raised. `state`: active (measures in place), ended (temporary
-- measures taken back; time-outs run their course), undone (everything taken back). One
-- active raid per community: a second wave while it lasts joins it.
CREATE TABLE welcome_raids (
    wave_id BIGINT NOT NULL PRIMARY KEY REFERENCES welcome_waves (id),
    community TEXT NOT NULL,
    started_at TEXT NOT NULL,
    last_join_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'active',
    ended_at TEXT,
    ended_by TEXT,
    undone_at TEXT,
    undone_by TEXT
);

CREATE UNIQUE INDEX welcome_raids_one_active ON welcome_raids (community)
    WHERE state = 'active';

-- One measure of a raid: slow mode in a channel (`channel_id`), a member's time-out
-- (`member_id`), or the community's invites (neither). `previous` is what an undo restores
-- (slow mode seconds; 'paused' or 'open'), written before the measure is applied and never
-- overwritten. `status`: pending, done, refused, unavailable, missing, undoing, undone,
-- undo_refused; `error` says why the platform refused.
CREATE TABLE welcome_raid_steps (
    wave_id BIGINT NOT NULL REFERENCES welcome_raids (wave_id),
    community TEXT NOT NULL,
    kind TEXT NOT NULL,
    channel_id TEXT NOT NULL DEFAULT '',
    member_id TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    setting TEXT NOT NULL DEFAULT '',
    previous TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    error TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (wave_id, kind, channel_id, member_id)
);

CREATE INDEX welcome_raid_steps_member ON welcome_raid_steps (community, member_id);
