// The Usage & Spend screen against mocked commands: the request each control sends
// (presets, a custom range only once both days are chosen, bucket, zone), totals with
// the change vs the previous period, the unpriced-model warning and its way to the
// price table, exports that show the saved file or the error in the card, the empty,
// slow and failed states (Retry), a server's field error under its field, a hover
// tooltip from the pointer and from the arrow keys, a redraw on a theme switch without
// a refetch, and a key named like a script tag that stays text everywhere.
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { commands, type UsageRequest } from "$lib/bindings";
import { formatCompact, formatDateTime } from "$lib/format";
import { deferred, failure, ok } from "$lib/keys/fixtures";
import { withSession } from "$lib/profiles/fixtures";
import { budgetingCapabilities, keywardCapabilities, openAiCapabilities } from "$lib/capabilities/fixtures";
import UsageScreen from "./UsageScreen.svelte";
import { emptyScreen, shownChart, summary, topRow, usageScreen, change } from "./fixtures";

vi.mock("$lib/bindings", () => ({
  commands: {
    usageView: vi.fn(),
    usageProjects: vi.fn(),
    rerenderUsage: vi.fn(),
    exportUsageCsv: vi.fn(),
    exportUsageChart: vi.fn(),
    exportStatement: vi.fn(),
    listPrices: vi.fn(),
    checkPriceForm: vi.fn(async () => []),
    setPrice: vi.fn(),
    removePrice: vi.fn(),
    listWorkloads: vi.fn(),
  },
}));

const usageView = vi.mocked(commands.usageView);
const rerenderUsage = vi.mocked(commands.rerenderUsage);
const exportUsageCsv = vi.mocked(commands.exportUsageCsv);
const exportUsageChart = vi.mocked(commands.exportUsageChart);
const exportStatement = vi.mocked(commands.exportStatement);
const listPrices = vi.mocked(commands.listPrices);

/** The last request the screen sent. */
function lastRequest(): UsageRequest {
  const call = usageView.mock.lastCall;
  if (!call) throw new Error("usageView was not called");
  return call[0];
}

/** A date input as a browser reports a picked day: input, then change. */
async function pickDay(testId: string, day: string) {
  const input = screen.getByTestId(testId);
  await fireEvent.input(input, { target: { value: day } });
  await fireEvent.change(input);
}

function renderUsage() {
  const { session, context } = withSession();
  return { session, user: userEvent.setup(), ...render(UsageScreen, { context }) };
}

/** Picks `value` in a filter picker by typing `text` and clicking its option. */
async function pick(user: ReturnType<typeof userEvent.setup>, testId: string, text: string, value: string) {
  const input = screen.getByTestId(`${testId}-input`);
  await user.click(input);
  await user.type(input, text);
  const option = within(screen.getByTestId(`${testId}-list`))
    .getAllByRole("option")
    .find((o) => o.dataset.value === value);
  if (!option) throw new Error(`no option ${value} for "${text}"`);
  await user.click(option);
}

/** The options a filter picker lists with nothing typed. */
async function pickerOptions(user: ReturnType<typeof userEvent.setup>, testId: string): Promise<HTMLElement[]> {
  await user.clear(screen.getByTestId(`${testId}-input`));
  await user.click(screen.getByTestId(`${testId}-input`));
  return within(screen.getByTestId(`${testId}-list`)).getAllByRole("option");
}

async function loaded() {
  await vi.waitFor(() => expect(screen.getByTestId("usage-total-requests")).toBeInTheDocument());
}

