// Date formatting: RFC 3339 from the backend becomes a local date-time; anything else is
// shown as received rather than as "Invalid Date".
import { describe, expect, it } from "vitest";
import { formatDateTime } from "./format";

describe("formatDateTime", () => {
  it("formats an RFC 3339 timestamp for people", () => {
    const shown = formatDateTime("2025-03-14T09:26:53Z");
    expect(shown).not.toBe("2025-03-14T09:26:53Z");
    expect(shown).toMatch(/2025/);
  });

  it("returns input it cannot parse unchanged", () => {
    expect(formatDateTime("not a date")).toBe("not a date");
  });
});
