// The Usage & Spend screen's pure parts: the choices it offers (periods, buckets, time
// zones), the request it sends for them, how its numbers read (counts, change against
// the previous period, spikes, dates in the chosen zone), and where the price form's
// problems go (the rules themselves live in Rust: `checkPriceForm`).
import { formatCompact, formatDateTime } from "$lib/format";
import type { AppError, Change, FieldProblem, ModelPrice, PeriodPreset, SpendBy, UsageBucket, UsageRequest } from "$lib/bindings";

export const PRESETS: { value: PeriodPreset; label: string }[] = [
  { value: "last_24_hours", label: "Last 24 hours" },
  { value: "last_7_days", label: "Last 7 days" },
  { value: "last_30_days", label: "Last 30 days" },
  { value: "last_90_days", label: "Last 90 days" },
  { value: "month_to_date", label: "Month to date" },
  { value: "previous_month", label: "Previous month" },
  { value: "custom", label: "Custom range" },
];

export type BucketChoice = "auto" | Exclude<UsageBucket, "none">;

export const BUCKETS: { value: BucketChoice; label: string }[] = [
  { value: "auto", label: "Auto" },
  { value: "minute", label: "Minute" },
  { value: "hour", label: "Hour" },
  { value: "day", label: "Day" },
];

/** Finance reads UTC by default; then the browser's zone and a few common ones. */
const COMMON_ZONES = [
  "America/New_York",
  "America/Chicago",
  "America/Los_Angeles",
  "Europe/London",
  "Europe/Berlin",
  "Asia/Kolkata",
  "Asia/Singapore",
  "Asia/Tokyo",
  "Australia/Sydney",
];

export function timeZones(browserZone: string | undefined): string[] {
  const zones = ["UTC"];
  for (const zone of [browserZone, ...COMMON_ZONES]) {
    if (zone && !zones.includes(zone)) zones.push(zone);
  }
  return zones;
}

/** What the controls hold; `request` turns it into what Rust reads. */
export type UsageControls = {
  preset: PeriodPreset;
  customStart: string;
  customEnd: string;
  timeZone: string;
  bucket: BucketChoice;
  keyIds: string[];
  models: string[];
  workload: string;
  spendBy: SpendBy;
  /** "" = the profile's own project. */
  projectId: string;
};

export const DEFAULT_CONTROLS: UsageControls = {
  preset: "last_7_days",
  customStart: "",
  customEnd: "",
  timeZone: "UTC",
  bucket: "auto",
  keyIds: [],
  models: [],
  workload: "",
  spendBy: "model",
  projectId: "",
};

export function usageRequest(c: UsageControls): UsageRequest {
  const custom = c.preset === "custom";
  return {
    preset: c.preset,
    custom_start: custom && c.customStart ? c.customStart : null,
    custom_end: custom && c.customEnd ? c.customEnd : null,
    time_zone: c.timeZone,
    bucket: c.bucket === "auto" ? null : c.bucket,
    project_id: c.projectId === "" ? null : c.projectId,
    key_ids: [...c.keyIds],
    models: [...c.models],
    workload: c.workload.trim() === "" ? null : c.workload.trim(),
    spend_by: c.spendBy,
  };
}

// ---- How numbers read (counts and dates come from $lib/format, as on every screen) ----

/** "↑ 12.5%", "↓ 3%", "no change", or "—" when the previous period had nothing. */
export function formatChange(change: Change): string {
  const percent = change.change_percent;
  if (percent === null || !Number.isFinite(percent)) return "—";
  const rounded = Math.round(Math.abs(percent) * 10) / 10;
  if (rounded === 0) return "no change";
  return `${percent > 0 ? "↑" : "↓"} ${rounded}%`;
}

/** "Spike: Nov 12, 2026, 2:00 PM — 48K tokens, 6× the usual" (in the screen's zone). */
export function spikeSentence(spike: { bucket: string; tokens: number; baseline: number }, timeZone: string): string {
  const usual =
    spike.baseline > 0 ? `${Math.round(spike.tokens / spike.baseline)}× the usual` : "the usual is near zero";
  return `Spike: ${formatDateTime(spike.bucket, timeZone)} — ${formatCompact(spike.tokens)} tokens, ${usual}`;
}

/** The month before `now`'s, as `YYYY-MM` (the statement finance hands on). */
export function previousMonth(now: Date): string {
  const year = now.getMonth() === 0 ? now.getFullYear() - 1 : now.getFullYear();
  const month = now.getMonth() === 0 ? 12 : now.getMonth();
  return `${year}-${String(month).padStart(2, "0")}`;
}

// ---- The price form ------------------------------------------------------------

export type PriceForm = Omit<ModelPrice, "updated_at">;
export type PriceField = keyof PriceForm;
export type PriceProblems = Partial<Record<PriceField, string>>;

/** The form check's problems (`checkPriceForm`), by the field they go under. */
export function priceProblems(found: FieldProblem[]): PriceProblems {
  const problems: PriceProblems = {};
  for (const problem of found) {
    const field = priceFieldOf({ code: "invalid_input", message: problem.message, field: problem.field });
    if (field && !problems[field]) problems[field] = problem.message;
  }
  return problems;
}

/** The server's field error, placed on the form field it names (or null: show it above). */
export function priceFieldOf(error: AppError): PriceField | null {
  const fields: PriceField[] = ["model", "input_per_million", "output_per_million", "currency"];
  return fields.find((f) => f === error.field) ?? null;
}
