// Keys screen end to end against mocked commands: the list and its states; a 100,000-key
// project rendered a window at a time and fetched a page at a time as it scrolls; the
// filters, sort and search as the KeyListQuery they send (text debounced), and a
// server's field error at its filter; selection and a bulk revoke that partly fails;
// the `n` and `/` shortcuts; a key's page in place of the list and back; create →
// reveal-once → close (closeReveal called, secret gone from the page); revoke only after
// an explicit confirmation; and a fresh list whenever the active profile changes.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { commands, type Key, type KeyListQuery } from "$lib/bindings";
import { catalogFixture, local, profileList, staging, storedProfile, withSession } from "$lib/profiles/fixtures";
import { platformCatalog } from "$lib/profiles/catalog.svelte";
import KeysScreen from "./KeysScreen.svelte";
import { anthropicCapabilities, budgetingCapabilities, keywardCapabilities, OPENAI_CREATE, OPENAI_SERVICE_ACCOUNT, openAiCapabilities, openAiLikeCapabilities, pausingCapabilities } from "$lib/capabilities/fixtures";
import { formatCompact, formatDate, formatExactDateTime } from "$lib/format";
import {
  auditPage,
  deferred,
  failure,
  inferenceKey,
  keyPage,
  keyUsage,
  ok,
  pagedProject,
  passingKeyCheck,
  uncountedProject,
  workloadRef,
} from "./fixtures";

vi.mock("$lib/bindings", () => ({
  commands: {
    listKeys: vi.fn(),
    listProjects: vi.fn(),
    checkKeyForm: vi.fn(),
    createKey: vi.fn(),
    copyReveal: vi.fn(),
    closeReveal: vi.fn(),
    revokeKey: vi.fn(),
    revokeKeys: vi.fn(),
    getKey: vi.fn(),
    keyUsage: vi.fn(),
    keyAudit: vi.fn(),
    listWorkloads: vi.fn(),
    switchProfile: vi.fn(),
    listProfiles: vi.fn(),
    activeProfile: vi.fn(),
    platformCatalog: vi.fn(),
  },
}));

const listKeys = vi.mocked(commands.listKeys);
const createKey = vi.mocked(commands.createKey);
const closeReveal = vi.mocked(commands.closeReveal);
const copyReveal = vi.mocked(commands.copyReveal);
const revokeKey = vi.mocked(commands.revokeKey);
const revokeKeys = vi.mocked(commands.revokeKeys);

const SECRET = "kw_live_3q9XbV7mZk2LwPp0RtY8sNc4HdJf6GaE";
const ROW_HEIGHT = 40;

const billing = inferenceKey({ id: "key_a", name: "billing-service", hint: "kw_live_…9f2c" });
const old = inferenceKey({
  id: "key_b",
  name: "old-batch",
  hint: "kw_live_…71aa",
  state: "revoked",
  revoked_at: "2025-04-01T12:00:00Z",
});
const fresh = inferenceKey({ id: "key_c", name: "ci-runner", hint: "kw_live_…GaE" });
const search = inferenceKey({ id: "key_d", name: "search-api", hint: "kw_live_…d00d" });

/** The query the screen sends with no filter, for `offset`. */
function unfiltered(offset = 0): KeyListQuery {
  return {
    status: null,
    include_archived: false,
    q: null,
    model: null,
    workload: null,
    label: null,
    expiring_within_days: null,
    sort: "created_at",
    limit: 200,
    offset,
    project: null,
  };
}

function listing(...keys: Key[]) {
  return ok(keyPage(keys));
}

/** The screen with a fresh profile session, as the app shell provides one. */
function renderKeys(props: { changed?: number } = {}) {
  const { session, context } = withSession();
  return { session, ...render(KeysScreen, { context, props }) };
}

function row(id: string): HTMLElement {
  const found = screen.getAllByTestId("key-row").find((tr) => tr.dataset.keyId === id);
  if (!found) throw new Error(`no row for ${id}`);
  return found;
}

function rowIds(): string[] {
  return screen.getAllByTestId("key-row").map((tr) => tr.dataset.keyId ?? "");
}

function offsetsAsked(): number[] {
  return listKeys.mock.calls.map(([query]) => query.offset ?? 0);
}

async function scrollToRow(index: number) {
  const viewport = screen.getByTestId("keys-viewport");
  viewport.scrollTop = index * ROW_HEIGHT;
  await fireEvent.scroll(viewport);
}

