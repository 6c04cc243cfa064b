-- Every key scope of the seed platforms, counters, rotation grace, archive; per-model
-- usage; and the audit trail. JSON columns hold lists/maps that are read whole.

ALTER TABLE inference_keys ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE inference_keys ADD COLUMN rpm INTEGER;
ALTER TABLE inference_keys ADD COLUMN tpm INTEGER;
ALTER TABLE inference_keys ADD COLUMN token_limit INTEGER;
ALTER TABLE inference_keys ADD COLUMN token_limit_period TEXT
    CHECK (token_limit_period IN ('minute', 'hour', 'day', 'week', 'month'));
-- NULL = every model the project serves; else a JSON array of model names.
ALTER TABLE inference_keys ADD COLUMN allowed_models TEXT;
-- JSON: "*" (whole project) or an array of workload slugs.
ALTER TABLE inference_keys ADD COLUMN workloads TEXT NOT NULL DEFAULT '"*"';
-- JSON object of label name → value.
ALTER TABLE inference_keys ADD COLUMN labels TEXT NOT NULL DEFAULT '{}';
ALTER TABLE inference_keys ADD COLUMN expires_at TEXT;
ALTER TABLE inference_keys ADD COLUMN archived_at TEXT;
ALTER TABLE inference_keys ADD COLUMN request_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inference_keys ADD COLUMN input_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inference_keys ADD COLUMN output_tokens INTEGER NOT NULL DEFAULT 0;
-- After a rotation with a grace period, the old secret's hash works until this time.
ALTER TABLE inference_keys ADD COLUMN previous_secret_hash BLOB
    CHECK (previous_secret_hash IS NULL OR length(previous_secret_hash) = 32);
ALTER TABLE inference_keys ADD COLUMN previous_secret_expires_at TEXT;

CREATE UNIQUE INDEX inference_keys_by_previous_hash
    ON inference_keys (previous_secret_hash) WHERE previous_secret_hash IS NOT NULL;
CREATE INDEX inference_keys_by_project_name ON inference_keys (project_id, name, id);
CREATE INDEX inference_keys_by_project_last_used ON inference_keys (project_id, last_used_at, id);

CREATE TABLE key_usage_by_model (
    key_id        TEXT NOT NULL REFERENCES inference_keys(id),
    model         TEXT NOT NULL,
    requests      INTEGER NOT NULL DEFAULT 0,
    input_tokens  INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, model)
);

CREATE TABLE audit_events (
    id           TEXT PRIMARY KEY NOT NULL,
    project_id   TEXT NOT NULL REFERENCES projects(id),
    at           TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    actor_label  TEXT NOT NULL,
    action       TEXT NOT NULL,
    target_type  TEXT NOT NULL,
    target_id    TEXT NOT NULL,
    -- JSON object: field → {"old": …, "new": …}; secrets never appear here.
    changes      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_by_project ON audit_events (project_id, at DESC, id DESC);
CREATE INDEX audit_events_by_target ON audit_events (target_id, at DESC);
