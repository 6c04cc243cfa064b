// Test data for the key components (imported by *.test.ts only, never by the app):
// one place that knows how a realistic InferenceKey looks, so each test states only
// the fields it is about.
import type {
  AppError,
  AuditEvent,
  AuditPage,
  CreatedKeyView,
  Expiry,
  InferenceKey,
  KeyDraft,
  KeyDraftCheck,
  KeyListQuery,
  KeyPage,
  KeyUsage,
  LeakHolder,
  LeakMatch,
  LeakSearch,
  Result,
  UsagePoint,
  Workload,
} from "$lib/bindings";

export function inferenceKey(overrides: Partial<InferenceKey> = {}): InferenceKey {
  return {
    id: "key_01",
    project_id: "proj_local",
    name: "billing-service",
    description: "",
    masked: "kw_live_…9f2c",
    status: "active",
    rpm: null,
    tpm: null,
    token_limit: null,
    token_limit_period: null,
    allowed_models: null,
    workloads: "*",
    labels: {},
    expires_at: null,
    created_at: "2025-03-14T09:26:53Z",
    updated_at: "2025-03-14T09:26:53Z",
    revoked_at: null,
    archived_at: null,
    last_used_at: null,
    request_count: 0,
    input_tokens: 0,
    output_tokens: 0,
    unreadable_scopes: [],
    ...overrides,
  };
}

/** One page holding exactly `keys`. */
export function keyPage(keys: InferenceKey[]): KeyPage {
  return { keys, total: keys.length, limit: 50, offset: 0 };
}

export function ok<T>(data: T): Result<T, AppError> {
  return { status: "ok", data };
}

export function failure<T>(message: string, code: AppError["code"] = "internal", field: string | null = null): Result<T, AppError> {
  return { status: "error", error: { code, message, field } };
}

/** A promise the test settles by hand, to look at the UI while a request is in flight. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

/**
 * A project of `total` keys served a page at a time, as `listKeys` would: the keys are
 * made on demand from their position (`key_000042`, "service-42"), so a 100,000-key
 * project costs nothing until a page is asked for.
 */
export function pagedProject(total: number) {
  return async (query: KeyListQuery): Promise<Result<KeyPage, AppError>> => {
    const limit = query.limit ?? 200;
    const offset = query.offset ?? 0;
    const keys: InferenceKey[] = [];
    for (let index = offset; index < Math.min(total, offset + limit); index++) keys.push(positionedKey(index));
    return ok({ keys, total, limit, offset });
  };
}

/** The key `pagedProject` has at `index`. */
export function positionedKey(index: number): InferenceKey {
  const id = `key_${String(index).padStart(6, "0")}`;
  return inferenceKey({ id, name: `service-${index}`, masked: `kw_live_${id.slice(-3)}…${String(index % 10_000).padStart(4, "0")}` });
}

/** A well-formed inference key (prefix and 36 letters or digits); its checksum is Rust's business. */
export const LEAKED_SECRET = "kw_live_Zx81mQa0Lr5Vb2Nc7Ty4Wp9Ks3Hd6Jf1GqR8";

/** A profile holding a leaked key: an admin one (may revoke) unless told otherwise. */
export function leakHolder(overrides: Partial<LeakHolder> = {}): LeakHolder {
  return { profile_id: "prof_team", profile_name: "Team", role: "admin", can_revoke: true, ...overrides };
}

export function leakMatch(overrides: Partial<LeakMatch> = {}): LeakMatch {
  return {
    base_url: "https://team.example.com",
    profiles: [leakHolder()],
    key: inferenceKey({
      id: "key_leak",
      name: "support-bot",
      project_id: "proj_team",
      masked: "kw_live_Zx8…GqR8",
      rpm: 60,
      tpm: null,
      token_limit: 500000,
      token_limit_period: "month",
      allowed_models: ["gpt-4o-mini"],
      workloads: ["support"],
      last_used_at: "2026-02-01T10:00:00Z",
    }),
    ...overrides,
  };
}

export function leakSearch(overrides: Partial<LeakSearch> = {}): LeakSearch {
  return {
    leak_id: "leak_01",
    masked: "kw_live_Zx8…GqR8",
    matches: [],
    searched: ["Local", "Team"],
    gaps: [],
    ...overrides,
  };
}

