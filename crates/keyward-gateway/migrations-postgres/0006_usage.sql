-- Metered usage per (key, model, workload) and time bucket, written by the meter's
-- flush (one transaction a second at most), never by the request path. The minute
-- table is kept for 48 hours; hour and day rows are kept. `estimated_requests` counts
-- requests whose upstream reported no usage, so their tokens were estimated.
-- (PostgreSQL twin of migrations/0006_usage.sql: `bucket`, the bucket's start, is a
-- chrono DateTime<Utc> in the code, so TIMESTAMPTZ here.)
CREATE TABLE usage_minute (
    project_id          TEXT COLLATE "C" NOT NULL,
    key_id              TEXT COLLATE "C" NOT NULL,
    model               TEXT COLLATE "C" NOT NULL,
    workload            TEXT COLLATE "C" NOT NULL,
    bucket              TIMESTAMPTZ NOT NULL,
    requests            BIGINT NOT NULL DEFAULT 0,
    errors              BIGINT NOT NULL DEFAULT 0,
    input_tokens        BIGINT NOT NULL DEFAULT 0,
    output_tokens       BIGINT NOT NULL DEFAULT 0,
    estimated_requests  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, model, workload, bucket)
);
CREATE INDEX usage_minute_by_project ON usage_minute (project_id, bucket);
CREATE INDEX usage_minute_by_bucket ON usage_minute (bucket);

CREATE TABLE usage_hour (
    project_id          TEXT COLLATE "C" NOT NULL,
    key_id              TEXT COLLATE "C" NOT NULL,
    model               TEXT COLLATE "C" NOT NULL,
    workload            TEXT COLLATE "C" NOT NULL,
    bucket              TIMESTAMPTZ NOT NULL,
    requests            BIGINT NOT NULL DEFAULT 0,
    errors              BIGINT NOT NULL DEFAULT 0,
    input_tokens        BIGINT NOT NULL DEFAULT 0,
    output_tokens       BIGINT NOT NULL DEFAULT 0,
    estimated_requests  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, model, workload, bucket)
);
CREATE INDEX usage_hour_by_project ON usage_hour (project_id, bucket);

CREATE TABLE usage_day (
    project_id          TEXT COLLATE "C" NOT NULL,
    key_id              TEXT COLLATE "C" NOT NULL,
    model               TEXT COLLATE "C" NOT NULL,
    workload            TEXT COLLATE "C" NOT NULL,
    bucket              TIMESTAMPTZ NOT NULL,
    requests            BIGINT NOT NULL DEFAULT 0,
    errors              BIGINT NOT NULL DEFAULT 0,
    input_tokens        BIGINT NOT NULL DEFAULT 0,
    output_tokens       BIGINT NOT NULL DEFAULT 0,
    estimated_requests  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, model, workload, bucket)
);
CREATE INDEX usage_day_by_project ON usage_day (project_id, bucket);
