// The Usage & Spend screen's pure parts: the choices it offers (periods, buckets, time
// zones), the request it sends for them, how its numbers read (counts, change against
// the previous period, spikes, dates in the chosen zone), and the price form's checks,
// which mirror `keyward_core::prices` so a typo is caught before any request.
import type { AppError, Change, ModelPrice, PeriodPreset, SpendBy, UsageBucket, UsageRequest } from "$lib/bindings";

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

export function browserTimeZone(): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
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

// ---- How numbers read ----------------------------------------------------------

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** The exact count with thousands separators: 1234567 → "1,234,567". */
export function formatInteger(value: number): string {
  return integer.format(value);
}

/** "↑ 12.5%", "↓ 3%", "no change", or "—" when the previous period had nothing. */
export function formatChange(change: Change): string {
  const percent = change.change_percent;
  if (percent === null || !Number.isFinite(percent)) return "—";
  const rounded = Math.round(Math.abs(percent) * 10) / 10;
  if (rounded === 0) return "no change";
  return `${percent > 0 ? "↑" : "↓"} ${rounded}%`;
}

/** "48k", "1.2M": for sentences, where the exact count would be noise. */
export function compactCount(value: number): string {
  const abs = Math.abs(value);
  const trim = (n: number) => String(Math.round(n * 10) / 10);
  if (abs >= 1e9) return `${trim(value / 1e9)}B`;
  if (abs >= 1e6) return `${trim(value / 1e6)}M`;
  if (abs >= 1e3) return `${trim(value / 1e3)}k`;
  return String(Math.round(value));
}

/** "12 Nov 14:00" in `timeZone`; the input itself if it is not a date. */
export function formatInstant(iso: string, timeZone: string, withTime = true): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat("en-GB", {
      day: "numeric",
      month: "short",
      year: withTime ? undefined : "numeric",
      hour: withTime ? "2-digit" : undefined,
      minute: withTime ? "2-digit" : undefined,
      hourCycle: "h23",
      timeZone,
    }).formatToParts(date);
  } catch {
    return iso;
  }
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const day = `${get("day")} ${get("month")}`;
  return withTime ? `${day} ${get("hour")}:${get("minute")}` : `${day} ${get("year")}`;
}

/** "Spike: 12 Nov 14:00 — 48k tokens, 6× the usual". */
export function spikeSentence(spike: { bucket: string; tokens: number; baseline: number }, timeZone: string): string {
  const usual =
    spike.baseline > 0 ? `${Math.round(spike.tokens / spike.baseline)}× the usual` : "the usual is near zero";
  return `Spike: ${formatInstant(spike.bucket, timeZone)} — ${compactCount(spike.tokens)} tokens, ${usual}`;
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

const DECIMAL = /^(\d{1,7}(\.\d{0,6})?|\.\d{1,6})$/;
const MAX_PER_MILLION = 1_000_000;

function priceProblem(label: string, text: string): string | undefined {
  const value = text.trim();
  if (value === "") return `Enter the price per 1M ${label} tokens, e.g. 2.50.`;
  if (!DECIMAL.test(value)) return "Use digits with at most 6 decimals, not negative (e.g. 2.50).";
  if (Number(value) > MAX_PER_MILLION) return "That is over 1,000,000 per million tokens; check the decimal point.";
  return undefined;
}

/** Problems with the form before it is sent, by field; empty when it may be sent. */
export function checkPrice(form: PriceForm): PriceProblems {
  const problems: PriceProblems = {};
  const model = form.model.trim();
  if (model === "") problems.model = "Enter the model name as requests send it.";
  else if ([...model].length > 200) problems.model = "A model name has at most 200 characters.";
  const input = priceProblem("input", form.input_per_million);
  if (input) problems.input_per_million = input;
  const output = priceProblem("output", form.output_per_million);
  if (output) problems.output_per_million = output;
  if (!/^[A-Za-z]{3}$/.test(form.currency.trim())) problems.currency = "Use a three-letter currency code such as USD.";
  return problems;
}

/** The server's field error, placed on the form field it names (or null: show it above). */
export function priceFieldOf(error: AppError): PriceField | null {
  const fields: PriceField[] = ["model", "input_per_million", "output_per_million", "currency"];
  return fields.find((f) => f === error.field) ?? null;
}
