-- One row per usage flush that committed, under the batch id the meter gave its usage
-- (a UUIDv7), written in the same transaction as the usage. A flush retried after an
-- error first inserts its id: when the row is already there, the earlier attempt did
-- commit (only its answer was lost) and the batch is not added again. Rows are deleted
-- by the flush after 48 hours; a batch is retried every second until it is written.
CREATE TABLE usage_flushes (
    id          TEXT PRIMARY KEY NOT NULL,
    flushed_at  TEXT NOT NULL
);
CREATE INDEX usage_flushes_by_time ON usage_flushes (flushed_at);
