// The Keys screen's list state: the filters as typed and as applied, the server-paged
// rows, which rows the scroll position needs, and the selection for a bulk revoke.
//
// It lives apart from the markup because it is the part with rules worth testing on its
// own, and three components read it (KeysScreen composes, KeyFilters edits the filters,
// KeyTable renders the rows). Rows come in pages of 200 fetched by offset only when the
// scroll position needs them (a jump to the middle fetches the middle, not everything
// before it), and loaded pages are kept. Each listing has a `generation`: a refresh or a
// new query starts one, and an answer from an older generation never lands. Rows already
// shown stay while a refresh runs or fails; a new query's rows replace the old ones only
// once they arrive. A platform that does not say how many keys match (`total` null) is
// read page by page: the next page is asked for only after a full one came back, and a
// short page tells where the list ends. Rows have one fixed height, so a row's place is arithmetic, not
// measurement: the window of rows in view is derived from `scrollTop` and
// `viewportHeight`, which the table writes.
import { tick } from "svelte";
import { SvelteMap } from "svelte/reactivity";
import { commands, type AppError, type Key, type KeyListQuery, type KeySort, type KeyState } from "$lib/bindings";
import { inScreenWords } from "$lib/fieldWords";
import { settle } from "$lib/ipc";

/** The gateway's largest page. */
export const PAGE_SIZE = 200;
/** Every row is this tall (px), so row i starts at i × ROW_HEIGHT. */
export const ROW_HEIGHT = 40;
/** Rows rendered above and below the visible ones, so fast scrolling shows no gaps. */
const OVERSCAN = 10;
/** Rows beyond the rendered ones whose page is fetched ahead of need. */
const PREFETCH = 60;
/** Until the viewport is laid out (or where there is no layout), assume this height. */
export const FALLBACK_HEIGHT = 600;
export const TYPING_PAUSE_MS = 250;

export type StatusFilter = "all" | KeyState;
export type Filters = {
  q: string;
  status: StatusFilter;
  model: string;
  workload: string;
  label: string;
  /** Whole days, or null (a number input reads as null while empty). */
  expiring: number | null;
  sort: KeySort;
  /** A project's id, where a profile spans projects; "" = every project. */
  project: string;
};

export const NO_FILTERS: Filters = {
  q: "",
  status: "all",
  model: "",
  workload: "",
  label: "",
  expiring: null,
  sort: "created_at",
  project: "",
};

/** Server field errors that belong to a filter input, by the field the backend names. */
export const FILTER_FIELDS = ["q", "model", "workload", "label", "expiring_within_days"] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];
/** The filters' labels, by the API's names, for the backend's messages. */
const FILTER_LABELS: Record<FilterField, string> = {
  q: "Search",
  model: "Model",
  workload: "Workload",
  label: "Label",
  expiring_within_days: "Expiring within",
};

function optionalText(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
}

export function listQuery(f: Filters, offset: number): KeyListQuery {
  return {
    status: f.status === "all" ? null : f.status,
    include_archived: f.status === "all" ? false : null,
    q: optionalText(f.q),
    model: optionalText(f.model),
    workload: optionalText(f.workload),
    label: optionalText(f.label),
    expiring_within_days: f.expiring,
    sort: f.sort,
    limit: PAGE_SIZE,
    offset,
    project: f.project === "" ? null : f.project,
  };
}

type Page = { generation: number; keys: Key[] };

export type KeyPagesOptions = {
  /** Told of every listing's outcome (the profile session: keychain trouble goes to its banner). */
  health: { reportProblem(error: AppError): void; reportHealthy(): void };
  /** While true, nothing is fetched (a key's page is open in place of the list). */
  paused?: () => boolean;
  /** A new query starts at the top: the viewport scrolls there too. */
  ontop?: () => void;
};

export class KeyPages {
  /** The filter controls, as typed. */
  filters = $state<Filters>({ ...NO_FILTERS });
  /** The filters the rows on screen were listed with. */
  applied = $state.raw<Filters>({ ...NO_FILTERS });
  /** A whole-number problem with the days filter, found before any request. */
  expiringProblem = $state<string | null>(null);

  /** Loaded pages by page number; a page from an older generation is shown until replaced. */
  readonly pages = new SvelteMap<number, Page>();
  /** A page of this profile's keys has arrived (the list has something to show, maybe nothing). */
  listed = $state(false);
  /** How many keys match, as the platform last said; null where it does not say. */
  reported = $state<number | null>(null);
  loadError = $state.raw<AppError | null>(null);
  /** Requests in flight, for the progress indicator. */
  fetching = $state(0);
  readonly busy = $derived(this.fetching > 0);

