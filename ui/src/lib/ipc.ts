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
