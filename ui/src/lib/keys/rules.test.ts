// The key form's display helpers: the earliest expiry date the date picker offers and
// the backend's field names. The rules themselves are Rust's (keyward-core key_draft.rs,
// reached over IPC as checkKeyForm) and tested there.
import { describe, expect, it } from "vitest";
import { firstExpiryDate, isKeyField } from "./rules";

describe("key form helpers", () => {
  it("offers dates from tomorrow (local)", () => {
    expect(firstExpiryDate(new Date(2026, 10, 22, 10, 0))).toBe("2026-11-23");
    expect(firstExpiryDate(new Date(2026, 11, 31, 23, 59))).toBe("2027-01-01");
  });

  it("knows the backend's field names", () => {
    expect(isKeyField("expires_at")).toBe(true);
    expect(isKeyField("grace_period_seconds")).toBe(false);
    expect(isKeyField(null)).toBe(false);
  });
});