beforeEach(() => {
  for (const command of Object.values(commands)) vi.mocked(command).mockReset();
  usageView.mockResolvedValue(ok(usageScreen()));
  vi.mocked(commands.listWorkloads).mockResolvedValue(ok([]));
  vi.mocked(commands.usageProjects).mockResolvedValue(ok([]));
  listPrices.mockResolvedValue(ok([]));
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("UsageScreen requests", () => {
  it("loads the last 7 days in UTC with auto buckets, in the page's theme and a chart width", async () => {
    renderUsage();
    await loaded();
    expect(usageView).toHaveBeenCalledTimes(1);
    const [request, theme, width] = usageView.mock.calls[0]!;
    expect(request).toMatchObject({ preset: "last_7_days", time_zone: "UTC", bucket: null, project_id: null });
    expect(theme).toBe("light");
    expect(width).toBeGreaterThanOrEqual(200);
    expect(width).toBeLessThanOrEqual(4000);
    expect(screen.getByTestId("usage-time-zone")).toHaveValue("UTC");
    expect(screen.getByLabelText("Times in")).toBeInTheDocument();
  });

  it("sends the preset picked", async () => {
    const { user } = renderUsage();
    await loaded();
    await user.selectOptions(screen.getByTestId("usage-preset"), "previous_month");
    await vi.waitFor(() => expect(lastRequest().preset).toBe("previous_month"));
    await user.selectOptions(screen.getByTestId("usage-preset"), "last_90_days");
    await vi.waitFor(() => expect(lastRequest().preset).toBe("last_90_days"));
  });

  it("waits for both days of a custom range, then sends them", async () => {
    const { user } = renderUsage();
    await loaded();
    await user.selectOptions(screen.getByTestId("usage-preset"), "custom");
    await pickDay("usage-custom-start", "2026-10-01");
    expect(usageView).toHaveBeenCalledTimes(1);
    await pickDay("usage-custom-end", "2026-10-31");
    await vi.waitFor(() => expect(usageView).toHaveBeenCalledTimes(2));
    expect(lastRequest()).toMatchObject({ preset: "custom", custom_start: "2026-10-01", custom_end: "2026-10-31" });
  });

  it("sends the bucket override, the zone and spend by key", async () => {
    const { user } = renderUsage();
    await loaded();
    await user.selectOptions(screen.getByTestId("usage-bucket"), "day");
    await vi.waitFor(() => expect(lastRequest().bucket).toBe("day"));
    await user.selectOptions(screen.getByTestId("usage-time-zone"), "Asia/Tokyo");
    await vi.waitFor(() => expect(lastRequest().time_zone).toBe("Asia/Tokyo"));
    await user.click(screen.getByTestId("usage-spend-by-key"));
    await vi.waitFor(() => expect(lastRequest().spend_by).toBe("key"));
  });

  it("filters on the keys and models seen", async () => {
    const { user } = renderUsage();
    await loaded();
    await pick(user, "usage-filter-keys", "search", "key_b");
    await vi.waitFor(() => expect(lastRequest().key_ids).toEqual(["key_b"]));
    await pick(user, "usage-filter-models", "llama", "llama-3-8b");
    await vi.waitFor(() => expect(lastRequest().models).toEqual(["llama-3-8b"]));
  });

  it("finds one of 300 keys by typing, by keyboard alone, and removes it again", async () => {
    // Issue #15: native multi-selects (ctrl-click, no search) were unusable with 300 keys.
    const keys = Array.from({ length: 300 }, (_, i) => ({ id: `key_${String(i).padStart(3, "0")}`, name: `service-${String(i).padStart(3, "0")}` }));
    usageView.mockResolvedValue(ok(usageScreen({ keys_seen: keys })));
    const { user } = renderUsage();
    await loaded();
    const input = screen.getByTestId("usage-filter-keys-input");
    expect(input).toHaveAttribute("role", "combobox");
    expect(input).toHaveAttribute("placeholder", "All keys");
    expect(screen.getByLabelText("Keys")).toBe(input);

    input.focus();
    await user.keyboard("{ArrowDown}");
    expect(input).toHaveAttribute("aria-expanded", "true");
    const list = screen.getByTestId("usage-filter-keys-list");
    expect(list).toHaveAttribute("aria-multiselectable", "true");
    // At most 100 listed; typing narrows the rest.
    expect(within(list).getAllByRole("option")).toHaveLength(100);
    expect(list).toHaveTextContent("200 more: type to narrow");

    await user.type(input, "ice-24");
    const matches = within(list).getAllByRole("option");
    expect(matches.map((o) => o.textContent?.trim().split(/\s+/)[0])).toEqual(
      Array.from({ length: 10 }, (_, i) => `service-24${i}`),
    );
    // The id is searched too.
    await user.clear(input);
    await user.type(input, "key_187");
    expect(within(list).getAllByRole("option")).toHaveLength(1);
    await user.clear(input);
    await user.type(input, "ice-24");
    await user.keyboard("{ArrowDown}{ArrowDown}");
    expect(input.getAttribute("aria-activedescendant")).toBe(matches[2]!.id);
    await user.keyboard("{Enter}");
    await vi.waitFor(() => expect(lastRequest().key_ids).toEqual(["key_242"]));
    const selected = (value: string) =>
      within(screen.getByTestId("usage-filter-keys-list"))
        .getAllByRole("option")
        .find((o) => o.dataset.value === value);
    expect(selected("key_242")).toHaveAttribute("aria-selected", "true");
    expect(selected("key_241")).toHaveAttribute("aria-selected", "false");
    await user.keyboard("{ArrowUp}{Enter}");
    await vi.waitFor(() => expect(lastRequest().key_ids).toEqual(["key_242", "key_241"]));
    await user.keyboard("{Escape}");
    expect(input).toHaveAttribute("aria-expanded", "false");
    const chips = screen.getAllByTestId("usage-filter-keys-chip");
    expect(chips.map((c) => c.textContent?.replace("×", "").trim())).toEqual(["service-242", "service-241"]);
    // Escape again clears the text; Backspace in the empty box takes the last chip off.
    await user.keyboard("{Escape}{Backspace}");
    await vi.waitFor(() => expect(lastRequest().key_ids).toEqual(["key_242"]));
    await user.click(screen.getByRole("button", { name: "Remove service-242" }));
    await vi.waitFor(() => expect(lastRequest().key_ids).toEqual([]));
    expect(input).toHaveAttribute("placeholder", "All keys");
  });

  it("offers the token's projects when it may read several, and sends the one picked", async () => {
    vi.mocked(commands.usageProjects).mockResolvedValue(
      ok([
        { id: "prj_a", name: "Team A" },
        { id: "prj_b", name: "Team B" },
      ]),
    );
    const { user } = renderUsage();
    const picker = await screen.findByTestId("usage-project");
    expect(lastRequest().project_id).toBeNull();
    await user.selectOptions(picker, "prj_b");
    await vi.waitFor(() => expect(lastRequest().project_id).toBe("prj_b"));
  });

  it("shows no project picker for a token of one project", async () => {
    renderUsage();
    await vi.waitFor(() => expect(commands.usageView).toHaveBeenCalled());
    expect(screen.queryByTestId("usage-project")).not.toBeInTheDocument();
  });

  it("shows a server's field error under its field", async () => {
    const { user } = renderUsage();
    await loaded();
    usageView.mockResolvedValue(failure("Minute buckets exist for the last 48 hours only.", "invalid_input", "bucket"));
    await user.selectOptions(screen.getByTestId("usage-bucket"), "minute");
    await vi.waitFor(() => expect(screen.getByTestId("usage-bucket")).toHaveAttribute("aria-invalid", "true"));
    expect(screen.getByText("Minute buckets exist for the last 48 hours only.")).toBeInTheDocument();
    expect(screen.getByRole("combobox", { name: "Bucket" })).toHaveAccessibleDescription(
      "Minute buckets exist for the last 48 hours only.",
    );
    expect(screen.queryByTestId("usage-error")).not.toBeInTheDocument();
  });

  it("marks results that no longer answer the controls as stale, and clears the mark once they do", async () => {
    // Issue #15: an invalid date range left the old results on screen looking current.
    const { user } = renderUsage();
    await loaded();
    expect(screen.queryByTestId("usage-stale")).not.toBeInTheDocument();
    expect(screen.getByTestId("usage-results")).toHaveAttribute("data-stale", "false");

    // A custom range with one day chosen: nothing is asked yet, the old results are marked.
    await user.selectOptions(screen.getByTestId("usage-preset"), "custom");
    await pickDay("usage-custom-start", "2026-10-31");
    expect(usageView).toHaveBeenCalledTimes(1);
    expect(screen.getByTestId("usage-stale")).toHaveTextContent("Choose both days of the custom range");
    expect(screen.getByTestId("usage-results")).toHaveAttribute("data-stale", "true");

    // The range is refused (last day before the first): marked, naming the fix.
    usageView.mockResolvedValueOnce(failure("The last day must not be before the first day.", "invalid_input", "custom_end"));
    await pickDay("usage-custom-end", "2026-10-01");
    await vi.waitFor(() => expect(screen.getByTestId("usage-custom-end")).toHaveAttribute("aria-invalid", "true"));
    expect(screen.getByTestId("usage-stale")).toHaveTextContent("Not current");
    expect(screen.getByTestId("usage-stale")).toHaveTextContent("Fix the problem marked above");
    expect(screen.getByTestId("usage-results")).toHaveAttribute("data-stale", "true");

    // A load that fails outright: still marked.
    usageView.mockResolvedValueOnce(failure("Cannot reach http://127.0.0.1:1.", "unavailable"));
    await pickDay("usage-custom-end", "2026-11-02");
    await vi.waitFor(() => expect(screen.getByTestId("usage-stale")).toHaveTextContent("could not be updated"));

    // Fixed: the new results are current again.
    await pickDay("usage-custom-end", "2026-11-03");
    await vi.waitFor(() => expect(screen.queryByTestId("usage-stale")).not.toBeInTheDocument());
    expect(screen.getByTestId("usage-results")).toHaveAttribute("data-stale", "false");
  });
});

describe("UsageScreen totals", () => {
  it("shows a sub-cent spend with Rust's digits, never rounded to 0.00", async () => {
    // Issue #15: the money rule lives in Rust (charts::money_amount); the screen shows
    // its text as given, for the card and the top tables alike.
    usageView.mockResolvedValue(
      ok(
        usageScreen({
          summary: summary({
            spend: change(7_623, 0),
            spend_by_currency: [{ currency: "USD", micros: 7_623, text: "0.0076 USD" }],
          }),
          top_keys: [topRow({ spend: { currency: "USD", micros: 7_623, text: "0.0076 USD" } })],
        }),
      ),
    );
    renderUsage();
    await loaded();
    expect(screen.getByTestId("usage-total-spend")).toHaveTextContent("0.0076 USD");
    expect(screen.getByTestId("usage-total-spend")).toHaveAttribute("data-value", "7623");
    expect(screen.getByTestId("usage-top-keys")).toHaveTextContent("0.0076 USD");
    expect(document.body.textContent).not.toContain("0.00 USD");
  });

  it("shows exact totals, their raw values and the change vs the previous period", async () => {
    renderUsage();
    await loaded();
    const requests = screen.getByTestId("usage-total-requests");
    expect(requests).toHaveTextContent("1,250");
    expect(requests).toHaveAttribute("data-value", "1250");
    expect(screen.getByTestId("usage-total-input-tokens")).toHaveTextContent("1,234,567");
    expect(screen.getByTestId("usage-total-input-tokens")).toHaveAttribute("data-value", "1234567");
    expect(screen.getByTestId("usage-total-output-tokens")).toHaveAttribute("data-value", "45000");
    const spend = screen.getByTestId("usage-total-spend");
    expect(spend).toHaveTextContent("12.35 USD");
    expect(spend).toHaveAttribute("data-value", "12345678");
    expect(spend).toHaveAttribute("data-currency", "USD");
    expect(screen.getByTestId("usage-change-requests")).toHaveTextContent("↑ 25%");
    expect(screen.getByTestId("usage-change-output-tokens")).toHaveTextContent("↓ 25%");
    expect(screen.getByTestId("usage-change-input-tokens")).toHaveTextContent("no change");
    expect(screen.getByTestId("usage-change-errors")).toHaveTextContent("—");
  });

  it("says spend is tokens × the price table, and warns about unpriced models", async () => {
    usageView.mockResolvedValue(ok(usageScreen({ unpriced_models: ["llama-3-8b", "mixtral"] })));
    const { user } = renderUsage();
    await loaded();
    expect(screen.getByText(/Spend = tokens × your price table/)).toBeInTheDocument();
    const warning = screen.getByTestId("usage-unpriced");
    expect(warning).toHaveTextContent("llama-3-8b, mixtral");
    await user.click(within(warning).getByRole("button", { name: "Open price table" }));
    expect(await screen.findByTestId("price-table")).toBeInTheDocument();
    expect(listPrices).toHaveBeenCalled();
    expect(screen.getByTestId("price-model")).toHaveValue("llama-3-8b");
  });

  it("has no unpriced warning when every model has a price", async () => {
    renderUsage();
    await loaded();
    expect(screen.queryByTestId("usage-unpriced")).not.toBeInTheDocument();
  });

  it("reloads after the price table changed", async () => {
    vi.mocked(commands.setPrice).mockResolvedValue(
      ok({ model: "gpt-4o", input_per_million: "2.50", output_per_million: "10.00", currency: "USD", updated_at: null }),
    );
    const { user } = renderUsage();
    await loaded();
    await user.click(screen.getByTestId("usage-prices-open"));
    await user.type(screen.getByTestId("price-model"), "gpt-4o");
    await user.type(screen.getByTestId("price-input"), "2.50");
    await user.type(screen.getByTestId("price-output"), "10");
    await user.click(screen.getByTestId("price-save"));
    await vi.waitFor(() => expect(commands.setPrice).toHaveBeenCalled());
    await user.click(screen.getByRole("button", { name: "Close" }));
    await vi.waitFor(() => expect(usageView).toHaveBeenCalledTimes(2));
  });

  it("lists spikes and budgets in the chosen zone", async () => {
    usageView.mockResolvedValue(
      ok(
        usageScreen({
          spikes: [{ bucket: "2026-11-12T14:00:00Z", tokens: 48_000, baseline: 8_000 }],
          budgets: [
            {
              key_id: "key_a",
              key_name: "billing-service",
              period: "month",
              period_start: "2026-11-01T00:00:00Z",
              period_end: "2026-12-01T00:00:00Z",
              limit: 1_000_000,
              used: 250_000,
              runs_out_at: "2026-11-27T06:00:00Z",
              exhausted: false, currency: null,
            },
            {
              key_id: "key_b",
              key_name: "search-api",
              period: "day",
              period_start: "2026-11-22T00:00:00Z",
              period_end: "2026-11-23T00:00:00Z",
              limit: 1000,
              used: 1200,
              runs_out_at: "2026-11-22T09:00:00Z",
              exhausted: true, currency: null,
            },
            {
              key_id: "or_key",
              key_name: "openrouter-app",
              period: "month",
              period_start: "2026-11-01T00:00:00Z",
              period_end: "2026-12-01T00:00:00Z",
              limit: 12_500_000,
              used: 3_200_000,
              runs_out_at: null,
              exhausted: false,
              currency: "USD",
            },
          ],
          charts: [shownChart("tokens"), shownChart("budget_day")],
        }),
      ),
    );
    renderUsage();
    await loaded();
    expect(screen.getByTestId("usage-spikes")).toHaveTextContent(
      `Spike: ${formatDateTime("2026-11-12T14:00:00Z", "UTC")} — ${formatCompact(48_000)} tokens, 6× the usual`,
    );
    const budgets = screen.getByTestId("usage-budgets");
    expect(budgets).toHaveTextContent("250,000 / 1,000,000");
    expect(budgets).toHaveTextContent("25%");
    expect(budgets).toHaveTextContent(`runs out ${formatDateTime("2026-11-27T06:00:00Z", "UTC")}`);
    expect(budgets).toHaveTextContent("exhausted");
    // A money budget (OpenRouter, LiteLLM) reads in money, from exact micros.
    const money = within(budgets).getByText("openrouter-app").closest("tr")!;
    expect(within(money).getByTestId("budget-amounts")).toHaveTextContent(/\$3\.20 \/ \$12\.50/);
    expect(money).toHaveTextContent("26%");
    expect(budgets.querySelector("caption")).toHaveTextContent("Budgets");
    expect(screen.getByTestId("usage-chart-budget_day")).toBeInTheDocument();
  });
});

describe("UsageScreen states", () => {
  it("loads again on Refresh with the same request", async () => {
    const { user } = renderUsage();
    await loaded();
    await user.click(screen.getByTestId("usage-refresh"));
    await vi.waitFor(() => expect(usageView).toHaveBeenCalledTimes(2));
    expect(usageView.mock.calls[1]![0]).toEqual(usageView.mock.calls[0]![0]);
  });

  it("says when the period has no usage", async () => {
    usageView.mockResolvedValue(ok(emptyScreen()));
    renderUsage();
    await vi.waitFor(() => expect(screen.getByTestId("usage-empty")).toHaveTextContent("No usage in this period"));
    expect(screen.queryByTestId("usage-chart-tokens")).not.toBeInTheDocument();
    expect(screen.getByTestId("usage-total-spend")).toHaveTextContent("—");
  });

  it("shows a loading indicator only when loading is slow", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const pending = deferred<Awaited<ReturnType<typeof commands.usageView>>>();
    usageView.mockReturnValue(pending.promise);
    renderUsage();
    await vi.advanceTimersByTimeAsync(100);
    expect(screen.queryByTestId("usage-loading")).not.toBeInTheDocument();
    await vi.advanceTimersByTimeAsync(300);
    expect(screen.getByTestId("usage-loading")).toHaveTextContent("Loading usage…");
    pending.resolve(ok(usageScreen()));
    await vi.waitFor(() => expect(screen.queryByTestId("usage-loading")).not.toBeInTheDocument());
    expect(screen.getByTestId("usage-total-requests")).toBeInTheDocument();
  });

  it("shows why loading failed, and Retry loads again", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    usageView.mockResolvedValueOnce(failure("The gateway did not answer."));
    const { user } = renderUsage();
    const alert = await screen.findByTestId("usage-error");
    expect(alert).toHaveTextContent("The gateway did not answer.");
    await user.click(within(alert).getByRole("button", { name: "Retry" }));
    await loaded();
    expect(screen.queryByTestId("usage-error")).not.toBeInTheDocument();
    expect(usageView).toHaveBeenCalledTimes(2);
  });

  it("redraws the charts in the new theme without fetching again", async () => {
    const listeners: ((event: MediaQueryListEvent) => void)[] = [];
    vi.stubGlobal(
      "matchMedia",
      (query: string) =>
        ({
          matches: false,
          media: query,
          addEventListener: (_: string, listener: (event: MediaQueryListEvent) => void) => listeners.push(listener),
          removeEventListener: () => {},
        }) as unknown as MediaQueryList,
    );
    rerenderUsage.mockResolvedValue(ok(usageScreen()));
    renderUsage();
    await loaded();
    expect(usageView.mock.calls[0]![1]).toBe("light");
    for (const listener of listeners) listener({ matches: true } as MediaQueryListEvent);
    await vi.waitFor(() => expect(rerenderUsage).toHaveBeenCalledTimes(1));
    expect(rerenderUsage.mock.calls[0]![0]).toBe("dark");
    expect(usageView).toHaveBeenCalledTimes(1);
  });
});

