-- Metered usage per (key, model, workload) and time bucket, written by the meter's
-- flush (one transaction a second at most), never by the request path. The minute
-- table is kept for 48 hours; hour and day rows are kept. `estimated_requests` counts
-- requests whose upstream reported no usage, so their tokens were estimated.
CREATE TABLE usage_minute (
    project_id          TEXT NOT NULL,
    key_id              TEXT NOT NULL,
    model               TEXT NOT NULL,
    workload            TEXT NOT NULL,
    bucket              TEXT NOT NULL,
    requests            INTEGER NOT NULL DEFAULT 0,
    errors              INTEGER NOT NULL DEFAULT 0,
    input_tokens        INTEGER NOT NULL DEFAULT 0,
    output_tokens       INTEGER NOT NULL DEFAULT 0,
    estimated_requests  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, model, workload, bucket)
);
CREATE INDEX usage_minute_by_project ON usage_minute (project_id, bucket);
CREATE INDEX usage_minute_by_bucket ON usage_minute (bucket);

CREATE TABLE usage_hour (
    project_id          TEXT NOT NULL,
    key_id              TEXT NOT NULL,
    model               TEXT NOT NULL,
    workload            TEXT NOT NULL,
    bucket              TEXT NOT NULL,
    requests            INTEGER NOT NULL DEFAULT 0,
    errors              INTEGER NOT NULL DEFAULT 0,
    input_tokens        INTEGER NOT NULL DEFAULT 0,
    output_tokens       INTEGER NOT NULL DEFAULT 0,
    estimated_requests  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, model, workload, bucket)
);
CREATE INDEX usage_hour_by_project ON usage_hour (project_id, bucket);

CREATE TABLE usage_day (
    project_id          TEXT NOT NULL,
    key_id              TEXT NOT NULL,
    model               TEXT NOT NULL,
    workload            TEXT NOT NULL,
    bucket              TEXT NOT NULL,
    requests            INTEGER NOT NULL DEFAULT 0,
    errors              INTEGER NOT NULL DEFAULT 0,
    input_tokens        INTEGER NOT NULL DEFAULT 0,
    output_tokens       INTEGER NOT NULL DEFAULT 0,
    estimated_requests  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, model, workload, bucket)
);
CREATE INDEX usage_day_by_project ON usage_day (project_id, bucket);
