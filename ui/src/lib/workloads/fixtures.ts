// Test data for the workload components (imported by *.test.ts only, never by the app).
import type { HealthView, KeyRef, Rendered, StatusChange, WorkloadHealthSummary, WorkloadKeys } from "$lib/bindings";

export { deferred, failure, ok, workload, workloadRef } from "$lib/keys/fixtures";

export function summary(overrides: Partial<WorkloadHealthSummary> = {}): WorkloadHealthSummary {
  const slug = overrides.slug ?? "chat-prod";
  return {
    workload_id: `wl_${slug}`,
    slug,
    status: "healthy",
    reason: "Serving normally.",
    checked_at: "2026-03-10T11:59:50Z",
    gpus: 2,
    running: 3,
    waiting: 1,
    kv_cache: 0.42,
    e2e_p95: 0.85,
    ...overrides,
  };
}

export function statusChange(overrides: Partial<StatusChange> = {}): StatusChange {
  return {
    at: "2026-03-10T11:58:00Z",
    workload_id: "wl_chat-prod",
    slug: "chat-prod",
    from: "healthy",
    to: "degraded",
    reason: "KV cache 99% for 5 min.",
    notified: true,
    ...overrides,
  };
}

export function keyRef(overrides: Partial<KeyRef> = {}): KeyRef {
  return { id: "key_1", name: "billing-service", project_wide: false, ...overrides };
}

/** What `workloadKeys` answers: these keys, with the gateway's total. */
export function workloadKeys(keys: KeyRef[], total = keys.length): WorkloadKeys {
  return { keys, total };
}

export function rendered(overrides: Partial<Rendered> = {}): Rendered {
  return {
    svg: '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200"><text>chart</text></svg>',
    width: 400,
    height: 200,
    plot: { left: 40, top: 10, right: 390, bottom: 170 },
    hover: [
      { x: 100, y: 50, title: "11:00", values: [{ series: "p95", value: 0.5, text: "500 ms" }], highlighted: false },
      { x: 300, y: 60, title: "11:30", values: [{ series: "p95", value: 1.2, text: "1.2 s" }], highlighted: false },
    ],
    ...overrides,
  };
}

export function healthView(overrides: Partial<HealthView> = {}): HealthView {
  return {
    status: "healthy",
    reason: "Serving normally.",
    checked_at: "2026-03-10T11:59:50Z",
    probes: 12,
    charts: [
      { id: "latency", rendered: rendered() },
      { id: "kv_cache", rendered: rendered() },
    ],
    ...overrides,
  };
}

/** A Gcore deployment as `getDeployment` answers it: active in two regions, one key attached. */
export function deploymentDetail(overrides: Partial<import("$lib/bindings").WorkloadDetail> = {}): import("$lib/bindings").WorkloadDetail {
  return {
    workload: {
      id: "llama-chat",
      slug: "llama-chat",
      name: "llama-chat",
      model: null,
      upstream: "https://llama-chat-379.ai.gcore.dev",
      created_at: "2026-11-30T10:00:00Z",
      status: { state: "healthy", ready: 2, total: 2, problems: [] },
    },
    spec: {
      name: "llama-chat",
      slug: null,
      description: "Chat",
      model: null,
      backend: null,
      task_type: null,
      image: "vllm/vllm-openai:v0.6.3",
      flavor: "inference-1xl40s-48gb",
      port: 8000,
      regions: [
        { region: "76", min: 1, max: 2 },
        { region: "38", min: 1, max: 1 },
      ],
      env: { HF_HOME: "/data" },
      command: null,
      auth_enabled: true,
      probes: null,
    },
    address: "https://llama-chat-379.ai.gcore.dev",
    keys: ["ci-runner"],
    regions: [
      { region: "76", ready: 1, total: 1, address: "https://llama-chat-379-r76.ai.gcore.dev", error: null },
      { region: "38", ready: 1, total: 1, address: "https://llama-chat-379-r38.ai.gcore.dev", error: null },
    ],
    ...overrides,
  };
}
