-- Keys per project, kept by triggers inside the writing transaction, so the default
-- list's `total` is one row read instead of a COUNT(*) over every key (the whole cost
-- of the first page at 100,000 keys). No code path can forget to update it, and a
-- crash cannot separate a key from its count.
-- (PostgreSQL twin of migrations/0004_project_key_counts.sql: SQLite's trigger bodies
-- become plpgsql trigger functions with the same effect; SQLite's `x IS NOT NULL` is
-- the integer 0 or 1, here a boolean cast to one. Concurrent writers to one project
-- queue on its count row, which the upsert and the updates lock.)
CREATE TABLE project_key_counts (
    project_id TEXT COLLATE "C" PRIMARY KEY NOT NULL REFERENCES projects(id),
    total      BIGINT NOT NULL DEFAULT 0,
    archived   BIGINT NOT NULL DEFAULT 0
);

INSERT INTO project_key_counts (project_id, total, archived)
    SELECT project_id, COUNT(*), COUNT(archived_at) FROM inference_keys GROUP BY project_id;

CREATE FUNCTION inference_keys_count_insert() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO project_key_counts AS counts (project_id, total, archived)
        VALUES (NEW.project_id, 1, (NEW.archived_at IS NOT NULL)::int)
        ON CONFLICT (project_id) DO UPDATE
        SET total = counts.total + 1,
            archived = counts.archived + (NEW.archived_at IS NOT NULL)::int;
    RETURN NULL;
END;
$$;

CREATE TRIGGER inference_keys_counted_on_insert AFTER INSERT ON inference_keys
    FOR EACH ROW EXECUTE FUNCTION inference_keys_count_insert();

CREATE FUNCTION inference_keys_count_archive() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE project_key_counts
        SET archived = archived + (CASE WHEN NEW.archived_at IS NULL THEN -1 ELSE 1 END)
        WHERE project_id = NEW.project_id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER inference_keys_counted_on_archive AFTER UPDATE OF archived_at ON inference_keys
    FOR EACH ROW
    WHEN ((OLD.archived_at IS NULL) <> (NEW.archived_at IS NULL))
    EXECUTE FUNCTION inference_keys_count_archive();

CREATE FUNCTION inference_keys_count_delete() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE project_key_counts
        SET total = total - 1, archived = archived - (OLD.archived_at IS NOT NULL)::int
        WHERE project_id = OLD.project_id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER inference_keys_counted_on_delete AFTER DELETE ON inference_keys
    FOR EACH ROW EXECUTE FUNCTION inference_keys_count_delete();
