// Refreshing only what is on screen, and less when nobody looks. A screen starts a
// poller when it mounts and stops it when it unmounts, so only the visible screen
// refreshes. The pace follows the window: `focused` while it has focus, `unfocused`
// while visible behind another window, and nothing while hidden (minimised, another
// workspace): document.visibilityState. Coming back refreshes at once.
//
// Intervals used by the Workloads screens (documented in docs/benchmarks.md too):
//   list:          10 s focused, 30 s unfocused, paused hidden
//   workload page: 10 s focused, 30 s unfocused, paused hidden
// The gateway probes every 10 s, so refreshing faster would redraw the same numbers.
// Desktop notifications do not depend on any of this: Rust polls the cheap health
// summary every 15 s in the background whatever the window shows.

export type Pace = { focused: number; unfocused: number };

export const LIST_PACE: Pace = { focused: 10_000, unfocused: 30_000 };
export const PAGE_PACE: Pace = { focused: 10_000, unfocused: 30_000 };

/** Calls `refresh` now and then on the pace; returns the stop function. A refresh never
 * overlaps the previous one: the next is scheduled once it settles. */
export function startPolling(refresh: () => Promise<unknown>, pace: Pace): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let stopped = false;

  const delay = () => {
    if (document.visibilityState === "hidden") return null;
    return document.hasFocus() ? pace.focused : pace.unfocused;
  };

  function schedule() {
    clearTimeout(timer);
    const ms = delay();
    if (stopped || ms === null) return;
    timer = setTimeout(tickNow, ms);
  }

  async function tickNow() {
    if (stopped || running) return;
    running = true;
    try {
      await refresh();
    } finally {
      running = false;
      schedule();
    }
  }

  const wake = () => {
    if (document.visibilityState === "hidden") {
      clearTimeout(timer);
    } else if (!running) {
      void tickNow();
    }
  };
  const refocus = () => wake();
  const blur = () => schedule();

  document.addEventListener("visibilitychange", wake);
  window.addEventListener("focus", refocus);
  window.addEventListener("blur", blur);
  schedule();

  return () => {
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener("visibilitychange", wake);
    window.removeEventListener("focus", refocus);
    window.removeEventListener("blur", blur);
  };
}