/** What `createKey` / `rotateKey` return: `key` with a one-time reveal. */
export function createdKeyView(key: InferenceKey = inferenceKey(), secret = "kw_live_3q9XbV7mZk2LwPp0RtY8sNc4HdJf6GaE"): CreatedKeyView {
  return { key, reveal: { id: `rev_${key.id}`, secret } };
}

/** The first hour `usageHours` starts at: 24 hours ending at 2026-02-01T10:00:00Z. */
export const FIRST_HOUR = "2026-01-31T10:00:00Z";

/**
 * The 24 hourly points of a key's usage, oldest first, as the gateway sends them: each
 * hour zero unless `hour(index)` says otherwise (index 0 is the oldest, 23 the current).
 */
export function usageHours(hour: (index: number) => Partial<UsagePoint> = () => ({}), first = FIRST_HOUR): UsagePoint[] {
  const start = Date.parse(first);
  return Array.from({ length: 24 }, (_, index) => ({
    at: new Date(start + index * 3_600_000).toISOString().replace(".000Z", "Z"),
    requests: 0,
    input_tokens: 0,
    output_tokens: 0,
    ...hour(index),
  }));
}

/** A key's usage; zero everywhere (every hour too) unless told, as for an unused key. */
export function keyUsage(overrides: Partial<KeyUsage> = {}): KeyUsage {
  return {
    key_id: "key_01",
    requests: 0,
    input_tokens: 0,
    output_tokens: 0,
    by_model: [],
    hourly: usageHours(),
    ...overrides,
  };
}

/** A workload of the active project, as `listWorkloads` returns it. */
export function workload(overrides: Partial<Workload> = {}): Workload {
  const slug = overrides.slug ?? "chat-prod";
  return {
    id: `wl_${slug}`,
    project_id: "proj_local",
    name: "Chat (prod)",
    slug,
    model_name: "llama-3-8b",
    backend: "vllm",
    task_type: "text2text",
    description: null,
    command: null,
    vllm_version: null,
    config: null,
    execution_policy: null,
    execution_policy_config: null,
    worker_id: null,
    gpu_resource_id: null,
    upstream_url: "http://127.0.0.1:8000",
    metrics_urls: [],
    created_at: "2025-03-01T08:00:00Z",
    updated_at: "2025-03-01T08:00:00Z",
    ...overrides,
  };
}

export function auditEvent(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: "evt_01",
    project_id: "proj_local",
    at: "2025-03-14T09:26:53Z",
    actor_id: "tok_owner",
    actor_label: "Local owner",
    action: "key.created",
    target_type: "inference_key",
    target_id: "key_01",
    changes: { name: { old: "", new: "billing-service" } },
    ...overrides,
  };
}

/** One page holding exactly `events`. */
export function auditPage(events: AuditEvent[]): AuditPage {
  return { events, total: events.length, limit: 50, offset: 0 };
}

/**
 * A stand-in for Rust's `checkKeyForm` in component tests: no problems, and the draft
 * as the form it would send. The rules themselves are Rust's and tested there
 * (keyward-core key_draft.rs); tests of a refusal mock the answer they need.
 */
export function passingKeyCheck(draft: KeyDraft): KeyDraftCheck {
  const limit = (text: string) => {
    const compact = text.replace(/[\s,_]/g, "");
    return compact === "" ? null : Number(compact);
  };
  const expiry: Expiry =
    draft.expiry.kind === "date"
      ? { kind: "date", date: draft.expiry.date }
      : draft.expiry.kind === "in_days"
        ? { kind: "in_days", days: Number(draft.expiry.days) }
        : { kind: draft.expiry.kind };
  const labels = Object.fromEntries(
    draft.labels.filter((row) => row.key.trim() !== "" || row.value !== "").map((row) => [row.key.trim(), row.value]),
  );
  return {
    problems: [],
    form: {
      name: draft.name.trim(),
      description: draft.description.trim(),
      rpm: limit(draft.rpm),
      tpm: limit(draft.tpm),
      token_limit: limit(draft.token_limit),
      token_limit_period: draft.token_limit_period,
      allowed_models: draft.allowed_models,
      workloads: draft.workloads,
      labels,
      expiry,
    },
  };
}
