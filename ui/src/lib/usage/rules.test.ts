// The Usage screen's pure rules: the request each control sends, how counts, changes,
// spikes and dates read, the statement's default month, the zones offered, and the
// price form's checks (the server's rules, caught before a request).
import { describe, expect, it } from "vitest";
import {
  checkPrice,
  compactCount,
  DEFAULT_CONTROLS,
  formatChange,
  formatInstant,
  formatInteger,
  previousMonth,
  priceFieldOf,
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
  it("shows counts exactly, with thousands separators", () => {
    expect(formatInteger(1234567)).toBe("1,234,567");
    expect(formatInteger(0)).toBe("0");
  });

  it("shows the change against the previous period, or a dash when there was none", () => {
    expect(formatChange({ current: 125, previous: 100, change_percent: 25 })).toBe("↑ 25%");
    expect(formatChange({ current: 45, previous: 60, change_percent: -25 })).toBe("↓ 25%");
    expect(formatChange({ current: 1, previous: 3, change_percent: -66.6666 })).toBe("↓ 66.7%");
    expect(formatChange({ current: 5, previous: 5, change_percent: 0 })).toBe("no change");
    expect(formatChange({ current: 5, previous: 0, change_percent: null })).toBe("—");
  });

  it("shortens counts in sentences", () => {
    expect(compactCount(950)).toBe("950");
    expect(compactCount(48_000)).toBe("48k");
    expect(compactCount(1_250_000)).toBe("1.3M");
  });
});

describe("dates", () => {
  it("reads instants in the chosen zone", () => {
    expect(formatInstant("2026-11-12T14:00:00Z", "UTC")).toBe("12 Nov 14:00");
    expect(formatInstant("2026-11-12T14:00:00Z", "Asia/Tokyo")).toBe("12 Nov 23:00");
    expect(formatInstant("2026-11-12T14:00:00Z", "UTC", false)).toBe("12 Nov 2026");
    expect(formatInstant("not a date", "UTC")).toBe("not a date");
  });

  it("says how far above the usual a spike is", () => {
    expect(spikeSentence({ bucket: "2026-11-12T14:00:00Z", tokens: 48_000, baseline: 8_000 }, "UTC")).toBe(
      "Spike: 12 Nov 14:00 — 48k tokens, 6× the usual",
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

describe("checkPrice", () => {
  const good = { model: "gpt-4o", input_per_million: "2.50", output_per_million: "10", currency: "usd" };

  it("accepts non-negative decimals with up to 6 decimals and a three-letter currency", () => {
    expect(checkPrice(good)).toEqual({});
    expect(checkPrice({ ...good, input_per_million: "0.000001", output_per_million: ".5" })).toEqual({});
  });

  it("names each field in trouble", () => {
    const problems = checkPrice({ model: " ", input_per_million: "-1", output_per_million: "1.1234567", currency: "US" });
    expect(Object.keys(problems).sort()).toEqual(["currency", "input_per_million", "model", "output_per_million"]);
  });

  it("refuses words, commas, empty prices and misplaced decimal points", () => {
    for (const text of ["abc", "1,50", "", "1e3", "2000000"]) {
      expect(checkPrice({ ...good, input_per_million: text }).input_per_million).toBeTruthy();
    }
  });

  it("maps the server's field names to the form's", () => {
    expect(priceFieldOf({ code: "invalid_input", message: "bad", field: "currency" })).toBe("currency");
    expect(priceFieldOf({ code: "internal", message: "bad", field: null })).toBeNull();
  });
});
