-- The default key list shows unarchived keys newest first and counts them. This index
-- serves both from the index alone: `archived_at IS NULL` is an equality on its second
-- column, the order is its third and fourth, and COUNT(*) scans only it.
-- (PostgreSQL twin of migrations/0003_live_key_index.sql; an index-only scan here also
-- needs the visibility map, which autovacuum keeps.)
CREATE INDEX inference_keys_live_by_project
    ON inference_keys (project_id, archived_at, created_at DESC, id DESC);