describe("UsageScreen charts", () => {
  it("shows each chart as a data: image in its own card", async () => {
    renderUsage();
    await loaded();
    for (const id of ["tokens", "requests", "errors", "spend", "top_keys_spend", "top_keys_tokens"]) {
      const card = screen.getByTestId(`usage-chart-${id}`);
      const image = within(card).getByRole("img", { name: `Chart ${id}` });
      expect(image.getAttribute("src")).toMatch(/^data:image\/svg\+xml;charset=utf-8,/);
    }
  });

  it("exports a chart's table as CSV and says where it was saved", async () => {
    exportUsageCsv.mockResolvedValue(ok("keyward-tokens.csv"));
    const { user } = renderUsage();
    await loaded();
    const card = screen.getByTestId("usage-chart-tokens");
    await user.click(within(card).getByTestId("usage-export-tokens-csv"));
    expect(exportUsageCsv).toHaveBeenCalledWith("tokens");
    expect(await within(card).findByText("Saved keyward-tokens.csv")).toBeInTheDocument();
  });

  it("exports PNG and SVG in the current theme and width, and shows a failure in the card", async () => {
    exportUsageChart.mockResolvedValueOnce(ok("keyward-spend.png"));
    exportUsageChart.mockResolvedValueOnce(failure("Keyward could not write /x/keyward-spend.svg: denied."));
    const { user } = renderUsage();
    await loaded();
    const width = usageView.mock.calls[0]![2];
    const card = screen.getByTestId("usage-chart-spend");
    await user.click(within(card).getByTestId("usage-export-spend-png"));
    expect(exportUsageChart).toHaveBeenCalledWith("spend", "png", "light", width);
    expect(await within(card).findByText("Saved keyward-spend.png")).toBeInTheDocument();
    await user.click(within(card).getByTestId("usage-export-spend-svg"));
    expect(await within(card).findByRole("alert")).toHaveTextContent("could not write");
  });

  it("says nothing when an export is cancelled", async () => {
    exportUsageCsv.mockResolvedValue(ok(null));
    const { user } = renderUsage();
    await loaded();
    const card = screen.getByTestId("usage-chart-requests");
    await user.click(within(card).getByTestId("usage-export-requests-csv"));
    await vi.waitFor(() => expect(exportUsageCsv).toHaveBeenCalled());
    expect(within(card).queryByText(/Saved/)).not.toBeInTheDocument();
  });

  it("shows the nearest bucket's values where the pointer is", async () => {
    renderUsage();
    await loaded();
    const image = screen.getByTestId("usage-chart-tokens-image");
    // jsdom lays nothing out: the image counts as shown at its drawn 800 px.
    const move = new MouseEvent("mousemove", { bubbles: true });
    Object.defineProperties(move, { offsetX: { value: 340 }, offsetY: { value: 100 } });
    await fireEvent(image, move);
    const tooltip = await screen.findByTestId("usage-chart-tokens-tooltip");
    expect(tooltip).toHaveTextContent("Bucket 1");
    expect(tooltip).toHaveTextContent("1k tokens");
    expect(tooltip).toHaveStyle({ left: "350px" });
    await fireEvent.mouseLeave(image);
    expect(screen.queryByTestId("usage-chart-tokens-tooltip")).not.toBeInTheDocument();
  });

  it("walks the points with the arrow keys and marks a spike", async () => {
    renderUsage();
    await loaded();
    const figure = within(screen.getByTestId("usage-chart-tokens")).getByRole("group", { name: /arrow keys/ });
    figure.focus();
    await fireEvent.keyDown(figure, { key: "ArrowRight" });
    expect(screen.getByTestId("usage-chart-tokens-tooltip")).toHaveTextContent("Bucket 0");
    await fireEvent.keyDown(figure, { key: "ArrowRight" });
    await fireEvent.keyDown(figure, { key: "ArrowRight" });
    const tooltip = screen.getByTestId("usage-chart-tokens-tooltip");
    expect(tooltip).toHaveTextContent("Bucket 2");
    expect(tooltip).toHaveTextContent("spike");
    await fireEvent.keyDown(figure, { key: "ArrowLeft" });
    expect(screen.getByTestId("usage-chart-tokens-tooltip")).toHaveTextContent("Bucket 1");
  });

  it("shows a key named like a script tag as text only", async () => {
    const evil = "<script>alert(1)</script>";
    const escaped = "&lt;script&gt;alert(1)&lt;/script&gt;";
    usageView.mockResolvedValue(
      ok(
        usageScreen({
          keys_seen: [{ id: "key_x", name: evil }],
          top_keys: [topRow({ id: "key_x", name: evil })],
          budgets: [
            {
              key_id: "key_x",
              key_name: evil,
              period: "day",
              period_start: "2026-11-22T00:00:00Z",
              period_end: "2026-11-23T00:00:00Z",
              limit: 1000,
              used: 10,
              runs_out_at: null,
              exhausted: false,
              currency: null,
            },
          ],
          charts: [
            shownChart("top_keys_tokens", {
              title: "Top keys by tokens",
              rendered: {
                ...shownChart("x").rendered,
                svg: `<svg xmlns="http://www.w3.org/2000/svg"><text>${escaped}</text></svg>`,
                hover: [{ x: 300, y: 40, title: evil, values: [{ series: evil, value: 5, text: "5 tokens" }], highlighted: false }],
              },
            }),
          ],
        }),
      ),
    );
    const { container, user } = renderUsage();
    await loaded();
    expect(within(screen.getByTestId("usage-top-keys")).getByText(evil)).toBeInTheDocument();
    expect((await pickerOptions(user, "usage-filter-keys")).some((o) => o.textContent?.includes(evil))).toBe(true);
    const figure = within(screen.getByTestId("usage-chart-top_keys_tokens")).getByRole("group", { name: /arrow keys/ });
    await fireEvent.keyDown(figure, { key: "ArrowRight" });
    expect(screen.getByTestId("usage-chart-top_keys_tokens-tooltip")).toHaveTextContent(evil);
    const image = screen.getByTestId("usage-chart-top_keys_tokens-image");
    expect(image.getAttribute("src")!.startsWith("data:image/svg+xml;charset=utf-8,")).toBe(true);
    expect(container.querySelector("script")).toBeNull();
    expect(container.querySelector("svg text")).toBeNull();
    expect(document.querySelector("script")).toBeNull();
    expect(within(screen.getByTestId("usage-budgets")).getByText(evil)).toBeInTheDocument();
    expect(screen.getByTestId("usage-budgets")).toHaveTextContent("lasts the period");
    // Serialized as the app's page source is: the name never appears as markup, not even
    // inside an attribute (where HTML serialization leaves < and > as they are).
    expect(document.body.innerHTML).not.toContain(evil);
  });
});

