// Test data for the key components (imported by *.test.ts only, never by the app):
// one place that knows how a realistic InferenceKey looks, so each test states only
// the fields it is about.
import type { AppError, InferenceKey, KeyPage, Result } from "$lib/bindings";

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
