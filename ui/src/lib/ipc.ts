// How the UI awaits a generated command. The bindings resolve command failures to
// `{ status: "error", error: AppError }` but rethrow anything that is a JS `Error` (a bug
// or a broken IPC bridge); `settle` folds those into the same shape, so every screen
// handles exactly one failure path and always has a human sentence to show.
import type { AppError, Result } from "./bindings";

const UNEXPECTED: AppError = {
  code: "internal",
  message: "Keyward could not complete the request. Details are in the developer console.",
  field: null,
};

export async function settle<T>(call: Promise<Result<T, AppError>>): Promise<Result<T, AppError>> {
  try {
    const result = await call;
    // The contract promises an AppError; never let anything else reach the screen as text.
    if (result.status === "error" && typeof result.error?.message !== "string") {
      console.error("command failed with a malformed error", result.error);
      return { status: "error", error: UNEXPECTED };
    }
    return result;
  } catch (thrown) {
    console.error("command threw", thrown);
    return { status: "error", error: UNEXPECTED };
  }
}

/** Said when a form's check over IPC itself failed (a bug or a broken bridge). */
export const CHECK_FAILED = "Keyward could not check the form. Details are in the developer console.";

/**
 * A form check over IPC (`checkPriceForm`, `checkWorkloadForm`, …): its rules live once,
 * in Rust, and the command answers with every bad field. A rejection is a bug or a broken
 * bridge, never a verdict on the form: it is logged and answered with null, so a dialog
 * says the check failed instead of leaving an unhandled promise or saving unchecked.
 */
export async function checkForm<T>(call: () => Promise<T>): Promise<T | null> {
  try {
    return await call();
  } catch (thrown) {
    console.error("form check failed", thrown);
    return null;
  }
}
