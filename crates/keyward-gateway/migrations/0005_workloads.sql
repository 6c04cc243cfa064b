-- Workloads, in InferenceKey's shape plus the upstream server and metrics endpoints.
-- A slug is unique within its project: it names the workload in data-plane URLs and
-- in keys' `workloads` scope.
CREATE TABLE workloads (
    id                       TEXT PRIMARY KEY NOT NULL,
    project_id               TEXT NOT NULL REFERENCES projects (id),
    name                     TEXT NOT NULL,
    slug                     TEXT NOT NULL,
    model_name               TEXT NOT NULL,
    backend                  TEXT NOT NULL,
    task_type                TEXT NOT NULL,
    description              TEXT,
    command                  TEXT,
    vllm_version             TEXT,
    config                   TEXT,
    execution_policy         TEXT,
    execution_policy_config  TEXT,
    worker_id                TEXT,
    gpu_resource_id          TEXT,
    upstream_url             TEXT,
    metrics_urls             TEXT NOT NULL DEFAULT '[]',
    created_at               TEXT NOT NULL,
    updated_at               TEXT NOT NULL
);
CREATE UNIQUE INDEX workloads_by_slug ON workloads (project_id, slug);
CREATE INDEX workloads_by_model ON workloads (project_id, model_name);
