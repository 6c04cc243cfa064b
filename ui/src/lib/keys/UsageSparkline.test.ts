// The last-24-hours sparkline on its own: one bar per hour with its height in proportion
// to the hour's tokens, each hour's exact numbers as a tooltip in local time (one zone convention, issue #15), one sentence with
// the totals for screen readers, the axis ends in local time, and a quiet day drawn as
// a flat baseline (with a word only when the key was used before).
import { render, screen } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { formatClock } from "$lib/format";
import UsageSparkline from "./UsageSparkline.svelte";
import { FIRST_HOUR, keyUsage, usageHours } from "./fixtures";

const hours = () => screen.getAllByTestId("key-usage-hour");
const barHeight = (hour: HTMLElement) => Number(hour.querySelector(".bar")?.getAttribute("height"));
const tooltip = (hour: HTMLElement) => hour.querySelector("title")?.textContent;
/** "20:00" UTC on the fixture's day, as the local clock shows it. */
const clock = (utc: string) => formatClock(new Date(`2026-01-31T${utc}:00Z`));

// 2026-01-31 10:00 UTC is index 0, so index 10 is 20:00 and index 13 is 23:00.
const busy = keyUsage({
  totals: { requests: 40, input_tokens: 9000, output_tokens: 3000 },
  hourly: usageHours((index) => {
    if (index === 10) return { requests: 3, input_tokens: 1000, output_tokens: 234 };
    if (index === 13) return { requests: 1, input_tokens: 600, output_tokens: 17 };
    if (index === 23) return { requests: 8, input_tokens: 2000, output_tokens: 468 };
    return {};
  }),
});

describe("UsageSparkline", () => {
  it("draws 24 hours with heights in proportion to their tokens", () => {
    render(UsageSparkline, { usage: busy });

    expect(hours()).toHaveLength(24);
    const heights = hours().map(barHeight);
    const peak = heights[23]!;
    expect(peak).toBeGreaterThan(0);
    // 1,234 and 617 tokens against a peak of 2,468: a half and a quarter.
    expect(heights[10]! / peak).toBeCloseTo(0.5, 5);
    expect(heights[13]! / peak).toBeCloseTo(0.25, 5);
    expect(heights.filter((height) => height === 0)).toHaveLength(21);
  });

  it("gives each hour its requests and tokens as a tooltip, in local time like the axis", () => {
    render(UsageSparkline, { usage: busy });

    expect(tooltip(hours()[0]!)).toBe(`${clock("10:00")}–${clock("11:00")}: 0 requests, 0 tokens`);
    expect(tooltip(hours()[10]!)).toBe(`${clock("20:00")}–${clock("21:00")}: 3 requests, 1,234 tokens`);
    expect(tooltip(hours()[13]!)).toBe(`${clock("23:00")}–${clock("00:00")}: 1 request, 617 tokens`);
    expect(tooltip(hours()[23]!)).toBe(`${clock("09:00")}–${clock("10:00")}: 8 requests, 2,468 tokens`);
  });

  it("sums the day for screen readers and labels the axis ends in local time", () => {
    render(UsageSparkline, { usage: busy });

    expect(screen.getByTestId("key-usage-sparkline")).toHaveAccessibleName("Last 24 hours: 12 requests, 4,319 tokens");
    const local = new Intl.DateTimeFormat(undefined, { weekday: "short", hour: "numeric", minute: "2-digit" });
    const start = screen.getByTestId("key-usage-sparkline-start");
    const end = screen.getByTestId("key-usage-sparkline-end");
    expect(start).toHaveAttribute("datetime", new Date(FIRST_HOUR).toISOString());
    expect(start).toHaveTextContent(local.format(new Date(FIRST_HOUR)));
    expect(end).toHaveAttribute("datetime", "2026-02-01T10:00:00.000Z");
    expect(end).toHaveTextContent(local.format(new Date("2026-02-01T10:00:00Z")));
    expect(screen.queryByTestId("key-usage-quiet")).not.toBeInTheDocument();
  });

  it("draws a quiet day as a flat baseline, without a word for a key never used", () => {
    const { container } = render(UsageSparkline, { usage: keyUsage() });

    expect(screen.getByTestId("key-usage-sparkline")).toHaveAccessibleName("Last 24 hours: 0 requests, 0 tokens");
    expect(hours()).toHaveLength(24);
    expect(hours().map(barHeight).every((height) => height === 0)).toBe(true);
    expect(container.querySelector("line.baseline")).toBeInTheDocument();
    expect(tooltip(hours()[5]!)).toBe(`${clock("15:00")}–${clock("16:00")}: 0 requests, 0 tokens`);
    // "No usage recorded yet" is said once, beside it, by UsageBars.
    expect(screen.queryByTestId("key-usage-quiet")).not.toBeInTheDocument();
  });

  it("says a key used before has had no requests in the last 24 hours", () => {
    render(UsageSparkline, { usage: keyUsage({ totals: { requests: 5, input_tokens: 100, output_tokens: 20 } }) });

    expect(screen.getByTestId("key-usage-quiet")).toHaveTextContent("No requests in the last 24 hours.");
    expect(hours().map(barHeight).every((height) => height === 0)).toBe(true);
  });
});
