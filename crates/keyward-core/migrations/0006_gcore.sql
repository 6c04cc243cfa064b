-- Profiles of Gcore Everywhere Inference projects (issue #19). SQLite cannot change a
-- CHECK constraint in place, so the table is rebuilt with the wider list and its rows
-- copied as they are, inside the migration's transaction.
CREATE TABLE profiles_new (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('keyward', 'openai', 'anthropic', 'openrouter', 'litellm', 'gcore', 'inferencekey', 'podstack')),
    base_url    TEXT NOT NULL,
    project_id  TEXT NOT NULL,
    notes       TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
INSERT INTO profiles_new (id, name, kind, base_url, project_id, notes, created_at, updated_at)
    SELECT id, name, kind, base_url, project_id, notes, created_at, updated_at FROM profiles;
DROP TABLE profiles;
ALTER TABLE profiles_new RENAME TO profiles;
CREATE UNIQUE INDEX profiles_by_name ON profiles (name);
