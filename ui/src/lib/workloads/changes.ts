// Following an asynchronous workload change to its end. Gcore answers a create, edit,
// delete or start with a task and does the work afterwards (minutes for a GPU image);
// the screen polls `deploymentChange` with what the change named until the task is
// done or failed, and shows each state as it comes. A poll that fails is retried a few
// times (a blip must not lose the change); the change itself is never resent.
import { commands, type AppError, type ChangeProgress, type WorkloadState } from "$lib/bindings";
import { settle } from "$lib/ipc";

/** How often a running change is asked about. */
export const CHANGE_POLL_MS = 1_500;
/** Polls that may fail in a row before following gives up (the change goes on). */
const MISSES_ALLOWED = 3;

export type Followed = { progress: ChangeProgress } | { error: AppError };

/**
 * Polls `follow` until it ends, calling `onprogress` with each answer; resolves with
 * the last. `stopped()` true (the page went away) ends it quietly.
 */
export async function followChange(
  follow: string,
  onprogress: (progress: ChangeProgress) => void,
  stopped: () => boolean = () => false,
  wait: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<Followed | null> {
  let misses = 0;
  for (;;) {
    if (stopped()) return null;
    const result = await settle(commands.deploymentChange(follow));
    if (stopped()) return null;
    if (result.status === "error") {
      misses += 1;
      if (misses > MISSES_ALLOWED) return { error: result.error };
    } else {
      misses = 0;
      onprogress(result.data);
      if (result.data.state === "done" || result.data.state === "failed") return { progress: result.data };
    }
    await wait(CHANGE_POLL_MS);
  }
}

/** A change's state in the words of a progress line. */
export const CHANGE_WORDS: Record<ChangeProgress["state"], string> = {
  queued: "Queued",
  running: "In progress",
  done: "Done",
  failed: "Failed",
};

/** A workload's state in the screen's words. */
export const STATE_WORDS: Record<WorkloadState, string> = {
  provisioning: "Provisioning",
  healthy: "Healthy",
  degraded: "Degraded",
  down: "Down",
  disabled: "Stopped",
  scaled_to_zero: "Scaled to zero",
  deleting: "Deleting",
  unknown: "Unknown",
};

/** States that change by themselves soon: the list and page refresh faster while one shows. */
export function isSettling(state: WorkloadState | undefined): boolean {
  return state === "provisioning" || state === "deleting";
}
