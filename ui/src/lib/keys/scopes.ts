// How a key's settings and history read to a person: "60 requests/min" rather than
// `rpm: 60`, "All models" rather than `null`. Shared by the key page and the dialogs
// that describe a key, so one scope is worded the same everywhere.
import type { JsonValue, Key, KeyState, MoneyBudget, MoneyUsed, TokenBudget, UsageTotals } from "$lib/bindings";
import { currencyFormat, formatCount, formatDateTime } from "$lib/format";

export { formatCount };

export const STATUS_LABEL: Record<KeyState, string> = {
  active: "Active",
  disabled: "Disabled",
  revoked: "Revoked",
  expired: "Expired",
  archived: "Archived",
};

/** The badge style of a state: green while it works, amber while paused, grey once stopped. */
export function stateBadge(state: KeyState): string {
  if (state === "active") return "badge-active";
  return state === "disabled" ? "badge-paused" : "badge-revoked";
}

export function rateText(value: number | null, unit: "requests" | "tokens"): string {
  return value === null ? "Unlimited" : `${formatCount(value)} ${unit}/min`;
}

export function budgetText(budget: TokenBudget | null): string {
  if (budget === null) return "Unlimited";
  return `${formatCount(budget.tokens)} tokens per ${budget.period}`;
}

/** "$50.00": exact micros of `currency`, made a float only here, for display. */
export function moneyText(micros: number, currency: string): string {
  const value = micros / 1_000_000;
  try {
    return currencyFormat(currency).format(value);
  } catch {
    // A code Intl does not know is still the platform's word for it.
    return `${value.toFixed(2)} ${currency}`;
  }
}

/** "$50.00 / month", "€20.00 in all" (a lifetime budget); "None" without one. */
export function moneyBudgetText(budget: MoneyBudget | null): string {
  if (budget === null) return "None";
  const amount = moneyText(budget.micros, budget.currency);
  return budget.reset === null ? `${amount} in all` : `${amount} / ${budget.reset}`;
}

/** A lifetime counter, or "—" where the platform keeps none on the key. */
export function totalText(totals: UsageTotals | null, field: keyof UsageTotals): string {
  return totals === null ? "—" : formatCount(totals[field]);
}

/**
 * A scope the gateway could not read from its store (`unreadable_scopes`): it is
 * enforced as nothing (fail closed) and reported as `[]`, so the screens must say so
 * rather than show "none" — or, worse, an empty list read as "all" (issue #15).
 */
export function unreadableScope(key: Pick<Key, "unreadable_scopes">, scope: "allowed_models" | "workloads"): boolean {
  return key.unreadable_scopes?.includes(scope) ?? false;
}

/** The sentence for an unreadable scope, on the key page and in the edit form. */
export function unreadableScopeText(scope: "allowed_models" | "workloads", inForm: boolean): string {
  const what = scope === "allowed_models" ? "model list" : "workload list";
  const none = scope === "allowed_models" ? "no models" : "no workloads";
  const then = inForm
    ? ` Leave it empty to keep it so; what you enter here is saved explicitly.`
    : ` Editing the key and saving sets it explicitly.`;
  return `This key's ${what} could not be read; it is enforced as ${none} (fail closed).${then}`;
}

export function labelEntries(key: Pick<Key, "scopes">): [string, string][] {
  return Object.entries(key.scopes.labels).flatMap(([name, value]): [string, string][] =>
    value === undefined ? [] : [[name, value]],
  );
}

export function expiryText(expiresAt: string | null): string {
  return expiresAt === null ? "Never expires" : `Expires ${formatDateTime(expiresAt)}`;
}

/** A rotation grace period in words: "now", "5 minutes", "1 hour", "2 days 3 hours". */
export function durationText(seconds: number): string {
  if (seconds <= 0) return "now";
  const parts: string[] = [];
  const units: [number, string][] = [
    [86_400, "day"],
    [3_600, "hour"],
    [60, "minute"],
    [1, "second"],
  ];
  let left = seconds;
  for (const [size, name] of units) {
    const amount = Math.floor(left / size);
    if (amount > 0) parts.push(`${amount} ${name}${amount === 1 ? "" : "s"}`);
    left -= amount * size;
  }
  return parts.join(" ");
}

