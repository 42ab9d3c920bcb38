-- Leases and routing for several processes on one database (docs/reliability.md, "Leases").
--   platform       the community's platform (the text before ':' in community)
--   shard_key      Discord: the server id >> 22, so its shard is shard_key % shard count;
--                  NULL elsewhere
--   lease_owner    the process carrying the row out while it is 'running'
--   lease_expires  until when; a live owner renews it, and once it has passed (or is NULL)
--                  another process may take the row over

ALTER TABLE jobs ADD COLUMN platform TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN shard_key BIGINT;
ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
ALTER TABLE jobs ADD COLUMN lease_expires TEXT;

ALTER TABLE outbox ADD COLUMN platform TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN shard_key BIGINT;
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_expires TEXT;

UPDATE jobs SET platform = CASE
    WHEN substr(community, 1, 8) = 'discord:' THEN 'discord'
    WHEN substr(community, 1, 6) = 'slack:' THEN 'slack'
    WHEN substr(community, 1, 6) = 'local:' THEN 'local'
    ELSE '' END;
UPDATE outbox SET platform = CASE
    WHEN substr(community, 1, 8) = 'discord:' THEN 'discord'
    WHEN substr(community, 1, 6) = 'slack:' THEN 'slack'
    WHEN substr(community, 1, 6) = 'local:' THEN 'local'
    ELSE '' END;
UPDATE jobs SET shard_key = CAST(substr(community, 9) AS BIGINT) / 4194304
    WHERE platform = 'discord';
UPDATE outbox SET shard_key = CAST(substr(community, 9) AS BIGINT) / 4194304
    WHERE platform = 'discord';

CREATE INDEX jobs_lease ON jobs (status, lease_expires);
CREATE INDEX outbox_lease ON outbox (status, lease_expires);
