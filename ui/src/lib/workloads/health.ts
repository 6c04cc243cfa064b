// Workload health as people read it: status labels and order, the numbers of a summary
// row (percent, seconds, "12 s ago"), and the list's sort and filter. Pure functions,
// shared by the list, the workload page and the event log, and tested on their own.
import type { Workload, WorkloadHealthSummary } from "$lib/bindings";
import { formatCount as formatGrouped, formatDate } from "$lib/format";
import { STATE_WORDS } from "./changes";

export type Status = "healthy" | "degraded" | "down" | "unknown";
export const STATUSES: Status[] = ["healthy", "degraded", "down", "unknown"];

/** The gateway's statuses are workload states too: one set of words for both. */
export const STATUS_LABEL: Record<Status, string> = {
  healthy: STATE_WORDS.healthy,
  degraded: STATE_WORDS.degraded,
  down: STATE_WORDS.down,
  unknown: STATE_WORDS.unknown,
};

/** Worst first, so "sort by status" puts trouble on top. */
const STATUS_ORDER: Record<Status, number> = { down: 0, degraded: 1, unknown: 2, healthy: 3 };

export function asStatus(value: string | undefined | null): Status {
  return (STATUSES as string[]).includes(value ?? "") ? (value as Status) : "unknown";
}

/** A workload with what the last probe found (no probe yet: `health` is null). */
export type WorkloadRow = { workload: Workload; health: WorkloadHealthSummary | null };

export function joinHealth(workloads: Workload[], summary: WorkloadHealthSummary[]): WorkloadRow[] {
  const byId = new Map(summary.map((s) => [s.workload_id, s]));
  return workloads.map((workload) => ({ workload, health: byId.get(workload.id) ?? null }));
}

export function formatPercent(fraction: number | null | undefined): string {
  return fraction == null ? "—" : `${Math.round(fraction * 100)} %`;
}

export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds == null) return "—";
  return seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
}

/** A gauge's count, grouped like every number on screen; "—" when there is none. */
export function formatCount(value: number | null | undefined): string {
  return value == null ? "—" : formatGrouped(Math.round(value));
}

/** "just now", "42 s ago", "5 min ago", "3 h ago", or the date beyond a day. */
export function formatAgo(iso: string | null | undefined, now: number): string {
  if (!iso) return "never";
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 5) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return formatDate(iso);
}

/** A probe's age to the minute ("just now" under a minute): what the list shows, so a
 * workload probed every 10 s keeps the same text and its cell is not redrawn. */
export function formatAge(iso: string | null | undefined, now: number): string {
  if (!iso) return "never";
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const seconds = Math.max(0, (now - at) / 1000);
  return seconds < 60 ? "just now" : formatAgo(iso, now);
}

export type SortKey =
  | "name"
  | "slug"
  | "model"
  | "backend"
  | "task_type"
  | "status"
  | "gpus"
  | "running"
  | "waiting"
  | "kv_cache"
  | "p95"
  | "checked_at";

function sortValue(row: WorkloadRow, key: SortKey): string | number | null {
  const h = row.health;
  switch (key) {
    case "name":
      return row.workload.name.toLowerCase();
    case "slug":
      return row.workload.slug;
    case "model":
      return row.workload.model_name.toLowerCase();
    case "backend":
      return row.workload.backend;
    case "task_type":
      return row.workload.task_type;
    case "status":
      return STATUS_ORDER[asStatus(h?.status)];
    case "gpus":
      return h?.gpus ?? null;
    case "running":
      return h?.running ?? null;
    case "waiting":
      return h?.waiting ?? null;
    case "kv_cache":
      return h?.kv_cache ?? null;
    case "p95":
      return h?.e2e_p95 ?? null;
    case "checked_at":
      return h?.checked_at ? Date.parse(h.checked_at) : null;
  }
}

/** Sorted copy; rows without a value go last in either direction, ties by name. */
export function sortRows(rows: WorkloadRow[], key: SortKey, descending: boolean): WorkloadRow[] {
  return [...rows].sort((a, b) => {
    const x = sortValue(a, key);
    const y = sortValue(b, key);
    if (x === null && y === null) return a.workload.name.localeCompare(b.workload.name);
    if (x === null) return 1;
    if (y === null) return -1;
    const order = x < y ? -1 : x > y ? 1 : 0;
    if (order === 0) return a.workload.name.localeCompare(b.workload.name);
    return descending ? -order : order;
  });
}

export function filterRows(rows: WorkloadRow[], status: Status | "all", text: string): WorkloadRow[] {
  const q = text.trim().toLowerCase();
  return rows.filter((row) => {
    if (status !== "all" && asStatus(row.health?.status) !== status) return false;
    if (!q) return true;
    const w = row.workload;
    return [w.name, w.slug, w.model_name].some((v) => v.toLowerCase().includes(q));
  });
}