describe("UsageScreen statement", () => {
  it("exports the previous month's statement in the chosen zone", async () => {
    exportStatement.mockResolvedValue(ok("keyward-statement-2026-10.csv"));
    const { user } = renderUsage();
    await loaded();
    const month = screen.getByTestId("usage-statement-month") as HTMLInputElement;
    expect(month.value).toMatch(/^\d{4}-\d{2}$/);
    await user.click(screen.getByTestId("usage-statement-export"));
    expect(exportStatement).toHaveBeenCalledWith(month.value, "UTC", null);
    expect(await screen.findByText("Saved keyward-statement-2026-10.csv")).toBeInTheDocument();
  });
});

describe("UsageScreen profile", () => {
  it("gives a viewer (finance) everything: nothing here changes the platform", async () => {
    const { session } = renderUsage();
    session.role = "viewer";
    await loaded();
    expect(screen.getByTestId("usage-prices-open")).toBeEnabled();
    expect(screen.getByTestId("usage-export-tokens-csv")).toBeEnabled();
    expect(screen.getByTestId("usage-statement-export")).toBeEnabled();
  });

  it("reloads with cleared key and model filters when the active profile changes", async () => {
    const { user, session } = renderUsage();
    await loaded();
    await pick(user, "usage-filter-keys", "search", "key_b");
    await vi.waitFor(() => expect(lastRequest().key_ids).toEqual(["key_b"]));
    usageView.mockResolvedValue(
      ok(usageScreen({ summary: summary({ requests: change(7, 0) }), keys_seen: [{ id: "key_z", name: "other-project" }] })),
    );
    session.version++;
    await vi.waitFor(() => expect(screen.getByTestId("usage-total-requests")).toHaveAttribute("data-value", "7"));
    expect(lastRequest().key_ids).toEqual([]);
    expect(screen.queryAllByTestId("usage-filter-keys-chip")).toHaveLength(0);
    const keys = await pickerOptions(user, "usage-filter-keys");
    expect(keys.map((o) => o.dataset.value)).toEqual(["key_z"]);
  });
});

