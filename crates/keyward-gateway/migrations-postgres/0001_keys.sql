-- Projects, the control tokens that manage them, and their inference keys.
-- Secrets are never stored: only their SHA-256 (secret_hash) and a masked label.
--
-- PostgreSQL twin of migrations/0001_keys.sql; the gateway runs the same SQL text on
-- both engines, so the types follow what the Rust code binds and reads:
-- - a timestamp the code handles as chrono's DateTime<Utc> is TIMESTAMPTZ (SQLite keeps
--   it as RFC 3339 TEXT); PostgreSQL keeps microseconds, SQLite's text nanoseconds;
-- - SQLite's 64-bit INTEGER is BIGINT, BLOB is BYTEA;
-- - every TEXT column is COLLATE "C": SQLite compares TEXT byte by byte (its BINARY
--   collation) and its lower() folds ASCII only, and so do "C" and lower() under "C",
--   whatever locale the database was created with. Orders and ranges then agree.

CREATE TABLE projects (
    id          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE control_tokens (
    id          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    project_id  TEXT COLLATE "C" NOT NULL REFERENCES projects(id),
    name        TEXT COLLATE "C" NOT NULL,
    role        TEXT COLLATE "C" NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
    secret_hash BYTEA NOT NULL UNIQUE CHECK (octet_length(secret_hash) = 32),
    masked      TEXT COLLATE "C" NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);

CREATE TABLE inference_keys (
    id           TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    project_id   TEXT COLLATE "C" NOT NULL REFERENCES projects(id),
    name         TEXT COLLATE "C" NOT NULL,
    secret_hash  BYTEA NOT NULL UNIQUE CHECK (octet_length(secret_hash) = 32),
    masked       TEXT COLLATE "C" NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    revoked_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ
);

CREATE INDEX inference_keys_by_project ON inference_keys (project_id, created_at DESC, id DESC);
