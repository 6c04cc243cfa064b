// The key form's names for its fields and what its controls offer. The rules a key's
// settings must follow live once, in Rust (`keyward_core::key_draft`, the gateway's own
// `keyward_api::scope` beneath it), and the form asks over IPC (`checkKeyForm`); what is
// here only places and offers: the fields as `AppError.field` spells them, in the
// form's order, the budget periods, and the earliest expiry date the picker shows.
import type { TokenLimitPeriod } from "$lib/bindings";

/** The fields of a key form, spelled as the backend names them in `AppError.field`. */
export type KeyField =
  | "name"
  | "project"
  | "description"
  | "rpm"
  | "tpm"
  | "token_limit"
  | "token_limit_period"
  | "money_limit"
  | "money_reset"
  | "max_parallel"
  | "model_limits"
  | "allowed_models"
  | "workloads"
  | "labels"
  | "expires_at";

/** In the order the form shows them, so the first one in trouble gets focus. */
export const KEY_FIELDS: readonly KeyField[] = [
  "name",
  "project",
  "description",
  "rpm",
  "tpm",
  "token_limit",
  "token_limit_period",
  "money_limit",
  "money_reset",
  "max_parallel",
  "model_limits",
  "allowed_models",
  "workloads",
  "labels",
  "expires_at",
];

export function isKeyField(field: string | null): field is KeyField {
  return (KEY_FIELDS as readonly (string | null)[]).includes(field);
}

export const PERIODS: readonly TokenLimitPeriod[] = ["minute", "hour", "day", "week", "month"];

/** `YYYY-MM-DD` of the day after `now`, locally: the earliest date an expiry can name. */
export function firstExpiryDate(now: Date): string {
  const next = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${next.getFullYear()}-${pad(next.getMonth() + 1)}-${pad(next.getDate())}`;
}
