-- One row per usage flush that committed, under the batch id the meter gave its usage
-- (a UUIDv7), written in the same transaction as the usage. A flush retried after an
-- error first inserts its id: when the row is already there, the earlier attempt did
-- commit (only its answer was lost) and the batch is not added again. Rows are deleted
-- by the flush after 48 hours; a batch is retried every second until it is written.
-- (PostgreSQL twin of migrations/0009_usage_flushes.sql. Replicas flushing at once never
-- wait on each other here: each batch id is new. A retry whose earlier attempt is still
-- open on the server waits on the id's row until that attempt commits or rolls back.)
CREATE TABLE usage_flushes (
    id          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    flushed_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX usage_flushes_by_time ON usage_flushes (flushed_at);
