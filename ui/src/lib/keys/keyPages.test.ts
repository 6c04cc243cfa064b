// The Keys list state without a component: which pages a scroll position fetches (only
// the ones in view, by offset), a filter change starting again from the first page, an
// answer from before a filter change never landing, rows staying while a refresh runs,
// typed text applied once typing pauses, and a fractional days filter refused before any
// request. KeysScreen.test.ts covers the same rules through the screen; these pin them
// where they live.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { commands, type AppError, type KeyPage, type Result } from "$lib/bindings";
import { deferred, inferenceKey, ok, pagedProject, positionedKey, uncountedProject } from "./fixtures";
import { KeyPages, PAGE_SIZE, ROW_HEIGHT, TYPING_PAUSE_MS } from "./keyPages.svelte";

vi.mock("$lib/bindings", () => ({ commands: { listKeys: vi.fn() } }));

const listKeys = vi.mocked(commands.listKeys);

function health() {
  return { reportProblem: vi.fn<(error: AppError) => void>(), reportHealthy: vi.fn<() => void>() };
}

/** The offsets asked for so far, in order. */
function offsets(): (number | null | undefined)[] {
  return listKeys.mock.calls.map(([query]) => query.offset);
}

beforeEach(() => {
  listKeys.mockReset();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("KeyPages", () => {
  it("fetches only the pages the scroll position needs, by offset", async () => {
    listKeys.mockImplementation(pagedProject(100_000));
    const list = new KeyPages({ health: health() });

    list.ensure();
    await vi.waitFor(() => expect(list.total).toBe(100_000));
    expect(offsets()).toEqual([0]);

    // A jump to the middle fetches the middle (with its prefetch margin), not what lies before.
    list.viewportHeight = 600;
    list.scrollTop = 50_000 * ROW_HEIGHT;
    list.ensure();
    await vi.waitFor(() => expect(list.rows.every((row) => row.key !== undefined)).toBe(true));
    expect(offsets()).toEqual([0, 249 * PAGE_SIZE, 250 * PAGE_SIZE]);
    expect(list.rows[0]?.key).toEqual(positionedKey(list.firstRow));

    // Pages already loaded in this generation are not asked for again.
    list.ensure();
    expect(listKeys).toHaveBeenCalledTimes(3);
  });

  it("starts again from the first page when a filter changes", async () => {
    listKeys.mockImplementation(pagedProject(100_000));
    const ontop = vi.fn();
    const list = new KeyPages({ health: health(), ontop });
    list.viewportHeight = 600;
    list.ensure();
    await vi.waitFor(() => expect(list.total).toBe(100_000));
    list.scrollTop = 50_000 * ROW_HEIGHT;
    list.ensure();
    list.toggle(positionedKey(3));
    listKeys.mockClear();

    list.filters.status = "revoked";
    list.applyNow();

    expect(list.scrollTop).toBe(0);
    expect(ontop).toHaveBeenCalledTimes(1);
    expect(list.selection.size).toBe(0);
    expect(listKeys).toHaveBeenCalledTimes(1);
    expect(listKeys).toHaveBeenNthCalledWith(1, expect.objectContaining({ status: "revoked", include_archived: null, offset: 0 }));
    expect(list.filtered).toBe(true);
  });

  it("drops an answer that arrives after the filters changed", async () => {
    const before = deferred<Result<KeyPage, AppError>>();
    const after = deferred<Result<KeyPage, AppError>>();
    listKeys.mockReturnValueOnce(before.promise).mockReturnValueOnce(after.promise);
    const list = new KeyPages({ health: health() });

    list.ensure();
    list.filters.q = "billing";
    list.applyNow();
    expect(listKeys).toHaveBeenNthCalledWith(2, expect.objectContaining({ q: "billing", offset: 0 }));

    const billing = inferenceKey({ id: "key_billing", name: "billing" });
    after.resolve(ok({ keys: [billing], total: 1 }));
    await vi.waitFor(() => expect(list.total).toBe(1));
    // The unfiltered answer comes back last and must not overwrite the filtered rows.
    before.resolve(ok({ keys: [positionedKey(0), positionedKey(1)], total: 2 }));
    await vi.waitFor(() => expect(list.busy).toBe(false));

    expect(list.total).toBe(1);
    expect(list.rows.map((row) => row.key)).toEqual([billing]);
  });

  it("keeps the rows on screen while a refresh runs, and replaces them when it lands", async () => {
    const first = inferenceKey({ id: "key_a", name: "a" });
    listKeys.mockResolvedValueOnce(ok({ keys: [first], total: 1 }));
    const list = new KeyPages({ health: health() });
    list.ensure();
    await vi.waitFor(() => expect(list.total).toBe(1));

    const again = deferred<Result<KeyPage, AppError>>();
    listKeys.mockReturnValueOnce(again.promise);
    list.refresh();
    expect(list.busy).toBe(true);
    expect(list.rows.map((row) => row.key)).toEqual([first]);

    const revoked = { ...first, state: "revoked" as const };
    again.resolve(ok({ keys: [revoked], total: 1 }));
    await vi.waitFor(() => expect(list.busy).toBe(false));
    expect(list.rows.map((row) => row.key)).toEqual([revoked]);
  });

  it("applies typed text once typing pauses: one request per word", async () => {
    vi.useFakeTimers();
    listKeys.mockImplementation(pagedProject(10));
    const list = new KeyPages({ health: health() });
    list.ensure();
    listKeys.mockClear();

    for (const text of ["b", "bi", "bil", "bill"]) {
      list.filters.q = text;
      list.applySoon();
      vi.advanceTimersByTime(TYPING_PAUSE_MS - 1);
    }
    expect(listKeys).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(listKeys).toHaveBeenCalledTimes(1);
    expect(listKeys).toHaveBeenNthCalledWith(1, expect.objectContaining({ q: "bill" }));
    list.dispose();
  });

  it("refuses a fractional number of days before any request, and names the filter", () => {
    listKeys.mockImplementation(pagedProject(10));
    const list = new KeyPages({ health: health() });

    list.filters.expiring = 1.5;
    list.applyNow();

    expect(listKeys).not.toHaveBeenCalled();
    expect(list.errorFor("expiring_within_days")).toBe("Enter a whole number of days.");
    expect(list.errorFor("q")).toBeNull();
  });

  // A platform that does not count (`total` null): the next page is read only after a
  // full one came back, and the short last page tells how many there are.
  it("pages through a platform that does not say how many keys match", async () => {
    listKeys.mockImplementation(uncountedProject(450));
    const list = new KeyPages({ health: health() });
    list.viewportHeight = 600;

    list.ensure();
    await vi.waitFor(() => expect(list.listed).toBe(true));
    expect(list.total).toBeNull();
    expect(list.more).toBe(true);
    expect(list.rowCount).toBe(PAGE_SIZE);
    // The first page is in view with its margin; nothing beyond is asked for yet.
    list.ensure();
    expect(offsets()).toEqual([0]);

    // Scrolling near the end of the full page asks for the next one, and so on.
    list.scrollTop = (PAGE_SIZE - 10) * ROW_HEIGHT;
    list.ensure();
    await vi.waitFor(() => expect(list.loadedRows).toBe(2 * PAGE_SIZE));
    expect(list.total).toBeNull();
    list.scrollTop = (2 * PAGE_SIZE - 10) * ROW_HEIGHT;
    list.ensure();
    await vi.waitFor(() => expect(list.total).toBe(450));
    expect(list.more).toBe(false);
    expect(list.rowCount).toBe(450);
    expect(offsets()).toEqual([0, PAGE_SIZE, 2 * PAGE_SIZE]);

    // The end is known: scrolling past it asks for nothing more.
    list.scrollTop = 450 * ROW_HEIGHT;
    list.ensure();
    expect(listKeys).toHaveBeenCalledTimes(3);
  });

  it("knows an uncounted list of one short page is complete", async () => {
    listKeys.mockImplementation(uncountedProject(3));
    const list = new KeyPages({ health: health() });
    list.ensure();
    await vi.waitFor(() => expect(list.total).toBe(3));
    expect(list.more).toBe(false);
    list.ensure(0, 1_000);
    expect(listKeys).toHaveBeenCalledTimes(1);
  });

  it("does not fetch while paused (a key's page is open)", () => {
    listKeys.mockImplementation(pagedProject(10));
    let paused = true;
    const list = new KeyPages({ health: health(), paused: () => paused });
    list.ensure();
    expect(listKeys).not.toHaveBeenCalled();
    paused = false;
    list.ensure();
    expect(listKeys).toHaveBeenCalledTimes(1);
  });
});
