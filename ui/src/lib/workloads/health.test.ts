import { describe, expect, it } from "vitest";
import { filterRows, formatAge, formatAgo, formatPercent, formatSeconds, joinHealth, sortRows } from "./health";
import { summary, workload } from "./fixtures";

const a = workload({ slug: "alpha", name: "Alpha" });
const b = workload({ slug: "bravo", name: "Bravo", model_name: "qwen" });
const c = workload({ slug: "charlie", name: "Charlie" });
const rows = joinHealth(
  [a, b, c],
  [
    summary({ slug: "alpha", status: "healthy", kv_cache: 0.2, e2e_p95: 0.3 }),
    summary({ slug: "bravo", status: "down", reason: "Engine dead", kv_cache: null, e2e_p95: 2 }),
  ],
);

describe("workload health helpers", () => {
  it("joins the summary by id; a workload without one has no health", () => {
    expect(rows.map((r) => r.health?.status ?? null)).toEqual(["healthy", "down", null]);
  });

  it("sorts trouble first by status, numbers with missing values last either way", () => {
    expect(sortRows(rows, "status", false).map((r) => r.workload.slug)).toEqual(["bravo", "charlie", "alpha"]);
    expect(sortRows(rows, "kv_cache", true).map((r) => r.workload.slug)).toEqual(["alpha", "bravo", "charlie"]);
    expect(sortRows(rows, "p95", true).map((r) => r.workload.slug)).toEqual(["bravo", "alpha", "charlie"]);
    expect(sortRows(rows, "name", true).map((r) => r.workload.slug)).toEqual(["charlie", "bravo", "alpha"]);
  });

  it("filters by status (no health counts as unknown) and by name, slug or model", () => {
    expect(filterRows(rows, "unknown", "").map((r) => r.workload.slug)).toEqual(["charlie"]);
    expect(filterRows(rows, "all", "QWEN").map((r) => r.workload.slug)).toEqual(["bravo"]);
    expect(filterRows(rows, "down", "alpha")).toEqual([]);
  });

  it("formats what a row shows", () => {
    expect(formatPercent(0.987)).toBe("99 %");
    expect(formatPercent(null)).toBe("—");
    expect(formatSeconds(0.0421)).toBe("42 ms");
    expect(formatSeconds(2.5)).toBe("2.50 s");
    const now = Date.parse("2026-03-10T12:00:00Z");
    expect(formatAgo("2026-03-10T11:59:58Z", now)).toBe("just now");
    expect(formatAgo("2026-03-10T11:59:20Z", now)).toBe("40 s ago");
    expect(formatAgo("2026-03-10T11:50:00Z", now)).toBe("10 min ago");
    expect(formatAgo(null, now)).toBe("never");
    expect(formatAge("2026-03-10T11:59:20Z", now)).toBe("just now");
    expect(formatAge("2026-03-10T11:57:59Z", now)).toBe("2 min ago");
  });
});
