// What a key's settings must look like, checked in the key form before any request so
// an obvious mistake costs no round trip and is named under its field. The rules are
// the gateway's own (`keyward_api::scope`, which the console also runs before sending):
// limits are whole numbers from 1 to 10^12, a budget goes with its period, workloads are
// slugs, label names are 1–63 of letters, digits and `._/-`, and an expiry date means
// 00:00 UTC of that day and must be in the future. The backend's word stays final; its
// field errors land under the same fields, spelled as `AppError.field` spells them.
import type { TokenLimitPeriod } from "$lib/bindings";

export { nameProblem, NAME_MAX } from "$lib/profiles/rules";

export const DESCRIPTION_MAX = 1000;
export const LIMIT_MAX = 1_000_000_000_000;
export const MODEL_MAX = 200;
export const LIST_MAX = 128;
export const LABELS_MAX = 32;
export const LABEL_VALUE_MAX = 256;
export const DAYS_MAX = 3650;

/** The fields of a key form, spelled as the backend names them in `AppError.field`. */
export type KeyField =
  | "name"
  | "description"
  | "rpm"
  | "tpm"
  | "token_limit"
  | "token_limit_period"
  | "allowed_models"
  | "workloads"
  | "labels"
  | "expires_at";

/** In the order the form shows them, so the first one in trouble gets focus. */
export const KEY_FIELDS: readonly KeyField[] = [
  "name",
  "description",
  "rpm",
  "tpm",
  "token_limit",
  "token_limit_period",
  "allowed_models",
  "workloads",
  "labels",
  "expires_at",
];

export function isKeyField(field: string | null): field is KeyField {
  return (KEY_FIELDS as readonly (string | null)[]).includes(field);
}

export const PERIODS: readonly TokenLimitPeriod[] = ["minute", "hour", "day", "week", "month"];

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function descriptionProblem(value: string): string | null {
  const length = [...value.trim()].length;
  return length > DESCRIPTION_MAX
    ? `Description must be at most ${DESCRIPTION_MAX} characters (this one has ${length}).`
    : null;
}

/**
 * A limit as typed: empty means none. Digit-group separators people paste
 * ("1,000,000", "1 000 000", "1_000_000") are accepted.
 */
export function parseLimit(raw: string): { value: number | null; problem: string | null } {
  const compact = raw.trim().replace(/[\s,_]/g, "");
  if (compact === "") return { value: null, problem: null };
  if (!/^\d+$/.test(compact)) return { value: null, problem: "Enter a whole number, or leave it empty for no limit." };
  const value = Number(compact);
  if (value < 1 || value > LIMIT_MAX) {
    return { value: null, problem: "Enter a number from 1 to 1,000,000,000,000, or leave it empty for no limit." };
  }
  return { value, problem: null };
}

/** A budget and its period go together; the problem is named on the one missing. */
export function budgetProblems(
  limit: number | null,
  period: TokenLimitPeriod | null,
): { token_limit?: string; token_limit_period?: string } {
  if (limit !== null && period === null) return { token_limit_period: "Choose the period the budget applies to." };
  if (limit === null && period !== null) return { token_limit: "Enter the token budget, or set the period back to none." };
  return {};
}

function listProblem(items: string[], what: string, valid: (item: string) => string | null): string | null {
  if (items.length > LIST_MAX) return `At most ${LIST_MAX} ${what}s (this has ${items.length}).`;
  const seen = new Set<string>();
  for (const item of items) {
    const problem = valid(item);
    if (problem) return problem;
    if (seen.has(item)) return `“${item}” is listed twice.`;
    seen.add(item);
  }
  return null;
}

/** Allowed models; an empty list is fine (it means every model). */
export function modelsProblem(models: string[]): string | null {
  return listProblem(models, "model", (model) => {
    if (model.length === 0) return "A model name cannot be empty.";
    if ([...model].length > MODEL_MAX) return `A model name must be at most ${MODEL_MAX} characters.`;
    if (CONTROL.test(model)) return "A model name must not contain control characters.";
    return null;
  });
}

export function isSlug(value: string): boolean {
  return /^[a-z0-9][a-z0-9-]{0,62}$/.test(value);
}

/** Workload slugs when the key is limited to some workloads. */
export function workloadsProblem(slugs: string[]): string | null {
  if (slugs.length === 0) return "Add at least one workload, or choose Whole project.";
  return listProblem(slugs, "workload", (slug) =>
    isSlug(slug)
      ? null
      : `“${slug}” is not a workload slug: lowercase letters, digits and '-', starting with a letter or digit, up to 63 characters.`,
  );
}

export type LabelRow = { key: string; value: string };

/** Rows left entirely empty are ignored: they are the blank row the form offers. */
export function filledLabels(rows: LabelRow[]): LabelRow[] {
  return rows.filter((row) => row.key.trim() !== "" || row.value !== "");
}

export function labelsProblem(rows: LabelRow[]): string | null {
  const filled = filledLabels(rows);
  if (filled.length > LABELS_MAX) return `At most ${LABELS_MAX} labels (this has ${filled.length}).`;
  const seen = new Set<string>();
  for (const { key, value } of filled) {
    const name = key.trim();
    if (name === "") return "Every label needs a name.";
    if (!/^[A-Za-z0-9._/-]{1,63}$/.test(name)) {
      return `Label name “${name}” must be 1–63 letters, digits, '.', '_', '/' or '-'.`;
    }
    if (seen.has(name)) return `Label “${name}” is set twice.`;
    seen.add(name);
    if ([...value].length > LABEL_VALUE_MAX || CONTROL.test(value)) {
      return `Label “${name}” must have a value of at most ${LABEL_VALUE_MAX} printable characters.`;
    }
  }
  return null;
}

/** The labels map the backend takes. Call after `labelsProblem` passed. */
export function labelsMap(rows: LabelRow[]): Record<string, string> {
  return Object.fromEntries(filledLabels(rows).map(({ key, value }) => [key.trim(), value]));
}

/** `YYYY-MM-DD` of the day after `now`, in UTC: the earliest date an expiry can name. */
export function firstExpiryDate(now: Date): string {
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
  return next.toISOString().slice(0, 10);
}

/** An expiry date: 00:00 UTC of that day, which must still be ahead of `now`. */
export function expiryDateProblem(date: string, now: Date): string | null {
  if (date === "") return "Choose the date the key expires.";
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) {
    return "Enter a date like 2027-01-31.";
  }
  if (Date.parse(`${date}T00:00:00Z`) <= now.getTime()) {
    return "The date has passed: choose a later one (the key expires at 00:00 UTC that day).";
  }
  return null;
}

export function expiryDaysProblem(raw: string): { days: number | null; problem: string | null } {
  const trimmed = raw.trim();
  if (!/^\d+$/.test(trimmed)) return { days: null, problem: `Enter a whole number of days from 1 to ${DAYS_MAX}.` };
  const days = Number(trimmed);
  if (days < 1 || days > DAYS_MAX) return { days: null, problem: `Enter a whole number of days from 1 to ${DAYS_MAX}.` };
  return { days, problem: null };
}
