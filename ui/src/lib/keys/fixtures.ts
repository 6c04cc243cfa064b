// Test data for the key components (imported by *.test.ts only, never by the app):
// one place that knows how a realistic InferenceKey looks, so each test states only
// the fields it is about.
import type { AppError, InferenceKey, Result } from "$lib/bindings";

export function inferenceKey(overrides: Partial<InferenceKey> = {}): InferenceKey {
  return {
    id: "key_01",
    project_id: "proj_local",
    name: "billing-service",
    masked: "kw_live_…9f2c",
    status: "active",
    created_at: "2025-03-14T09:26:53Z",
    revoked_at: null,
    last_used_at: null,
    ...overrides,
  };
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