beforeEach(() => {
  for (const command of Object.values(commands)) vi.mocked(command).mockReset();
  closeReveal.mockResolvedValue(ok(null));
  vi.mocked(commands.listWorkloads).mockResolvedValue(ok([workloadRef()]));
  vi.mocked(commands.checkKeyForm).mockImplementation(async (draft) => passingKeyCheck(draft));
  vi.mocked(commands.listProjects).mockResolvedValue(ok([{ id: "proj_staging", name: "Staging" }]));
  vi.mocked(commands.platformCatalog).mockResolvedValue(catalogFixture());
  platformCatalog.forget();
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("KeysScreen for a viewer (finance)", () => {
  it("lists keys but offers nothing that changes them", async () => {
    listKeys.mockResolvedValue(listing(inferenceKey({ id: "key_a", name: "alpha" })));
    const { session } = renderKeys();
    session.role = "viewer";
    await waitFor(() => expect(rowIds()).toEqual(["key_a"]));
    expect(screen.queryByTestId("create-key")).not.toBeInTheDocument();
    expect(screen.getByTestId("keys-read-only")).toHaveTextContent("Read-only (viewer)");
    expect(within(row("key_a")).queryByTestId("key-revoke")).not.toBeInTheDocument();
    expect(within(row("key_a")).getByTestId("key-select")).toBeDisabled();
    expect(screen.getByTestId("keys-select-all")).toBeDisabled();
    await fireEvent.keyDown(window, { key: "n" });
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("offers them again once the role is known to be an admin's", async () => {
    listKeys.mockResolvedValue(listing(inferenceKey({ id: "key_a", name: "alpha" })));
    const { session } = renderKeys();
    session.role = "admin";
    await waitFor(() => expect(rowIds()).toEqual(["key_a"]));
    expect(screen.getByTestId("create-key")).toBeInTheDocument();
    expect(within(row("key_a")).getByTestId("key-revoke")).toBeInTheDocument();
  });
});

describe("KeysScreen renders from the platform's capabilities (issue #16)", () => {
  it("offers no Create where the platform cannot create keys, and says what it offers instead", async () => {
    listKeys.mockResolvedValue(listing(inferenceKey({ id: "key_a", name: "alpha" })));
    const { session } = renderKeys();
    session.capabilities = openAiLikeCapabilities();
    await waitFor(() => expect(rowIds()).toEqual(["key_a"]));
    expect(screen.queryByTestId("create-key")).not.toBeInTheDocument();
    expect(screen.getByTestId("create-key-instead")).toHaveTextContent(OPENAI_CREATE);
    expect(screen.getAllByText(OPENAI_CREATE)).toHaveLength(1);
    await fireEvent.keyDown(window, { key: "n" });
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    // Revoke (DELETE on OpenAI) is offered: the platform has it.
    expect(within(row("key_a")).getByTestId("key-revoke")).toBeInTheDocument();
  });

  it("offers Create, and no sentence, where the platform creates keys", async () => {
    listKeys.mockResolvedValue(listing());
    const { session } = renderKeys();
    session.capabilities = keywardCapabilities();
    await waitFor(() => expect(screen.getByTestId("keys-empty")).toBeInTheDocument());
    expect(screen.getByTestId("create-key")).toBeInTheDocument();
    expect(screen.getByTestId("create-key-empty")).toBeInTheDocument();
    expect(screen.queryByTestId("create-key-instead")).not.toBeInTheDocument();
  });
});

describe("KeysScreen list", () => {
  it("shows each key's masked label, status, last use and creation time", async () => {
    listKeys.mockResolvedValue(listing(billing, old, inferenceKey({ id: "key_used", last_used_at: "2025-05-01T08:00:00Z" })));
    renderKeys();

    const table = await screen.findByTestId("keys-table");
    expect(within(table).getAllByTestId("key-row")).toHaveLength(3);
    expect(listKeys).toHaveBeenCalledExactlyOnceWith(unfiltered());
    expect(screen.getByTestId("keys-total")).toHaveTextContent("3 keys");
    expect(within(row("key_a")).getByTestId("key-label")).toHaveTextContent("kw_live_…9f2c");
    expect(within(row("key_b")).getByTestId("key-label")).toHaveTextContent("kw_live_…71aa");
    expect(within(row("key_a")).getByTestId("key-status")).toHaveTextContent("Active");
    expect(within(row("key_b")).getByTestId("key-status")).toHaveTextContent("Revoked");
    expect(within(row("key_a")).getByTestId("key-created")).toHaveAttribute("datetime", "2025-03-14T09:26:53Z");
    expect(within(row("key_a")).getByTestId("key-created")).toHaveAttribute("title", formatExactDateTime("2025-03-14T09:26:53Z"));
    expect(within(row("key_a")).getByTestId("key-last-used")).toHaveTextContent("Never");
    expect(within(row("key_used")).getByTestId("key-last-used").querySelector("time")).toHaveAttribute(
      "datetime",
      "2025-05-01T08:00:00Z",
    );
    expect(within(row("key_a")).getByTestId("key-revoke")).toBeEnabled();
    expect(within(row("key_a")).getByTestId("key-revoke")).toHaveAccessibleName("Revoke billing-service");
    expect(within(row("key_b")).queryByTestId("key-revoke")).not.toBeInTheDocument();
  });

  // Issue #15: triage needed expiry, limits, labels and a relative last use in the list.
  it("shows when a key expires (relative and absolute), its limits, labels and last use (relative)", async () => {
    const soon = new Date(Date.now() + 3 * 86_400_000 + 3_600_000).toISOString();
    const used = new Date(Date.now() - 2 * 3_600_000 - 60_000).toISOString();
    const triaged = inferenceKey({
      id: "key_t",
      name: "payments-reconciliation-nightly-batch",
      expires_at: soon,
      scopes: {
        rpm: 60,
        tpm: 12_000,
        token_budget: { tokens: 1_500_000, period: "day" },
        labels: { team: "payments", env: "prod" },
      },
      last_used_at: used,
    });
    listKeys.mockResolvedValue(listing(triaged, billing));
    renderKeys();
    await screen.findByTestId("keys-table");
    const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

    const expires = within(row("key_t")).getByTestId("key-expires");
    expect(expires).toHaveTextContent(rtf.format(3, "day"));
    expect(expires).toHaveTextContent(formatDate(soon));
    expect(expires.querySelector("time")).toHaveAttribute("title", formatExactDateTime(soon));
    expect(within(row("key_a")).getByTestId("key-expires")).toHaveTextContent("Never");

    const limits = within(row("key_t")).getByTestId("key-limits");
    expect(limits).toHaveTextContent(`60 req/min · ${formatCompact(12_000)} tok/min · ${formatCompact(1_500_000)} tok/day`);
    expect(limits).toHaveAttribute("title", "60 requests/min, 12,000 tokens/min, 1,500,000 tokens per day");
    expect(within(row("key_a")).getByTestId("key-limits")).toHaveTextContent("None");

    expect(within(row("key_t")).getByTestId("key-labels")).toHaveTextContent("team=payments, env=prod");
    expect(within(row("key_a")).getByTestId("key-labels")).toHaveTextContent("—");
    expect(within(row("key_t")).getByTestId("key-last-used")).toHaveTextContent(rtf.format(-2, "hour"));
    // The full name is there, not an abbreviation of it.
    expect(within(row("key_t")).getByTestId("key-open")).toHaveTextContent("payments-reconciliation-nightly-batch");
    const headers = within(screen.getByTestId("keys-table")).getAllByRole("columnheader").map((th) => th.textContent?.trim());
    expect(headers).toEqual(["", "Name", "Key", "Status", "Limits", "Expires", "Labels", "Last used", "Created", "Actions"]);
  });

  it("searches by the masked key: the search box says so and sends it as q", async () => {
    listKeys.mockResolvedValue(listing(billing));
    const user = userEvent.setup();
    renderKeys();
    await screen.findByTestId("keys-table");
    const search = screen.getByTestId("keys-search");
    expect(search).toHaveAttribute("placeholder", expect.stringContaining("key"));

    await user.type(search, "kw_live_…9f2c");

    await vi.waitFor(() => expect(listKeys).toHaveBeenLastCalledWith({ ...unfiltered(), q: "kw_live_…9f2c" }));
  });

  it("shows a loading indicator only when the list is slow, until it arrives", async () => {
    const pending = deferred<Awaited<ReturnType<typeof commands.listKeys>>>();
    listKeys.mockReturnValue(pending.promise);
    renderKeys();

    // A quick answer never flashes a spinner.
    expect(screen.queryByTestId("keys-loading")).not.toBeInTheDocument();
    expect(await screen.findByTestId("keys-loading")).toHaveTextContent("Loading keys…");
    pending.resolve(listing(billing));
    expect(await screen.findByTestId("keys-table")).toBeInTheDocument();
    expect(screen.queryByTestId("keys-loading")).not.toBeInTheDocument();
  });

  it("shows the empty state when the project has no keys", async () => {
    listKeys.mockResolvedValue(listing());
    renderKeys();

    const empty = await screen.findByTestId("keys-empty");
    expect(empty).toHaveTextContent("No API keys yet");
    expect(within(empty).getByRole("button", { name: "Create API Key" })).toBeInTheDocument();
    expect(screen.queryByTestId("keys-table")).not.toBeInTheDocument();
    expect(screen.queryByTestId("keys-no-match")).not.toBeInTheDocument();
  });

  it("shows a load error with its message and retries on request", async () => {
    listKeys.mockResolvedValueOnce(failure("The gateway did not answer within 10 seconds.", "timeout"));
    listKeys.mockResolvedValueOnce(listing(billing));
    const user = userEvent.setup();
    renderKeys();

    const error = await screen.findByTestId("keys-error");
    expect(error).toHaveTextContent("The gateway did not answer within 10 seconds.");
    await user.click(within(error).getByTestId("keys-retry"));

    expect(await screen.findByTestId("keys-table")).toBeInTheDocument();
    expect(screen.queryByTestId("keys-error")).not.toBeInTheDocument();
    expect(listKeys).toHaveBeenCalledTimes(2);
  });

  it("keeps the rows on screen when a refresh fails", async () => {
    listKeys.mockResolvedValueOnce(listing(billing));
    listKeys.mockResolvedValueOnce(failure("The gateway is restarting.", "unavailable"));
    const { rerender } = renderKeys({ changed: 0 });
    await screen.findByTestId("keys-table");

    await rerender({ changed: 1 });

    expect(await screen.findByTestId("keys-error")).toHaveTextContent("The gateway is restarting.");
    expect(rowIds()).toEqual(["key_a"]);
  });

  it("names every status the gateway reports", async () => {
    listKeys.mockResolvedValue(
      listing(
        inferenceKey({ id: "k1", state: "active" }),
        inferenceKey({ id: "k2", state: "revoked", revoked_at: "2026-01-01T00:00:00Z" }),
        inferenceKey({ id: "k3", state: "expired", expires_at: "2026-01-02T00:00:00Z" }),
        inferenceKey({ id: "k4", state: "archived", archived_at: "2026-01-03T00:00:00Z" }),
      ),
    );
    renderKeys();
    await screen.findByTestId("keys-table");
    const badges = screen.getAllByTestId("key-status").map((b) => b.textContent?.trim());
    expect(badges).toEqual(["Active", "Revoked", "Expired", "Archived"]);
    expect(within(row("k3")).queryByTestId("key-revoke")).toBeNull();
  });

  it("names a paused key Disabled, offers no Revoke in its row, and keeps it out of a bulk revoke", async () => {
    listKeys.mockResolvedValue(listing(billing, inferenceKey({ id: "k_paused", name: "paused", state: "disabled" })));
    renderKeys();
    await screen.findByTestId("keys-table");
    expect(within(row("k_paused")).getByTestId("key-status")).toHaveTextContent("Disabled");
    expect(within(row("k_paused")).getByTestId("key-status")).toHaveClass("badge-paused");
    expect(within(row("k_paused")).queryByTestId("key-revoke")).toBeNull();
    expect(within(row("k_paused")).getByTestId("key-select")).toBeDisabled();
  });

  it("shows a key without a masked hint or counters as a dash, not as empty text", async () => {
    listKeys.mockResolvedValue(listing(inferenceKey({ id: "k_bare", hint: null, totals: null, created_at: null })));
    renderKeys();
    await screen.findByTestId("keys-table");
    expect(within(row("k_bare")).getByTestId("key-label")).toHaveTextContent("—");
    expect(within(row("k_bare")).queryByTestId("key-created")).toBeNull();
  });

  it("puts a performance mark once the first page of rows is on screen", async () => {
    const mark = vi.fn();
    vi.stubGlobal("performance", { ...performance, mark, now: () => Date.now() });
    listKeys.mockResolvedValue(listing(billing));
    renderKeys();

    await screen.findByTestId("keys-table");
    await vi.waitFor(() => expect(mark).toHaveBeenCalledExactlyOnceWith("keys:first-page"));
  });
});

describe("KeysScreen at scale", () => {
  it("renders only the rows in view of a 100,000-key project and fetches one page", async () => {
    listKeys.mockImplementation(pagedProject(100_000));
    renderKeys();

    await screen.findByTestId("keys-table");
    expect(screen.getByTestId("keys-total")).toHaveTextContent("100,000 keys");
    const ids = rowIds();
    expect(ids.length).toBeGreaterThan(10);
    expect(ids.length).toBeLessThan(60);
    expect(ids[0]).toBe("key_000000");
    expect(listKeys).toHaveBeenCalledExactlyOnceWith(unfiltered(0));
    // The scroll bar has the whole project's length: the rows not rendered are a spacer.
    const table = screen.getByTestId("keys-table");
    expect(table).toHaveAttribute("aria-rowcount", "100001");
    const spacer = table.querySelector<HTMLElement>("tbody tr.spacer:last-child td");
    expect(spacer?.style.height).toBe(`${(100_000 - ids.length) * ROW_HEIGHT}px`);
  });

  it("says which rows it shows when the platform does not count, and reads on as the list scrolls", async () => {
    listKeys.mockImplementation(uncountedProject(100_000));
    renderKeys();

    await screen.findByTestId("keys-table");
    expect(screen.getByTestId("keys-total")).toHaveTextContent("Showing 1–200");
    expect(screen.getByTestId("keys-total")).not.toHaveTextContent("of");
    // The scroll bar reaches as far as what is loaded.
    expect(screen.getByTestId("keys-table")).toHaveAttribute("aria-rowcount", "201");

    await scrollToRow(190);

    await vi.waitFor(() => expect(screen.getByTestId("keys-total")).toHaveTextContent("Showing 1–400"));
    expect(listKeys).toHaveBeenLastCalledWith(unfiltered(200));
  });

  it("fetches the next page as the list scrolls, keeping the rows already loaded", async () => {
    listKeys.mockImplementation(pagedProject(100_000));
    renderKeys();
    await screen.findByTestId("keys-table");

    await scrollToRow(190);

    await vi.waitFor(() => expect(screen.getAllByTestId("key-row").some((tr) => tr.dataset.keyId === "key_000210")).toBe(true));
    expect(offsetsAsked()).toEqual([0, 200]);
    expect(listKeys).toHaveBeenLastCalledWith(unfiltered(200));
    const ids = rowIds();
    expect(ids.length).toBeLessThan(60);
    expect(ids).toContain("key_000199");
    expect(ids).not.toContain("key_000100");
    expect(row("key_000190")).toHaveAttribute("aria-rowindex", "192");

    // Back at the top, page 0 is still loaded: no request.
    await scrollToRow(0);
    expect(row("key_000000")).toBeInTheDocument();
    expect(listKeys).toHaveBeenCalledTimes(2);
  });

  it("jumping to the middle fetches the middle, not everything before it", async () => {
    listKeys.mockImplementation(pagedProject(100_000));
    renderKeys();
    await screen.findByTestId("keys-table");

    await scrollToRow(50_000);

    await vi.waitFor(() => expect(screen.getAllByTestId("key-row").some((tr) => tr.dataset.keyId === "key_050000")).toBe(true));
    expect(offsetsAsked()).toEqual([0, 49_800, 50_000]);
    expect(rowIds().length).toBeLessThan(60);
  });

  it("shows placeholder rows while their page is on its way", async () => {
    const project = pagedProject(1_000);
    const pending = deferred<Awaited<ReturnType<typeof commands.listKeys>>>();
    listKeys.mockImplementation(project);
    listKeys.mockImplementationOnce(project).mockReturnValueOnce(pending.promise);
    renderKeys();
    await screen.findByTestId("keys-table");

    await scrollToRow(300);

    expect(offsetsAsked()).toEqual([0, 200]);
    expect(screen.getAllByTestId("key-row-pending").length).toBeGreaterThan(10);
    expect(screen.queryByTestId("key-row")).not.toBeInTheDocument();
    pending.resolve(await project(unfiltered(200)));
    await vi.waitFor(() => expect(row("key_000300")).toBeInTheDocument());
    expect(screen.queryByTestId("key-row-pending")).not.toBeInTheDocument();
  });
});

describe("KeysScreen filters", () => {
  async function ready() {
    listKeys.mockResolvedValue(listing(billing, fresh));
    const user = userEvent.setup();
    renderKeys();
    await screen.findByTestId("keys-table");
    listKeys.mockClear();
    return user;
  }

  it("waits for a pause in typing before searching, then sends one query", async () => {
    const user = await ready();

    await user.type(screen.getByTestId("keys-search"), "billing");

    // Typed faster than the pause: nothing sent yet.
    expect(listKeys).not.toHaveBeenCalled();
    await vi.waitFor(() => expect(listKeys).toHaveBeenCalled());
    await new Promise((done) => setTimeout(done, 300));
    expect(listKeys).toHaveBeenCalledExactlyOnceWith({ ...unfiltered(), q: "billing" });
  });

  it("sends status, model, workload, label, expiry window and sort as the KeyListQuery", async () => {
    const user = await ready();

    await user.selectOptions(screen.getByTestId("keys-filter-status"), "revoked");
    expect(listKeys).toHaveBeenLastCalledWith({ ...unfiltered(), status: "revoked", include_archived: null });

    await user.type(screen.getByTestId("keys-filter-model"), "gpt-4o");
    await user.type(screen.getByTestId("keys-filter-workload"), "support");
    await user.type(screen.getByTestId("keys-filter-label"), "team=ml");
    await user.type(screen.getByTestId("keys-filter-expiring"), "30");
    await user.selectOptions(screen.getByTestId("keys-sort"), "name");

    const expected: KeyListQuery = {
      ...unfiltered(),
      status: "revoked",
      include_archived: null,
      model: "gpt-4o",
      workload: "support",
      label: "team=ml",
      expiring_within_days: 30,
      sort: "name",
    };
    await vi.waitFor(() => expect(listKeys).toHaveBeenLastCalledWith(expected));
    // A select applies at once and takes the pending text with it; nothing is sent twice.
    await new Promise((done) => setTimeout(done, 300));
    expect(listKeys).toHaveBeenLastCalledWith(expected);
  });

  it("lists archived keys when Archived is chosen", async () => {
    const user = await ready();
    await user.selectOptions(screen.getByTestId("keys-filter-status"), "archived");
    expect(listKeys).toHaveBeenLastCalledWith({ ...unfiltered(), status: "archived", include_archived: null });
  });

  it("says when no key matches, and Clear filters goes back to every key", async () => {
    const user = await ready();
    listKeys.mockResolvedValueOnce(listing());

    await user.selectOptions(screen.getByTestId("keys-filter-status"), "expired");

    const none = await screen.findByTestId("keys-no-match");
    expect(none).toHaveTextContent("No keys match the filters");
    expect(screen.queryByTestId("keys-empty")).not.toBeInTheDocument();
    expect(screen.getByTestId("keys-total")).toHaveTextContent("0 keys match");

    await user.click(screen.getByTestId("keys-clear-filters"));

    expect(listKeys).toHaveBeenLastCalledWith(unfiltered());
    expect(await screen.findByTestId("keys-table")).toBeInTheDocument();
    expect(screen.getByTestId("keys-filter-status")).toHaveValue("all");
  });

  it("tells the server's filter error in the filter's words", async () => {
    const user = await ready();
    listKeys.mockResolvedValueOnce(
      failure("expiring_within_days must be 1 to 3650.", "invalid_input", "expiring_within_days"),
    );
    await user.type(screen.getByTestId("keys-filter-expiring"), "7");

    await vi.waitFor(() => expect(screen.getByTestId("keys-filter-error")).toHaveTextContent("Expiring within must be 1 to 3650."));
  });

  it("shows the server's field error at the filter it names, not as a load error", async () => {
    const user = await ready();
    listKeys.mockResolvedValueOnce(failure("A label filter is key or key=value.", "invalid_input", "label"));

    await user.type(screen.getByTestId("keys-filter-label"), "=ml");

    const label = screen.getByTestId("keys-filter-label");
    await vi.waitFor(() => expect(label).toHaveAttribute("aria-invalid", "true"));
    expect(label).toHaveAccessibleDescription("A label filter is key or key=value.");
    expect(screen.getAllByTestId("keys-filter-error")).toHaveLength(1);
    expect(screen.queryByTestId("keys-error")).not.toBeInTheDocument();
    expect(screen.getByTestId("keys-filter-invalid")).toBeInTheDocument();
    expect(screen.getByTestId("keys-filter-model")).not.toHaveAttribute("aria-invalid");

    // Fixing it lists again and the error goes.
    await user.clear(label);
    await user.type(label, "team");
    await vi.waitFor(() => expect(listKeys).toHaveBeenLastCalledWith({ ...unfiltered(), label: "team" }));
    expect(await screen.findByTestId("keys-table")).toBeInTheDocument();
    expect(label).not.toHaveAttribute("aria-invalid");
  });

  it("shows a bad expiry window at its filter", async () => {
    const user = await ready();
    listKeys.mockResolvedValueOnce(failure("Expiring within must be 1 to 3650 days.", "invalid_input", "expiring_within_days"));

    await user.type(screen.getByTestId("keys-filter-expiring"), "0");

    await vi.waitFor(() =>
      expect(screen.getByTestId("keys-filter-expiring")).toHaveAccessibleDescription("Expiring within must be 1 to 3650 days."),
    );
    expect(listKeys).toHaveBeenLastCalledWith({ ...unfiltered(), expiring_within_days: 0 });
  });

  it("keeps the old rows until the new query's rows arrive, then replaces them", async () => {
    const user = await ready();
    const pending = deferred<Awaited<ReturnType<typeof commands.listKeys>>>();
    listKeys.mockReturnValueOnce(pending.promise);

    await user.selectOptions(screen.getByTestId("keys-sort"), "name");
    expect(rowIds()).toEqual(["key_a", "key_c"]);
    expect(screen.getByTestId("keys-table")).toHaveAttribute("aria-busy", "true");

    pending.resolve(listing(fresh));
    await vi.waitFor(() => expect(rowIds()).toEqual(["key_c"]));
  });
});

describe("KeysScreen selection and bulk revoke", () => {
  it("revokes the selected keys and reports each failure next to the ones that worked", async () => {
    listKeys.mockResolvedValue(listing(billing, fresh, search, old));
    const user = userEvent.setup();
    renderKeys();
    await screen.findByTestId("keys-table");

    expect(screen.queryByTestId("keys-bulk-bar")).not.toBeInTheDocument();
    expect(within(row("key_b")).getByTestId("key-select")).toBeDisabled();
    await user.click(within(row("key_a")).getByTestId("key-select"));
    await user.click(within(row("key_c")).getByTestId("key-select"));

    const bar = screen.getByTestId("keys-bulk-bar");
    expect(bar).toHaveTextContent("2 keys selected");
    await user.click(within(bar).getByTestId("keys-bulk-revoke"));

    const dialog = screen.getByTestId("bulk-revoke-dialog");
    expect(dialog).toHaveTextContent("billing-service");
    expect(dialog).toHaveTextContent("ci-runner");
    expect(dialog).not.toHaveTextContent("search-api");
    revokeKeys.mockResolvedValue(
      ok({
        revoked: [{ ...billing, state: "revoked", revoked_at: "2026-02-02T00:00:00Z" }],
        failed: [{ key_id: "key_c", error: { code: "unavailable", message: "The gateway did not answer.", field: null } }],
      }),
    );
    listKeys.mockResolvedValue(
      listing({ ...billing, state: "revoked", revoked_at: "2026-02-02T00:00:00Z" }, fresh, search, old),
    );
    await user.click(within(dialog).getByTestId("bulk-revoke-confirm"));

    expect(revokeKeys).toHaveBeenCalledExactlyOnceWith(["key_a", "key_c"]);
    const summary = await screen.findByTestId("bulk-revoke-summary");
    expect(summary).toHaveTextContent("1 revoked");
    const failed = within(summary).getAllByTestId("bulk-revoke-failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toHaveTextContent("ci-runner");
    expect(failed[0]).toHaveTextContent("The gateway did not answer.");

    await user.click(screen.getByTestId("bulk-revoke-done"));

    expect(screen.queryByTestId("bulk-revoke-dialog")).not.toBeInTheDocument();
    await vi.waitFor(() => expect(listKeys).toHaveBeenCalledTimes(2));
    await vi.waitFor(() => expect(within(row("key_a")).getByTestId("key-status")).toHaveTextContent("Revoked"));
    // The key that failed stays selected, to try again.
    expect(screen.getByTestId("keys-bulk-bar")).toHaveTextContent("1 key selected");
    expect(within(row("key_c")).getByTestId("key-select")).toBeChecked();
  });

  it("selects every loaded active key from the header, and clears them again", async () => {
    listKeys.mockResolvedValue(listing(billing, fresh, old));
    const user = userEvent.setup();
    renderKeys();
    await screen.findByTestId("keys-table");

    const all = screen.getByTestId("keys-select-all");
    await user.click(within(row("key_a")).getByTestId("key-select"));
    expect(all).toHaveProperty("indeterminate", true);
    await user.click(all);

    expect(screen.getByTestId("keys-bulk-bar")).toHaveTextContent("2 keys selected");
    expect(all).toBeChecked();
    expect(all).toHaveProperty("indeterminate", false);
    expect(within(row("key_b")).getByTestId("key-select")).not.toBeChecked();

    await user.click(all);
    expect(screen.queryByTestId("keys-bulk-bar")).not.toBeInTheDocument();
  });

  it("cancelling the bulk revoke revokes nothing and keeps the selection", async () => {
    listKeys.mockResolvedValue(listing(billing));
    const user = userEvent.setup();
    renderKeys();
    await screen.findByTestId("keys-table");
    await user.click(screen.getByTestId("key-select"));
    await user.click(screen.getByTestId("keys-bulk-revoke"));

    await user.keyboard("{Escape}");

    expect(screen.queryByTestId("bulk-revoke-dialog")).not.toBeInTheDocument();
    expect(revokeKeys).not.toHaveBeenCalled();
    expect(screen.getByTestId("keys-bulk-bar")).toHaveTextContent("1 key selected");
  });
});

describe("KeysScreen keyboard", () => {
  async function ready() {
    listKeys.mockResolvedValue(listing(billing, fresh));
    const user = userEvent.setup();
    renderKeys();
    await screen.findByTestId("keys-table");
    return user;
  }

  it("n opens Create API Key", async () => {
    const user = await ready();
    await user.keyboard("n");
    expect(screen.getByTestId("key-form")).toBeInTheDocument();
  });

  it("/ goes to the search box without typing a slash", async () => {
    const user = await ready();
    await user.keyboard("/");
    expect(screen.getByTestId("keys-search")).toHaveFocus();
    expect(screen.getByTestId("keys-search")).toHaveValue("");
  });

  it("n is just a letter while typing in a filter", async () => {
    const user = await ready();
    await user.type(screen.getByTestId("keys-search"), "billing");
    expect(screen.queryByTestId("key-form")).not.toBeInTheDocument();
    expect(screen.getByTestId("keys-search")).toHaveValue("billing");
  });

  it("n does nothing while a dialog is open", async () => {
    const user = await ready();
    await user.click(within(row("key_a")).getByTestId("key-revoke"));
    await user.keyboard("n");
    expect(screen.queryByTestId("key-form")).not.toBeInTheDocument();
    expect(screen.getByTestId("revoke-dialog")).toBeInTheDocument();
  });

  it("arrow keys move between rows' names", async () => {
    const user = await ready();
    within(row("key_a")).getByTestId("key-open").focus();
    await user.keyboard("{ArrowDown}");
    expect(within(row("key_c")).getByTestId("key-open")).toHaveFocus();
    await user.keyboard("{ArrowUp}");
    expect(within(row("key_a")).getByTestId("key-open")).toHaveFocus();
  });
});

describe("KeysScreen key page", () => {
  function keyPageMocks(key: Key) {
    vi.mocked(commands.getKey).mockResolvedValue(ok(key));
    vi.mocked(commands.keyUsage).mockResolvedValue(ok(keyUsage({ key_id: key.id })));
    vi.mocked(commands.keyAudit).mockResolvedValue(ok(auditPage([])));
  }

  it("opens a key's page from its name and comes back to the list as it was", async () => {
    listKeys.mockImplementation(pagedProject(1_000));
    keyPageMocks(inferenceKey({ id: "key_000300", name: "service-300" }));
    const user = userEvent.setup();
    renderKeys();
    await screen.findByTestId("keys-table");
    await user.type(screen.getByTestId("keys-filter-model"), "gpt-4o");
    await vi.waitFor(() => expect(listKeys).toHaveBeenLastCalledWith({ ...unfiltered(), model: "gpt-4o" }));
    await scrollToRow(300);
    await vi.waitFor(() => expect(row("key_000300")).toBeInTheDocument());
    const calls = listKeys.mock.calls.length;

    await user.click(within(row("key_000300")).getByTestId("key-open"));

    expect(screen.getByTestId("key-detail")).toBeInTheDocument();
    expect(screen.queryByTestId("keys-table")).not.toBeInTheDocument();
    expect(commands.getKey).toHaveBeenCalledWith("key_000300");

    await user.click(await screen.findByTestId("key-detail-back"));

    expect(screen.getByTestId("keys-filter-model")).toHaveValue("gpt-4o");
    expect(screen.getByTestId("keys-viewport").scrollTop).toBe(300 * ROW_HEIGHT);
    expect(row("key_000300")).toBeInTheDocument();
    expect(listKeys).toHaveBeenCalledTimes(calls);
  });

  // Issue #15: a key revoked through another profile (leak dialog) stayed Active on its open page.
  it("an open key's page reads the key again when keys changed elsewhere, and the list refreshes on the way back", async () => {
    listKeys.mockResolvedValue(listing(billing, fresh));
    keyPageMocks(fresh);
    const user = userEvent.setup();
    const { rerender } = renderKeys();
    await screen.findByTestId("keys-table");
    await user.click(within(row("key_c")).getByTestId("key-open"));
    expect(await screen.findByTestId("key-detail-status")).toHaveTextContent("Active");
    const revokedFresh = { ...fresh, state: "revoked" as const, revoked_at: "2026-03-01T12:00:00Z" };
    vi.mocked(commands.getKey).mockResolvedValue(ok(revokedFresh));
    listKeys.mockResolvedValue(listing(billing, revokedFresh));
    const calls = listKeys.mock.calls.length;

    await rerender({ changed: 1 });

    await vi.waitFor(() => expect(screen.getByTestId("key-detail-status")).toHaveTextContent("Revoked"));
    await user.click(screen.getByTestId("key-detail-back"));
    await vi.waitFor(() => expect(within(row("key_c")).getByTestId("key-status")).toHaveTextContent("Revoked"));
    expect(listKeys.mock.calls.length).toBeGreaterThan(calls);
  });

  it("a click on the row, or Enter on it, opens the key's page too", async () => {
    listKeys.mockResolvedValue(listing(billing, fresh));
    keyPageMocks(fresh);
    const user = userEvent.setup();
    renderKeys();
    await screen.findByTestId("keys-table");

    await user.click(within(row("key_c")).getByTestId("key-label"));
    expect(screen.getByTestId("key-detail")).toBeInTheDocument();
    expect(commands.getKey).toHaveBeenLastCalledWith("key_c");
    await user.click(await screen.findByTestId("key-detail-back"));

    within(row("key_a")).getByTestId("key-select").focus();
    await user.keyboard("{Enter}");
    expect(commands.getKey).toHaveBeenLastCalledWith("key_a");
  });

  it("a click on a row's checkbox or Revoke does not open the key's page", async () => {
    listKeys.mockResolvedValue(listing(billing));
    const user = userEvent.setup();
    renderKeys();
    await screen.findByTestId("keys-table");

    await user.click(screen.getByTestId("key-select"));
    await user.click(screen.getByTestId("key-revoke"));

    expect(screen.queryByTestId("key-detail")).not.toBeInTheDocument();
    expect(screen.getByTestId("revoke-dialog")).toBeInTheDocument();
  });
});

describe("KeysScreen create and reveal", () => {
  async function createAndReveal() {
    listKeys.mockResolvedValueOnce(listing(billing));
    listKeys.mockResolvedValueOnce(listing(fresh, billing));
    createKey.mockResolvedValue(ok({ key: fresh, reveal: { id: "rev_7", secret: SECRET } }));
    const user = userEvent.setup();
    renderKeys();

    await user.click(await screen.findByTestId("create-key"));
    await user.type(screen.getByTestId("key-name"), "ci-runner{Enter}");
    const panel = await screen.findByTestId("reveal-panel");
    return { user, panel };
  }

  it("reveals the new secret once and refreshes the list behind it", async () => {
    const { panel } = await createAndReveal();

    expect(createKey).toHaveBeenCalledExactlyOnceWith(expect.objectContaining({ name: "ci-runner" }));
    expect(within(panel).getByTestId("reveal-secret").textContent).toBe(SECRET);
    expect(screen.queryByTestId("key-form")).not.toBeInTheDocument();
    await vi.waitFor(() => expect(listKeys).toHaveBeenCalledTimes(2));
    await vi.waitFor(() => expect(within(row("key_c")).getByTestId("key-label")).toHaveTextContent("kw_live_…GaE"));
    // The table never shows the secret, only the masked label.
    expect(screen.getByTestId("keys-table")).not.toHaveTextContent(SECRET);
  });

  it("“I have copied it” closes the reveal in Rust and leaves no trace of the secret", async () => {
    const { user } = await createAndReveal();
    await user.click(screen.getByTestId("reveal-done"));
    await user.click(screen.getByTestId("reveal-discard"));

    expect(closeReveal).toHaveBeenCalledExactlyOnceWith("rev_7");
    expect(screen.queryByTestId("reveal-panel")).not.toBeInTheDocument();
    expect(document.body.innerHTML).not.toContain(SECRET);
    expect(screen.getByTestId("create-key")).toHaveFocus();
  });

  it("Escape alone never closes an uncopied reveal; after Copy it closes the same way", async () => {
    copyReveal.mockResolvedValue(ok({ clear_after_seconds: 30 }));
    const { user } = await createAndReveal();
    await user.keyboard("{Escape}");
    await user.keyboard("{Escape}");
    expect(closeReveal).not.toHaveBeenCalled();
    expect(screen.getByTestId("reveal-secret").textContent).toBe(SECRET);

    await user.click(screen.getByTestId("reveal-copy"));
    await user.keyboard("{Escape}");

    expect(closeReveal).toHaveBeenCalledExactlyOnceWith("rev_7");
    expect(screen.queryByTestId("reveal-panel")).not.toBeInTheDocument();
    expect(document.body.innerHTML).not.toContain(SECRET);
  });

  it("still hides the secret when Rust cannot confirm it was erased, and says so", async () => {
    closeReveal.mockResolvedValue(failure("The reveal store is unavailable.", "internal"));
    const { user } = await createAndReveal();
    await user.click(screen.getByTestId("reveal-done"));
    await user.click(screen.getByTestId("reveal-discard"));

    expect(document.body.innerHTML).not.toContain(SECRET);
    expect(await screen.findByTestId("keys-notice")).toHaveTextContent("The reveal store is unavailable.");
  });

  it("treats an already-closed reveal as closed, without a warning", async () => {
    closeReveal.mockResolvedValue(failure("This secret is no longer available.", "reveal_closed"));
    const { user } = await createAndReveal();
    await user.click(screen.getByTestId("reveal-done"));
    await user.click(screen.getByTestId("reveal-discard"));
    await new Promise((settled) => setTimeout(settled, 0));

    expect(closeReveal).toHaveBeenCalledOnce();
    expect(screen.queryByTestId("keys-notice")).not.toBeInTheDocument();
  });

  it("closes an open reveal when the screen goes away", async () => {
    listKeys.mockResolvedValue(listing());
    createKey.mockResolvedValue(ok({ key: fresh, reveal: { id: "rev_9", secret: SECRET } }));
    const user = userEvent.setup();
    const { unmount } = renderKeys();
    await user.click(await screen.findByTestId("create-key-empty"));
    await user.type(screen.getByTestId("key-name"), "ci-runner{Enter}");
    await screen.findByTestId("reveal-panel");

    unmount();

    expect(closeReveal).toHaveBeenCalledExactlyOnceWith("rev_9");
  });
});

describe("KeysScreen revoke", () => {
  async function openRevoke() {
    listKeys.mockResolvedValue(listing(billing, old));
    const user = userEvent.setup();
    renderKeys();
    await user.click(within(await screen.findByTestId("keys-table")).getByTestId("key-revoke"));
    return { user, dialog: screen.getByTestId("revoke-dialog") };
  }

  it("asks for confirmation naming the key before calling the backend", async () => {
    const { user, dialog } = await openRevoke();

    expect(dialog).toHaveTextContent('Revoke "billing-service"?');
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();
    expect(revokeKey).not.toHaveBeenCalled();

    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByTestId("revoke-dialog")).not.toBeInTheDocument();
    expect(revokeKey).not.toHaveBeenCalled();
    expect(within(row("key_a")).getByTestId("key-status")).toHaveTextContent("Active");
  });

  it("revokes on confirm, marks the row revoked and refreshes the list", async () => {
    const pending = deferred<Awaited<ReturnType<typeof commands.revokeKey>>>();
    revokeKey.mockReturnValue(pending.promise);
    const { user } = await openRevoke();
    const revokedBilling: Key = { ...billing, state: "revoked", revoked_at: "2025-05-02T08:00:00Z" };

    await user.click(screen.getByTestId("revoke-confirm"));
    expect(revokeKey).toHaveBeenCalledExactlyOnceWith("key_a");

    const refreshed = deferred<Awaited<ReturnType<typeof commands.listKeys>>>();
    listKeys.mockReturnValueOnce(refreshed.promise);
    pending.resolve(ok(revokedBilling));
    await vi.waitFor(() => expect(screen.queryByTestId("revoke-dialog")).not.toBeInTheDocument());
    // Marked at once from the backend's answer, before the refresh lands.
    expect(within(row("key_a")).getByTestId("key-status")).toHaveTextContent("Revoked");
    expect(within(row("key_a")).queryByTestId("key-revoke")).not.toBeInTheDocument();
    expect(listKeys).toHaveBeenCalledTimes(2);
    refreshed.resolve(listing(revokedBilling, old));
    await vi.waitFor(() => expect(screen.getByTestId("keys-table")).toHaveAttribute("aria-busy", "false"));
    expect(within(row("key_a")).getByTestId("key-status")).toHaveTextContent("Revoked");
  });

  it("keeps the dialog open with the error when revoking fails", async () => {
    revokeKey.mockResolvedValue(failure("Key key_a was not found.", "not_found"));
    const { user } = await openRevoke();
    await user.click(screen.getByTestId("revoke-confirm"));

    expect(await screen.findByTestId("revoke-error")).toHaveTextContent("Key key_a was not found.");
    expect(screen.getByTestId("revoke-confirm")).toBeEnabled();
    expect(within(row("key_a")).getByTestId("key-status")).toHaveTextContent("Active");
  });
});

describe("KeysScreen and the active profile", () => {
  it("drops the old profile's rows and loads the new one's after a switch", async () => {
    const pending = deferred<Awaited<ReturnType<typeof commands.listKeys>>>();
    listKeys.mockResolvedValueOnce(listing(billing));
    listKeys.mockReturnValueOnce(pending.promise);
    vi.mocked(commands.switchProfile).mockResolvedValue(ok(staging));
    const { session } = renderKeys();
    await screen.findByTestId("keys-table");

    expect(await session.switchTo("prof_staging")).toBe(true);

    await vi.waitFor(() => expect(listKeys).toHaveBeenCalledTimes(2));
    expect(screen.queryByTestId("keys-table")).not.toBeInTheDocument();
    expect(await screen.findByTestId("keys-loading")).toBeInTheDocument();
    pending.resolve(listing(fresh));
    expect(await screen.findByTestId("keys-table")).toBeInTheDocument();
    expect(rowIds()).toEqual(["key_c"]);
  });

  it("reloads when the active profile is edited, even if its settings read the same", async () => {
    listKeys.mockResolvedValue(listing(billing));
    vi.mocked(commands.listProfiles).mockResolvedValue(ok(profileList("local", local, staging)));
    vi.mocked(commands.activeProfile).mockResolvedValue(ok(local));
    const { session } = renderKeys();
    await session.load();
    await screen.findByTestId("keys-table");
    expect(listKeys).toHaveBeenCalledTimes(1);

    // What the Profiles screen does after saving the active profile (e.g. a new token).
    await session.refresh({ activeEdited: true });

    await vi.waitFor(() => expect(listKeys).toHaveBeenCalledTimes(2));
  });

  it("hands keychain trouble to the session's banner instead of showing it twice", async () => {
    listKeys.mockResolvedValue(
      failure('The token of profile "Staging" is no longer in the keychain.', "keychain_missing"),
    );
    const { session } = renderKeys();

    expect(await screen.findByTestId("keys-unavailable")).toBeInTheDocument();
    expect(screen.queryByTestId("keys-error")).not.toBeInTheDocument();
    expect(session.keychainProblem).toEqual({
      code: "keychain_missing",
      message: 'The token of profile "Staging" is no longer in the keychain.',
      field: null,
    });
  });

  it("refreshes when the shell says keys changed elsewhere", async () => {
    listKeys.mockResolvedValue(listing(billing));
    const { rerender } = renderKeys({ changed: 0 });
    await screen.findByTestId("keys-table");
    listKeys.mockResolvedValue(listing({ ...billing, state: "revoked", revoked_at: "2026-02-02T00:00:00Z" }));

    await rerender({ changed: 1 });

    await vi.waitFor(() => expect(within(row("key_a")).getByTestId("key-status")).toHaveTextContent("Revoked"));
    expect(listKeys).toHaveBeenCalledTimes(2);
  });
});

// Issue #17: an OpenAI organisation spans projects; the list filters and names them.
describe("KeysScreen on a profile that spans projects", () => {
  const projects = [
    { id: "proj_billing", name: "Billing" },
    { id: "proj_search", name: "Search" },
  ];
  const serviceKey = inferenceKey({ id: "proj_billing.key_a", name: "ci", hint: "sk-svcacct-…a1b2", project: "proj_billing", owner: "ci-bot (service account)" });
  const orphan = inferenceKey({ id: "proj_gone.key_b", name: "old", hint: "sk-proj-…c3d4", project: "proj_gone", owner: null });

  function renderOn(kind: "openai" | "keyward", capabilities = kind === "openai" ? openAiCapabilities() : keywardCapabilities()) {
    const { session, context } = withSession();
    session.active = storedProfile({ id: `prof_${kind}`, kind });
    session.capabilities = capabilities;
    render(KeysScreen, { context });
    return { user: userEvent.setup(), session };
  }

  const columns = () => screen.getAllByRole("columnheader").map((th) => th.textContent?.trim());

  it("filters by project and shows each key's project by name (its id when unknown) and owner", async () => {
    vi.mocked(commands.listProjects).mockResolvedValue(ok(projects));
    listKeys.mockResolvedValue(listing(serviceKey, orphan));
    const { user } = renderOn("openai");
    await waitFor(() => expect(rowIds()).toEqual([serviceKey.id, orphan.id]));

    expect(columns()).toEqual(expect.arrayContaining(["Project", "Owner"]));
    await waitFor(() => expect(within(row(serviceKey.id)).getByTestId("key-project")).toHaveTextContent("Billing"));
    expect(within(row(orphan.id)).getByTestId("key-project")).toHaveTextContent("proj_gone");
    expect(within(row(serviceKey.id)).getByTestId("key-owner")).toHaveTextContent("ci-bot (service account)");
    expect(within(row(orphan.id)).getByTestId("key-owner")).toHaveTextContent("—");

    const filter = screen.getByTestId("keys-filter-project") as HTMLSelectElement;
    expect([...filter.options].map((o) => o.textContent)).toEqual(["All projects", "Billing", "Search"]);
    await user.selectOptions(filter, "proj_search");
    expect(listKeys).toHaveBeenLastCalledWith({ ...unfiltered(), project: "proj_search" });
  });

  it("offers the projects in Create API Key, with how OpenAI creates keys", async () => {
    vi.mocked(commands.listProjects).mockResolvedValue(ok(projects));
    listKeys.mockResolvedValue(listing(serviceKey));
    const { user } = renderOn("openai");
    await waitFor(() => expect(rowIds()).toEqual([serviceKey.id]));
    await user.click(screen.getByTestId("create-key"));

    expect(screen.getByTestId("key-form-create-how")).toHaveTextContent(OPENAI_SERVICE_ACCOUNT);
    const select = screen.getByTestId("key-form-project") as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toEqual(["", "proj_billing", "proj_search"]);
  });

  it("has no project filter or column, and no owner column, on a Keyward profile", async () => {
    listKeys.mockResolvedValue(listing(billing, fresh));
    renderOn("keyward");
    await waitFor(() => expect(rowIds()).toEqual(["key_a", "key_c"]));

    expect(columns()).not.toContain("Project");
    expect(columns()).not.toContain("Owner");
    expect(screen.queryByTestId("keys-filter-project")).not.toBeInTheDocument();
  });

  it("on one account (OpenRouter) names no project, and shows each key's money limit and what it spent", async () => {
    vi.mocked(commands.listProjects).mockResolvedValue(ok([{ id: "ws_1", name: "OpenRouter account" }]));
    const budgeted = inferenceKey({
      id: "a1",
      name: "checkout",
      hint: "sk-or-v1-3d4...f62",
      project: "ws_1",
      owner: "user_1",
      scopes: { money_budget: { micros: 12_500_000, currency: "USD", reset: "month" } },
      money_used: { currency: "USD", day: 100_000, week: 600_000, month: 3_200_000, total: 9_000_000 },
    });
    const free = inferenceKey({ id: "a2", name: "batch", hint: "sk-or-v1-0ff...f69", project: "ws_1", owner: "user_1" });
    listKeys.mockResolvedValue(listing(budgeted, free));
    renderOn("openai", budgetingCapabilities());
    await waitFor(() => expect(rowIds()).toEqual(["a1", "a2"]));
    await waitFor(() => expect(commands.listProjects).toHaveBeenCalled());

    expect(columns()).not.toContain("Project");
    expect(columns()).toEqual(expect.arrayContaining(["Limits", "Spent"]));
    expect(within(row("a1")).getByTestId("key-limits")).toHaveTextContent("$12.50/month");
    const spent = within(row("a1")).getByTestId("key-spent");
    expect(spent).toHaveTextContent("$3.20 this month");
    expect(spent.getAttribute("title")).toBe(
      "Spent today (UTC): $0.10\nSpent this week (UTC, from Monday): $0.60\nSpent this month (UTC): $3.20\nSpent since created: $9.00",
    );
    expect(within(row("a2")).getByTestId("key-limits")).toHaveTextContent("None");
    expect(within(row("a2")).getByTestId("key-spent")).toHaveTextContent("—");
  });

  const statusOptions = () =>
    [...(screen.getByTestId("keys-filter-status") as HTMLSelectElement).options].map((o) => o.value);

  it("offers Disabled as a status only where the platform can pause keys", async () => {
    listKeys.mockResolvedValue(listing(billing));
    const { user, session } = renderOn("keyward");
    await waitFor(() => expect(rowIds()).toEqual(["key_a"]));
    expect(statusOptions()).not.toContain("disabled");

    session.capabilities = pausingCapabilities();
    await waitFor(() => expect(statusOptions()).toContain("disabled"));
    await user.selectOptions(screen.getByTestId("keys-filter-status"), "disabled");
    expect(listKeys).toHaveBeenLastCalledWith({ ...unfiltered(), status: "disabled", include_archived: null });
  });
});

// Issue #17: on OpenAI and Anthropic profiles the list reads in the platform's terms: the
// name first (Project and Owner once squeezed it to nothing), no column or filter for a
// scope the platform's keys do not have, the search and subtitle in its words; the
// Keyward gateway's layout is as it was, also while capabilities are unknown.
describe("KeysScreen in the active platform's terms", () => {
  const openAiKey = inferenceKey({ id: "proj_03.key_a", name: "search-4", hint: "sk-proj-****...AbCd", project: "proj_03", owner: "Ada Lovelace" });
  const anthropicKey = inferenceKey({
    id: "wrkspc_01.key_b",
    name: "support-bot",
    hint: "sk-ant-api03-R2D...igAA",
    project: "wrkspc_01",
    owner: "user_01fULw",
    state: "disabled",
  });
  const KEYWARD_COLUMNS = ["", "Name", "Key", "Status", "Limits", "Expires", "Labels", "Last used", "Created", "Actions"];
  const PLATFORM_COLUMNS = ["", "Name", "Key", "Project", "Owner", "Status", "Last used", "Created", "Actions"];
  const SCOPE_FILTERS = ["keys-filter-model", "keys-filter-workload", "keys-filter-label", "keys-filter-expiring"];

  function renderOn(kind: "openai" | "anthropic" | "keyward", capabilities: ReturnType<typeof keywardCapabilities> | null) {
    // An organisation of two projects: keys are told apart by project.
    vi.mocked(commands.listProjects).mockResolvedValue(
      ok([
        { id: "proj_03", name: "proj_03" },
        { id: "wrkspc_01", name: "wrkspc_01" },
      ]),
    );
    const { session, context } = withSession();
    session.active = storedProfile({ id: `prof_${kind}`, kind });
    session.capabilities = capabilities;
    render(KeysScreen, { context });
    return { session, user: userEvent.setup() };
  }

  const columns = () => screen.getAllByRole("columnheader").map((th) => th.textContent?.trim());
  const rem = (style: string | null | undefined, property: string) => Number(new RegExp(`${property}:\\s*([\\d.]+)rem`).exec(style ?? "")?.[1]);
  /** What the name column gets at the table's minimum width: the minimum less every other column. */
  function nameShare(): number {
    const table = screen.getByTestId("keys-table");
    const cols = [...table.querySelectorAll("col")];
    expect(cols).toHaveLength(columns().length);
    const others = cols.filter((_, index) => index !== 1).reduce((sum, col) => sum + rem(col.getAttribute("style"), "width"), 0);
    return rem(table.getAttribute("style"), "min-width") - others;
  }
  const subtitle = () => screen.getByRole("heading", { name: "API keys" }).parentElement?.querySelector(".subtitle")?.textContent ?? "";

  for (const [kind, key, capabilities, shape] of [
    ["openai", openAiKey, openAiCapabilities, "sk-proj-…"],
    ["anthropic", anthropicKey, anthropicCapabilities, "sk-ant-api03-…"],
  ] as const) {
    it(`${kind}: the name comes first and keeps its room; no Expires, Limits or Labels`, async () => {
      listKeys.mockResolvedValue(listing(key));
      renderOn(kind, capabilities());
      await waitFor(() => expect(rowIds()).toEqual([key.id]));

      expect(columns()).toEqual(PLATFORM_COLUMNS);
      expect(within(row(key.id)).getByTestId("key-open")).toHaveTextContent(key.name);
      expect(nameShare()).toBeCloseTo(12.5);
      // The Key column fits the whole hint (about 0.49rem a character plus padding), and says it in full on hover.
      const keyCol = screen.getByTestId("keys-table").querySelectorAll("col")[2];
      expect(rem(keyCol?.getAttribute("style"), "width")).toBeGreaterThanOrEqual(key.hint!.length * 0.49 + 1.5);
      expect(within(row(key.id)).getByTestId("key-label").closest("td")).toHaveAttribute("title", key.hint);
      for (const id of ["key-expires", "key-limits", "key-labels"]) expect(within(row(key.id)).queryByTestId(id)).not.toBeInTheDocument();
    });

    it(`${kind}: no Model, Workload, Label or Expiring filter; the search and subtitle in its words`, async () => {
      listKeys.mockResolvedValue(listing(key));
      renderOn(kind, capabilities());
      await waitFor(() => expect(rowIds()).toEqual([key.id]));

      for (const id of SCOPE_FILTERS) expect(screen.queryByTestId(id)).not.toBeInTheDocument();
      expect(screen.getByTestId("keys-search")).toHaveAttribute("placeholder", `Name or key (${shape})`);
      await waitFor(() => expect(subtitle()).toContain("Keys that applications use to call the inference API of this organisation."));
    });
  }

  for (const [state, capabilities] of [
    ["known", keywardCapabilities()],
    ["still loading", null],
  ] as const) {
    it(`keyward (${state}): every column and filter, the search and subtitle as before`, async () => {
      listKeys.mockResolvedValue(listing(billing));
      renderOn("keyward", capabilities);
      await waitFor(() => expect(rowIds()).toEqual(["key_a"]));

      expect(columns()).toEqual(KEYWARD_COLUMNS);
      expect(rem(screen.getByTestId("keys-table").getAttribute("style"), "min-width")).toBe(84);
      expect(nameShare()).toBeCloseTo(12.5);
      for (const id of SCOPE_FILTERS) expect(screen.getByTestId(id)).toBeInTheDocument();
      expect(screen.getByTestId("keys-search")).toHaveAttribute("placeholder", "Name, label or key (kw_live_AbC…)");
      await waitFor(() => expect(subtitle()).toContain("Keys that applications use to call the inference API of this project."));
    });
  }

  it("drops a filter's value when the platform turns out not to have it, so nothing invisible narrows the list", async () => {
    listKeys.mockResolvedValue(listing(billing));
    const { session, user } = renderOn("keyward", null);
    await waitFor(() => expect(rowIds()).toEqual(["key_a"]));
    await user.type(screen.getByTestId("keys-filter-label"), "team=ml");
    await waitFor(() => expect(listKeys).toHaveBeenLastCalledWith({ ...unfiltered(), label: "team=ml" }));

    session.capabilities = openAiCapabilities();
    await waitFor(() => expect(listKeys).toHaveBeenLastCalledWith(unfiltered()));
    expect(screen.queryByTestId("keys-filter-label")).not.toBeInTheDocument();
  });
});
