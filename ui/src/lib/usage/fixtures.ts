// Test data for the Usage components (imported by *.test.ts only, never by the app): a
// realistic UsageScreen as Rust returns it, so each test states only what it is about.
import type { Change, HoverPoint, ShownChart, Summary, TopRow, UsageScreen } from "$lib/bindings";

export function change(current: number, previous: number): Change {
  return { current, previous, change_percent: previous > 0 ? ((current - previous) / previous) * 100 : null };
}

export function hoverPoint(overrides: Partial<HoverPoint> = {}): HoverPoint {
  return {
    x: 100,
    y: 50,
    title: "12 Nov 14:00",
    values: [{ series: "Input", value: 1200, text: "1.2k tokens" }],
    highlighted: false,
    ...overrides,
  };
}

/** A time chart 800 px wide with one hover point per 100 px bucket. */
export function shownChart(id: string, overrides: Partial<ShownChart> = {}): ShownChart {
  return {
    id,
    title: `Chart ${id}`,
    rendered: {
      svg: `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="260"><text>${id}</text></svg>`,
      width: 800,
      height: 260,
      plot: { left: 60, top: 30, right: 780, bottom: 220 },
      hover: [0, 1, 2, 3].map((i) =>
        hoverPoint({
          x: 150 + i * 200,
          y: 80,
          title: `Bucket ${i}`,
          values: [{ series: "Tokens", value: i * 1000, text: `${i}k tokens` }],
          highlighted: i === 2,
        }),
      ),
    },
    ...overrides,
  };
}

export function summary(overrides: Partial<Summary> = {}): Summary {
  return {
    requests: change(1250, 1000),
    errors: change(3, 0),
    input_tokens: change(1234567, 1234567),
    output_tokens: change(45000, 60000),
    spend: change(12_345_678, 10_000_000),
    currency: "USD",
    spend_by_currency: [{ currency: "USD", micros: 12_345_678, text: "12.35 USD" }],
    estimated_requests: 0,
    unpriced_tokens: 0,
    ...overrides,
  };
}

export function topRow(overrides: Partial<TopRow> = {}): TopRow {
  return {
    id: "key_a",
    name: "billing-service",
    totals: { requests: 1000, errors: 2, input_tokens: 900000, output_tokens: 30000, estimated_requests: 0 },
    spend: { currency: "USD", micros: 9_000_000, text: "9.00 USD" },
    unpriced_tokens: 0,
    ...overrides,
  };
}

export function usageScreen(overrides: Partial<UsageScreen> = {}): UsageScreen {
  return {
    project_id: "proj_local",
    start: "2026-11-15T00:00:00Z",
    end: "2026-11-22T00:00:00Z",
    previous_start: "2026-11-08T00:00:00Z",
    previous_end: "2026-11-15T00:00:00Z",
    bucket: "hour",
    time_zone: "UTC",
    summary: summary(),
    top_keys: [topRow()],
    top_models: [topRow({ id: "gpt-4o", name: "gpt-4o" })],
    unpriced_models: [],
    spend_source: "computed",
    spend_note: null,
    spikes: [],
    budgets: [],
    models_seen: ["gpt-4o", "llama-3-8b"],
    keys_seen: [
      { id: "key_a", name: "billing-service" },
      { id: "key_b", name: "search-api" },
    ],
    charts: ["tokens", "requests", "errors", "spend", "top_keys_spend", "top_keys_tokens"].map((id) => shownChart(id)),
    ...overrides,
  };
}

/** A period with no traffic at all. */
export function emptyScreen(): UsageScreen {
  const none = change(0, 0);
  return usageScreen({
    summary: summary({
      requests: none,
      errors: none,
      input_tokens: none,
      output_tokens: none,
      spend: none,
      currency: null,
      spend_by_currency: [],
    }),
    top_keys: [],
    top_models: [],
    models_seen: [],
    keys_seen: [],
    charts: [],
  });
}
