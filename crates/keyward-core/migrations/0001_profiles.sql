-- The console's own database: connection profiles. Their tokens are never here; they
-- live in the OS keychain under the profile's id.
CREATE TABLE profiles (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('keyward', 'inferencekey', 'podstack')),
    base_url    TEXT NOT NULL,
    project_id  TEXT NOT NULL,
    notes       TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX profiles_by_name ON profiles (name);
