-- Exactly once across processes (several bot processes on one database).
--
-- `serial_locks`: one row per community and scope that a transaction updates first to take
-- its turn (storage/locks.py). Two processes deciding from the same rows (a join wave's
-- threshold, a giver's kudos limit) then decide one after the other, on SQLite (which
-- serialises writers anyway) and on PostgreSQL (a row lock held until commit) alike.
--
-- `welcome_waves_one_open`: at most one open join wave per community, whatever happens, so
-- a community never gets two alerts for one wave.

CREATE TABLE serial_locks (
    community TEXT NOT NULL,
    scope TEXT NOT NULL,
    turns INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (community, scope)
);

CREATE UNIQUE INDEX welcome_waves_one_open ON welcome_waves (community) WHERE ended_at IS NULL;
