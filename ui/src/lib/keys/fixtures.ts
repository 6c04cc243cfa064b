// Test data for the key components (imported by *.test.ts only, never by the app):
// one place that knows how a realistic key of the neutral model looks (as the Keyward
// gateway's adapter maps it), so each test states only the fields it is about.
import type {
  AppError,
  AuditEntry,
  AuditTrail,
  CreatedKeyView,
  Expiry,
  Key,
  KeyActivity,
  KeyDraft,
  KeyDraftCheck,
  KeyListQuery,
  KeyPage,
  KeyScopes,
  LeakHolder,
  LeakMatch,
  LeakSearch,
  Result,
  UsagePoint,
  Workload,
  WorkloadRef,
} from "$lib/bindings";

/** A key's fields to change; `scopes` is merged into the default scopes, not replacing them. */
export type KeyOverrides = Partial<Omit<Key, "scopes">> & { scopes?: Partial<KeyScopes> };

export function inferenceKey(overrides: KeyOverrides = {}): Key {
  const { scopes, ...rest } = overrides;
  return {
    id: "key_01",
    name: "billing-service",
    hint: "kw_live_…9f2c",
    state: "active",
    scopes: {
      rpm: null,
      tpm: null,
      token_budget: null,
      money_budget: null,
      models: null,
      workloads: null,
      labels: {},
      description: null,
      ...scopes,
    },
    created_at: "2025-03-14T09:26:53Z",
    updated_at: "2025-03-14T09:26:53Z",
    last_used_at: null,
    expires_at: null,
    owner: null,
    project: "proj_local",
    revoked_at: null,
    archived_at: null,
    totals: { requests: 0, input_tokens: 0, output_tokens: 0 },
    unreadable_scopes: [],
    money_used: null,
    guardrail: null,
    steps: [],
    ...rest,
  };
}

/** One page holding exactly `keys`, with the total a platform that counts would report. */
export function keyPage(keys: Key[]): KeyPage {
  return { keys, total: keys.length };
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
    const keys: Key[] = [];
    for (let index = offset; index < Math.min(total, offset + limit); index++) keys.push(positionedKey(index));
    return ok({ keys, total });
  };
}

/**
 * The same project on a platform that does not say how many keys match (`total` null):
 * a page is full until the last one, which is how the list learns there is no more.
 */
export function uncountedProject(total: number) {
  const counted = pagedProject(total);
  return async (query: KeyListQuery): Promise<Result<KeyPage, AppError>> => {
    const result = await counted(query);
    return result.status === "ok" ? ok({ keys: result.data.keys, total: null }) : result;
  };
}

/** The key `pagedProject` has at `index`. */
export function positionedKey(index: number): Key {
  const id = `key_${String(index).padStart(6, "0")}`;
  return inferenceKey({ id, name: `service-${index}`, hint: `kw_live_${id.slice(-3)}…${String(index % 10_000).padStart(4, "0")}` });
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
    platform: "Keyward gateway",
    exact: true,
    profiles: [leakHolder()],
    key: inferenceKey({
      id: "key_leak",
      name: "support-bot",
      project: "proj_team",
      hint: "kw_live_Zx8…GqR8",
      scopes: {
        rpm: 60,
        tpm: null,
        token_budget: { tokens: 500000, period: "month" },
        models: ["gpt-4o-mini"],
        workloads: ["support"],
      },
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
    ambiguous: false,
    searched: ["Local", "Team"],
    gaps: [],
    ...overrides,
  };
}

/** What `createKey` / `rotateKey` return: `key` with a one-time reveal. */
export function createdKeyView(key: Key = inferenceKey(), secret = "kw_live_3q9XbV7mZk2LwPp0RtY8sNc4HdJf6GaE"): CreatedKeyView {
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
    start: new Date(start + index * 3_600_000).toISOString().replace(".000Z", "Z"),
    requests: 0,
    input_tokens: 0,
    output_tokens: 0,
    ...hour(index),
  }));
}

/** A key's activity; zero everywhere (every hour too) unless told, as for an unused key. */
export function keyUsage(overrides: Partial<KeyActivity> = {}): KeyActivity {
  return {
    key_id: "key_01",
    totals: { requests: 0, input_tokens: 0, output_tokens: 0 },
    by_model: [],
    hourly: usageHours(),
    ...overrides,
  };
}

/** A workload of the active project, as the gateway has it (`getWorkload`). */
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

/** The workload as `listWorkloads` names it (the neutral `WorkloadRef`). */
export function workloadRef(full: Workload = workload()): WorkloadRef {
  return {
    id: full.id,
    slug: full.slug,
    name: full.name,
    model: full.model_name,
    upstream: full.upstream_url,
    created_at: full.created_at,
    status: null,
  };
}

export function auditEvent(overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id: "evt_01",
    at: "2025-03-14T09:26:53Z",
    actor: "Local owner",
    action: "key.created",
    changes: { name: { old: "", new: "billing-service" } },
    ...overrides,
  };
}

/** One trail holding exactly `events`. */
export function auditPage(events: AuditEntry[]): AuditTrail {
  return { entries: events, total: events.length };
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
      // Rust keeps a chosen project (and drops a blank one).
      ...(draft.project?.trim() ? { project: draft.project.trim() } : {}),
    },
  };
}
