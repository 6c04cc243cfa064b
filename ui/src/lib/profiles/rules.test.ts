// The profile form's field names. The rules themselves are Rust's (keyward-core
// profiles.rs, reached as checkProfileForm) and tested there.
import { describe, expect, it } from "vitest";
import { isProfileField } from "./rules";

describe("profile form names", () => {
  it("knows the backend's field names", () => {
    expect(isProfileField("base_url")).toBe(true);
    expect(isProfileField("secret")).toBe(false);
    expect(isProfileField(null)).toBe(false);
  });
});