  /** Keys chosen for a bulk revoke, kept by id with the key so the dialog can name them. */
  readonly selection = new SvelteMap<string, Key>();

  /** The list's scroll position and height (px), written by the table. */
  scrollTop = $state(0);
  viewportHeight = $state(0);

  readonly filtered = $derived(
    this.applied.q.trim() !== "" ||
      this.applied.status !== "all" ||
      this.applied.model.trim() !== "" ||
      this.applied.workload.trim() !== "" ||
      this.applied.label.trim() !== "" ||
      this.applied.expiring !== null ||
      this.applied.project !== "",
  );
  readonly anyFilterTyped = $derived(
    JSON.stringify({ ...$state.snapshot(this.filters), sort: NO_FILTERS.sort }) !== JSON.stringify(NO_FILTERS),
  );

  readonly filterError = $derived.by((): { field: FilterField; message: string } | null => {
    if (this.expiringProblem) return { field: "expiring_within_days", message: this.expiringProblem };
    const error = this.loadError;
    const field = error?.field;
    if (!error || !field || !(FILTER_FIELDS as readonly string[]).includes(field)) return null;
    return { field: field as FilterField, message: inScreenWords(error.message, FILTER_LABELS) };
  });

  /** Rows the loaded pages reach: where the list ends once its last page is in. */
  readonly loadedRows = $derived.by(() => {
    let end = 0;
    for (const [number, page] of this.pages) end = Math.max(end, number * PAGE_SIZE + page.keys.length);
    return end;
  });
  /** The last loaded page came back short, so no key lies beyond it. */
  readonly #endSeen = $derived.by(() => {
    let last = -1;
    for (const number of this.pages.keys()) last = Math.max(last, number);
    return last < 0 || (this.pages.get(last)?.keys.length ?? 0) < PAGE_SIZE;
  });
  /**
   * Keys matching the applied filters: as the platform says, or counted once the last
   * page is in; null before the first page and while a platform that does not count
   * has more pages to give.
   */
  readonly total = $derived(!this.listed ? null : (this.reported ?? (this.#endSeen ? this.loadedRows : null)));
  /** More keys may follow the loaded ones (their count unknown). */
  readonly more = $derived(this.listed && this.total === null);

  readonly rowCount = $derived(this.total ?? this.loadedRows);
  readonly firstRow = $derived(Math.max(0, Math.floor(this.scrollTop / ROW_HEIGHT) - OVERSCAN));
  readonly lastRow = $derived(
    Math.min(
      this.rowCount,
      Math.ceil((this.scrollTop + (this.viewportHeight || FALLBACK_HEIGHT)) / ROW_HEIGHT) + OVERSCAN,
    ),
  );
  /** The rows whose pages should be loaded: the rendered ones and a margin. */
  readonly wantFrom = $derived(Math.max(0, this.firstRow - PREFETCH));
  readonly wantTo = $derived(
    !this.listed ? 1 : this.total === null ? this.lastRow + PREFETCH : Math.min(this.total, this.lastRow + PREFETCH),
  );

  /** The rendered rows; `key` is undefined while its page is loading. */
  readonly rows = $derived.by(() => {
    const shown: { index: number; key: Key | undefined }[] = [];
    for (let index = this.firstRow; index < this.lastRow; index++) {
      shown.push({ index, key: this.pages.get(Math.floor(index / PAGE_SIZE))?.keys[index % PAGE_SIZE] });
    }
    return shown;
  });

  /** Loaded active keys by id: the ones "select all" selects. */
  readonly loadedActive = $derived.by(() => {
    const found = new Map<string, Key>();
    for (const page of this.pages.values()) {
      for (const key of page.keys) if (key.state === "active") found.set(key.id, key);
    }
    return found;
  });
  readonly selectedLoaded = $derived([...this.loadedActive.keys()].filter((id) => this.selection.has(id)).length);
  readonly allLoadedSelected = $derived(this.loadedActive.size > 0 && this.selectedLoaded === this.loadedActive.size);

  #generation = 0;
  /** A new query's first page replaces every older row instead of joining them. */
  #replaceOnArrival = false;
  readonly #inFlight = new Set<string>();
  /** The benchmark's mark goes down once, after the first rows are on screen. */
  #firstPageMarked = false;
  #typingPause: ReturnType<typeof setTimeout> | undefined;
  readonly #options: KeyPagesOptions;

  constructor(options: KeyPagesOptions) {
    this.#options = options;
  }

  // ---- Filters -------------------------------------------------------------------

  /** Text filters apply once typing pauses, so a word costs one request, not one per letter. */
  applySoon = () => {
    clearTimeout(this.#typingPause);
    this.#typingPause = setTimeout(this.applyNow, TYPING_PAUSE_MS);
  };

  applyNow = () => {
    clearTimeout(this.#typingPause);
    const next = $state.snapshot(this.filters);
    // A cleared or partly typed number input reads as null; "1.5" or "-3" is not a number of days.
    this.expiringProblem =
      next.expiring !== null && !Number.isInteger(next.expiring) ? "Enter a whole number of days." : null;
    if (this.expiringProblem) return;
    if (JSON.stringify(next) === JSON.stringify(this.applied)) return;
    this.applied = next;
    this.#startQuery();
  };

  clearFilters = () => {
    this.filters = { ...NO_FILTERS, sort: this.filters.sort };
    this.applyNow();
  };

  /** The server's (or the days check's) message for filter `field`, if it is the one at fault. */
  errorFor(field: FilterField): string | null {
    return this.filterError?.field === field ? this.filterError.message : null;
  }

  // ---- Pages ---------------------------------------------------------------------

  async #fetchPage(page: number) {
    const run = this.#generation;
    const tag = `${run}:${page}`;
    if (this.#inFlight.has(tag)) return;
    this.#inFlight.add(tag);
    this.fetching++;
    const result = await settle(commands.listKeys(listQuery(this.applied, page * PAGE_SIZE)));
    this.#inFlight.delete(tag);
    this.fetching--;
    if (run !== this.#generation) return;
    if (result.status === "error") {
      this.loadError = result.error;
      this.#options.health.reportProblem(result.error);
      return;
    }
    this.loadError = null;
    this.#options.health.reportHealthy();
    if (this.#replaceOnArrival) {
      this.#replaceOnArrival = false;
      this.pages.clear();
    }
    this.pages.set(page, { generation: run, keys: result.data.keys });
    this.reported = result.data.total;
    this.listed = true;
    if (!this.#firstPageMarked && result.data.keys.length > 0) {
      this.#firstPageMarked = true;
      await tick();
      if (typeof performance !== "undefined" && typeof performance.mark === "function") {
        performance.mark("keys:first-page");
      }
    }
  }

  /** Fetches the pages rows [from, to) fall in, unless this generation already has them. */
  ensure(from = this.wantFrom, to = this.wantTo) {
    if (this.loadError || this.#options.paused?.()) return;
    const firstPage = Math.floor(from / PAGE_SIZE);
    const lastPage = Math.floor(Math.max(from, to - 1) / PAGE_SIZE);
    for (let page = firstPage; page <= lastPage; page++) {
      if (page > 0 && this.total !== null && page * PAGE_SIZE >= this.total) break;
      // Uncounted: a page exists only after a full one (the one before it, as loaded).
      if (page > 0 && this.total === null && (this.pages.get(page - 1)?.keys.length ?? 0) < PAGE_SIZE) break;
      if (this.pages.get(page)?.generation === this.#generation) continue;
      void this.#fetchPage(page);
    }
  }

  /** Lists again with the same filters; the rows on screen stay until their pages are back. */
  refresh = () => {
    this.#generation++;
    this.loadError = null;
    this.ensure();
  };

  /** Lists with new filters, from the top. */
  #startQuery() {
    this.#generation++;
    this.#replaceOnArrival = true;
    this.loadError = null;
    this.selection.clear();
    this.#toTop();
    this.ensure();
  }

  /** Forgets every row (another profile's project is active); the caller lists again. */
  reset() {
    this.#generation++;
    this.#replaceOnArrival = false;
    this.pages.clear();
    this.listed = false;
    this.reported = null;
    this.loadError = null;
    this.selection.clear();
    this.#toTop();
  }

  #toTop() {
    this.scrollTop = 0;
    this.#options.ontop?.();
  }

  /** Replaces a key wherever it is loaded, e.g. after it was revoked or edited. */
  patch(updated: Key) {
    for (const [number, page] of this.pages) {
      if (page.keys.some((key) => key.id === updated.id)) {
        this.pages.set(number, { ...page, keys: page.keys.map((key) => (key.id === updated.id ? updated : key)) });
      }
    }
    if (updated.state !== "active") this.selection.delete(updated.id);
  }

  // ---- Selection -----------------------------------------------------------------

  toggle(key: Key) {
    if (this.selection.has(key.id)) this.selection.delete(key.id);
    else this.selection.set(key.id, key);
  }

  toggleAllLoaded = () => {
    if (this.allLoadedSelected) for (const id of this.loadedActive.keys()) this.selection.delete(id);
    else for (const [id, key] of this.loadedActive) this.selection.set(id, key);
  };

  /** Stops a pending typing pause (the screen is going away). */
  dispose() {
    clearTimeout(this.#typingPause);
  }
}
