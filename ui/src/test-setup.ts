// Vitest setup: DOM matchers (toBeInTheDocument, toBeDisabled, …) for every component
// test, and spies (e.g. a silenced console.error) undone after each test.
import "@testing-library/jest-dom/vitest";
import { afterEach, vi } from "vitest";

afterEach(() => {
  vi.restoreAllMocks();
});
