-- One row per probe of a workload: what GET /health said, the metrics read from its
-- Prometheus endpoints, and the status derived from the recent probes. Raw rows are
-- kept 24 hours, then thinned to one per 5 minutes, and deleted after 7 days.
CREATE TABLE workload_health (
    workload_id  TEXT NOT NULL,
    at           TEXT NOT NULL,
    liveness     TEXT NOT NULL,
    status       TEXT NOT NULL,
    reason       TEXT NOT NULL,
    running      REAL,
    waiting      REAL,
    kv_cache     REAL,
    ttft_p50     REAL,
    ttft_p95     REAL,
    e2e_p50      REAL,
    e2e_p95      REAL,
    prompt_tokens_per_s      REAL,
    generation_tokens_per_s  REAL,
    gpus         TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX workload_health_by_workload ON workload_health (workload_id, at);
CREATE INDEX workload_health_by_time ON workload_health (at);
