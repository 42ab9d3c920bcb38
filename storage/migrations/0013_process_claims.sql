-- What each live bot process serves exclusively, so a second process that would serve the
-- same thing refuses at start-up (bot/app/topology.py, docs/scaling.md).
--   claim         what is served, e.g. 'discord:<application id>:shard:3'
--   detail        what other processes must agree with, e.g. the Discord shard count
--   process       the holder: '<host>:<pid>:<start time>'
--   heartbeat_at  renewed while the holder runs; a claim not renewed for a while has lapsed

CREATE TABLE process_claims (
    claim TEXT PRIMARY KEY,
    detail TEXT NOT NULL DEFAULT '',
    process TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    heartbeat_at TEXT NOT NULL
);

CREATE INDEX process_claims_process ON process_claims (process);