const ACTION_LABEL: Record<string, string> = {
  "key.created": "Created",
  "key.updated": "Edited",
  "key.rotated": "Rotated the secret",
  "key.revoked": "Revoked",
  "key.archived": "Archived",
  "key.unarchived": "Unarchived",
};

export function actionText(action: string): string {
  return ACTION_LABEL[action] ?? action;
}

const FIELD_LABEL: Record<string, string> = {
  name: "Name",
  description: "Description",
  rpm: "Requests/min",
  tpm: "Tokens/min",
  token_limit: "Token budget",
  token_limit_period: "Budget period",
  allowed_models: "Models",
  workloads: "Workloads",
  labels: "Labels",
  expires_at: "Expires",
  status: "Status",
  masked: "Key",
  grace_period_seconds: "Grace period",
};

export function fieldText(field: string): string {
  return FIELD_LABEL[field] ?? field;
}

/** One side of an audited change, as text; never an object dump. */
export function auditValueText(field: string, value: JsonValue | undefined): string {
  if (value === null || value === undefined) {
    // Absent means something different per field; say what it meant.
    if (field === "rpm" || field === "tpm" || field === "token_limit") return "Unlimited";
    if (field === "allowed_models") return "All models";
    if (field === "expires_at") return "Never";
    return "—";
  }
  if (value === "") return "—";
  if (field === "workloads" && value === "*") return "Whole project";
  if (field === "grace_period_seconds" && typeof value === "number") return durationText(value);
  if (field === "expires_at" && typeof value === "string") return formatDateTime(value);
  if (typeof value === "number") return formatCount(value);
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (Array.isArray(value)) return value.length === 0 ? "—" : value.map((item) => auditValueText("", item)).join(", ");
  const entries = Object.entries(value);
  return entries.length === 0 ? "—" : entries.map(([name, item]) => `${name}=${auditValueText("", item)}`).join(", ");
}

export type AuditChange = { field: string; old: string; new: string };

/** The `{field: {old, new}}` map of an audit event, as rows in a stable order. */
export function auditChanges(changes: JsonValue): AuditChange[] {
  if (changes === null || typeof changes !== "object" || Array.isArray(changes)) return [];
  return Object.entries(changes).map(([field, change]) => {
    const pair = change !== null && typeof change === "object" && !Array.isArray(change) ? change : {};
    return { field, old: auditValueText(field, pair.old), new: auditValueText(field, pair.new) };
  });
}

/** "$3.20 this month": what a key has spent in the platform's longest running period
 * it totals (month, then week, then day), or since it was made; null when it keeps none. */
export function spentText(used: MoneyUsed | null): string | null {
  const parts = spentParts(used);
  return parts ? `${parts.amount} ${parts.period}` : null;
}

/** The same as `spentText`, amount and period apart (a table cell puts them on two lines). */
export function spentParts(used: MoneyUsed | null): { amount: string; period: string } | null {
  if (used === null) return null;
  const periods: [number | null, string][] = [
    [used.month, "this month"],
    [used.week, "this week"],
    [used.day, "today"],
    [used.total, "in all"],
  ];
  const found = periods.find(([micros]) => micros !== null);
  return found ? { amount: moneyText(found[0] as number, used.currency), period: found[1] } : null;
}

/** Each period a key's spend is totalled over, in order, for the key page and titles. */
export function spentRows(used: MoneyUsed | null): { label: string; text: string }[] {
  if (used === null) return [];
  const rows: [number | null, string][] = [
    [used.day, "today (UTC)"],
    [used.week, "this week (UTC, from Monday)"],
    [used.month, "this month (UTC)"],
    [used.total, "since created"],
  ];
  return rows
    .filter(([micros]) => micros !== null)
    .map(([micros, label]) => ({ label, text: moneyText(micros as number, used.currency) }));
}
