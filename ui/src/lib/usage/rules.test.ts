// The Usage screen's pure rules: the request each control sends, how counts, changes,
// spikes and dates read, the statement's default month, the zones offered, and where
// the price form's problems go (the rules are Rust's: keyward-core prices.rs).
import { describe, expect, it } from "vitest";
import { formatCompact, formatDateTime } from "$lib/format";
import {
  DEFAULT_CONTROLS,
  formatChange,
  previousMonth,
  priceFieldOf,
  priceProblems,
  spikeSentence,
  timeZones,
  usageRequest,
} from "./rules";

describe("usageRequest", () => {
  it("sends the defaults: last 7 days in UTC, auto bucket, no filters, spend by model", () => {
    expect(usageRequest(DEFAULT_CONTROLS)).toEqual({
      preset: "last_7_days",
      custom_start: null,
      custom_end: null,
      time_zone: "UTC",
      bucket: null,
      project_id: null,
      key_ids: [],
      models: [],
      workload: null,
      spend_by: "model",
    });
  });

  it("sends a custom range's days, the bucket override, filters and a trimmed workload", () => {
    expect(
      usageRequest({
        ...DEFAULT_CONTROLS,
        preset: "custom",
        customStart: "2026-10-01",
        customEnd: "2026-10-31",
        bucket: "day",
        timeZone: "Europe/Berlin",
        keyIds: ["key_a"],
        models: ["gpt-4o"],
        workload: "  chat ",
        spendBy: "key",
      }),
    ).toMatchObject({
      preset: "custom",
      custom_start: "2026-10-01",
      custom_end: "2026-10-31",
      bucket: "day",
      time_zone: "Europe/Berlin",
      key_ids: ["key_a"],
      models: ["gpt-4o"],
      workload: "chat",
      spend_by: "key",
    });
  });

  it("drops custom days left over from another preset", () => {
    const request = usageRequest({ ...DEFAULT_CONTROLS, preset: "previous_month", customStart: "2026-10-01" });
    expect(request.custom_start).toBeNull();
  });
});

describe("numbers", () => {
  it("shows the change against the previous period, or a dash when there was none", () => {
    expect(formatChange({ current: 125, previous: 100, change_percent: 25 })).toBe("↑ 25%");
    expect(formatChange({ current: 45, previous: 60, change_percent: -25 })).toBe("↓ 25%");
    expect(formatChange({ current: 1, previous: 3, change_percent: -66.6666 })).toBe("↓ 66.7%");
    expect(formatChange({ current: 5, previous: 5, change_percent: 0 })).toBe("no change");
    expect(formatChange({ current: 5, previous: 0, change_percent: null })).toBe("—");
  });

});

describe("dates", () => {
  it("says how far above the usual a spike is", () => {
    expect(spikeSentence({ bucket: "2026-11-12T14:00:00Z", tokens: 48_000, baseline: 8_000 }, "UTC")).toBe(
      `Spike: ${formatDateTime("2026-11-12T14:00:00Z", "UTC")} — ${formatCompact(48_000)} tokens, 6× the usual`,
    );
    expect(spikeSentence({ bucket: "2026-11-12T14:00:00Z", tokens: 5_000, baseline: 0 }, "UTC")).toContain(
      "the usual is near zero",
    );
  });

  it("defaults the statement to the previous month, across a year", () => {
    expect(previousMonth(new Date(2026, 10, 22))).toBe("2026-10");
    expect(previousMonth(new Date(2026, 0, 5))).toBe("2025-12");
  });

  it("offers UTC first, then the browser's zone, without duplicates", () => {
    const zones = timeZones("Europe/Berlin");
    expect(zones[0]).toBe("UTC");
    expect(zones[1]).toBe("Europe/Berlin");
    expect(zones.filter((z) => z === "Europe/Berlin")).toHaveLength(1);
    expect(timeZones("UTC").filter((z) => z === "UTC")).toHaveLength(1);
  });
});

describe("price form problems", () => {
  it("places Rust's problems under the form's fields, the first per field", () => {
    expect(
      priceProblems([
        { field: "currency", message: "Use a three-letter currency code such as USD or EUR." },
        { field: "currency", message: "second" },
        { field: "elsewhere", message: "ignored" },
      ]),
    ).toEqual({ currency: "Use a three-letter currency code such as USD or EUR." });
  });

  it("maps the server's field names to the form's", () => {
    expect(priceFieldOf({ code: "invalid_input", message: "bad", field: "currency" })).toBe("currency");
    expect(priceFieldOf({ code: "internal", message: "bad", field: null })).toBeNull();
  });
});
