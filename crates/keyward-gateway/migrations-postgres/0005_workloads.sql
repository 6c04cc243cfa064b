-- Workloads, in InferenceKey's shape plus the upstream server and metrics endpoints.
-- A slug is unique within its project: it names the workload in data-plane URLs and
-- in keys' `workloads` scope.
-- (PostgreSQL twin of migrations/0005_workloads.sql; JSON columns stay TEXT.)
CREATE TABLE workloads (
    id                       TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    project_id               TEXT COLLATE "C" NOT NULL REFERENCES projects (id),
    name                     TEXT COLLATE "C" NOT NULL,
    slug                     TEXT COLLATE "C" NOT NULL,
    model_name               TEXT COLLATE "C" NOT NULL,
    backend                  TEXT COLLATE "C" NOT NULL,
    task_type                TEXT COLLATE "C" NOT NULL,
    description              TEXT COLLATE "C",
    command                  TEXT COLLATE "C",
    vllm_version             TEXT COLLATE "C",
    config                   TEXT COLLATE "C",
    execution_policy         TEXT COLLATE "C",
    execution_policy_config  TEXT COLLATE "C",
    worker_id                TEXT COLLATE "C",
    gpu_resource_id          TEXT COLLATE "C",
    upstream_url             TEXT COLLATE "C",
    metrics_urls             TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    created_at               TIMESTAMPTZ NOT NULL,
    updated_at               TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX workloads_by_slug ON workloads (project_id, slug);
CREATE INDEX workloads_by_model ON workloads (project_id, model_name);