// Issue #17: money OpenAI reports is its figure, said as such, never tokens × prices.
describe("UsageScreen reported spend", () => {
  const NOTE =
    "Spend as OpenAI reports it: per key and UTC day, not per model (the model table shows tokens only); choose day buckets to chart it over time.";

  it("labels reported money as the platform's, shows its note once, and no unpriced warnings", async () => {
    usageView.mockResolvedValue(
      ok(
        usageScreen({
          spend_source: "reported",
          spend_note: NOTE,
          unpriced_models: ["gpt-4o"],
          top_keys: [topRow({ unpriced_tokens: 500 })],
        }),
      ),
    );
    const { session } = renderUsage();
    session.capabilities = openAiCapabilities();
    await loaded();

    await vi.waitFor(() => expect(screen.getByTestId("usage-spend-source")).toHaveTextContent("Reported by OpenAI"));
    const topKeys = screen.getByTestId("usage-top-keys");
    expect(within(topKeys).getAllByRole("columnheader").map((th) => th.textContent)).toContain("Reported by OpenAI");
    expect(topKeys).not.toHaveTextContent("unpriced");
    expect(screen.getAllByText(NOTE)).toHaveLength(1);
    expect(screen.getByTestId("usage-spend-note")).toHaveTextContent(NOTE);
    expect(screen.queryByTestId("usage-unpriced")).not.toBeInTheDocument();
    expect(screen.getByTestId("usage-spend-rule")).toHaveTextContent("Spend: reported by OpenAI.");
    const text = document.body.textContent ?? "";
    expect(text).not.toMatch(/computed/i);
    expect(text).not.toContain("tokens × your price table");
    expect(text).not.toMatch(/at your prices/i);
  });

  it("changes nothing where spend is computed", async () => {
    usageView.mockResolvedValue(ok(usageScreen({ unpriced_models: ["llama-3-8b"] })));
    const { session } = renderUsage();
    session.capabilities = keywardCapabilities();
    await loaded();

    expect(screen.queryByTestId("usage-spend-source")).not.toBeInTheDocument();
    expect(screen.queryByTestId("usage-spend-note")).not.toBeInTheDocument();
    expect(screen.getByTestId("usage-unpriced")).toHaveTextContent("llama-3-8b");
    expect(document.body.textContent).toContain("Spend = tokens × your price table.");
    expect(within(screen.getByTestId("usage-top-keys")).getAllByRole("columnheader").map((th) => th.textContent)).toContain("Spend");
  });
});

// Issue #18: OpenRouter answers usage for its last 30 days only; the screen says so by the period.
describe("UsageScreen history the platform keeps", () => {
  it("says how many days back the platform keeps usage where it says", async () => {
    const { session } = renderUsage();
    const openRouter = budgetingCapabilities();
    session.capabilities = { ...openRouter, usage: { ...openRouter.usage, history_days: 30 } };
    await loaded();

    expect(await screen.findByTestId("usage-history-days")).toHaveTextContent("OpenRouter keeps usage for the last 30 days.");
  });

  it("says nothing where the platform keeps usage as long as it likes", async () => {
    const { session } = renderUsage();
    session.capabilities = keywardCapabilities();
    await loaded();

    expect(session.capabilities.usage.history_days).toBeNull();
    expect(screen.queryByTestId("usage-history-days")).not.toBeInTheDocument();
  });
});
