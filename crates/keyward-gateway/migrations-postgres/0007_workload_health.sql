-- One row per probe of a workload: what GET /health said, the metrics read from its
-- Prometheus endpoints, and the status derived from the recent probes. Raw rows are
-- kept 24 hours, then thinned to one per 5 minutes, and deleted after 7 days.
-- (PostgreSQL twin of migrations/0007_workload_health.sql: REAL is DOUBLE PRECISION. The
-- thinning keeps each 5 minutes' earliest probe by `at` here, where SQLite cuts its text
-- and takes the lowest rowid: prober.rs has one statement per engine.)
CREATE TABLE workload_health (
    workload_id  TEXT COLLATE "C" NOT NULL,
    at           TIMESTAMPTZ NOT NULL,
    liveness     TEXT COLLATE "C" NOT NULL,
    status       TEXT COLLATE "C" NOT NULL,
    reason       TEXT COLLATE "C" NOT NULL,
    running      DOUBLE PRECISION,
    waiting      DOUBLE PRECISION,
    kv_cache     DOUBLE PRECISION,
    ttft_p50     DOUBLE PRECISION,
    ttft_p95     DOUBLE PRECISION,
    e2e_p50      DOUBLE PRECISION,
    e2e_p95      DOUBLE PRECISION,
    prompt_tokens_per_s      DOUBLE PRECISION,
    generation_tokens_per_s  DOUBLE PRECISION,
    gpus         TEXT COLLATE "C" NOT NULL DEFAULT '[]'
);
CREATE INDEX workload_health_by_workload ON workload_health (workload_id, at);
CREATE INDEX workload_health_by_time ON workload_health (at);
