-- Keys per project, kept by triggers inside the writing transaction, so the default
-- list's `total` is one row read instead of a COUNT(*) over every key (the whole cost
-- of the first page at 100,000 keys). No code path can forget to update it, and a
-- crash cannot separate a key from its count.
CREATE TABLE project_key_counts (
    project_id TEXT PRIMARY KEY NOT NULL REFERENCES projects(id),
    total      INTEGER NOT NULL DEFAULT 0,
    archived   INTEGER NOT NULL DEFAULT 0
);

INSERT INTO project_key_counts (project_id, total, archived)
    SELECT project_id, COUNT(*), COUNT(archived_at) FROM inference_keys GROUP BY project_id;

CREATE TRIGGER inference_keys_counted_on_insert AFTER INSERT ON inference_keys
BEGIN
    INSERT INTO project_key_counts (project_id, total, archived)
        VALUES (NEW.project_id, 1, NEW.archived_at IS NOT NULL)
        ON CONFLICT (project_id) DO UPDATE
        SET total = total + 1, archived = archived + (NEW.archived_at IS NOT NULL);
END;

CREATE TRIGGER inference_keys_counted_on_archive AFTER UPDATE OF archived_at ON inference_keys
    WHEN (OLD.archived_at IS NULL) != (NEW.archived_at IS NULL)
BEGIN
    UPDATE project_key_counts
        SET archived = archived + (CASE WHEN NEW.archived_at IS NULL THEN -1 ELSE 1 END)
        WHERE project_id = NEW.project_id;
END;

CREATE TRIGGER inference_keys_counted_on_delete AFTER DELETE ON inference_keys
BEGIN
    UPDATE project_key_counts
        SET total = total - 1, archived = archived - (OLD.archived_at IS NOT NULL)
        WHERE project_id = OLD.project_id;
END;
