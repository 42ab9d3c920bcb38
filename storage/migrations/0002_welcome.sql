-- Welcome and recognition: newcomers (joins, welcomes, rules acceptance, reminders),
-- join waves with the moderators' alert they raised, and kudos between members.
-- Timestamps are ISO-8601 UTC text (storage.timestamps); NULL means "not yet".

CREATE TABLE welcome_members (
    community TEXT NOT NULL,
    member_id TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    account_created_at TEXT,
    joined_at TEXT,
    welcomed_at TEXT,
    accepted_at TEXT,
    reminded_at TEXT,
    PRIMARY KEY (community, member_id)
);

CREATE INDEX welcome_members_joined ON welcome_members (community, joined_at);

CREATE TABLE welcome_waves (
    id INTEGER PRIMARY KEY,
    community TEXT NOT NULL,
    started_at TEXT NOT NULL,
    last_join_at TEXT NOT NULL,
    ended_at TEXT,
    alert_channel_id TEXT,
    alert_message_id TEXT
);

CREATE INDEX welcome_waves_open ON welcome_waves (community, ended_at);

CREATE TABLE welcome_wave_members (
    community TEXT NOT NULL,
    wave_id INTEGER NOT NULL REFERENCES welcome_waves (id),
    member_id TEXT NOT NULL,
    name TEXT NOT NULL,
    account_created_at TEXT,
    joined_at TEXT NOT NULL,
    PRIMARY KEY (wave_id, member_id)
);

CREATE TABLE kudos (
    id INTEGER PRIMARY KEY,
    community TEXT NOT NULL,
    giver_id TEXT NOT NULL,
    receiver_id TEXT NOT NULL,
    receiver_name TEXT NOT NULL,
    reason TEXT NOT NULL,
    given_at TEXT NOT NULL
);

CREATE INDEX kudos_giver ON kudos (community, giver_id, given_at);

CREATE INDEX kudos_given ON kudos (community, given_at)
