// The profile field rules, as the backend enforces them: what passes and the sentence
// for what does not.
import { describe, expect, it } from "vitest";
import { baseUrlProblem, nameProblem, notesProblem, projectProblem, tokenProblem } from "./rules";

describe("profile rules", () => {
  it("wants a name of 1–128 characters without control characters", () => {
    expect(nameProblem("Staging")).toBeNull();
    expect(nameProblem("x".repeat(128))).toBeNull();
    expect(nameProblem("   ")).toBe("Name is required.");
    expect(nameProblem("x".repeat(129))).toBe("Name must be at most 128 characters (this one has 129).");
    expect(nameProblem("a\u0007b")).toBe("Name must not contain control characters.");
  });

  it("wants an http(s) base URL with a host and nothing secret or extra in it", () => {
    expect(baseUrlProblem("https://gw.example.com")).toBeNull();
    expect(baseUrlProblem(" http://127.0.0.1:7070/ ")).toBeNull();
    expect(baseUrlProblem("")).toMatch(/^Base URL is required/);
    expect(baseUrlProblem("gw.example.com")).toBe("Base URL must start with http:// or https://.");
    expect(baseUrlProblem("ftp://gw.example.com")).toBe("Base URL must start with http:// or https://.");
    expect(baseUrlProblem("https://")).toMatch(/^Base URL (is not a valid URL|needs a host name)/);
    expect(baseUrlProblem("https://user:pw@gw.example.com")).toBe(
      "Base URL must not carry credentials, a query or a fragment.",
    );
    expect(baseUrlProblem("https://gw.example.com/?a=1")).toBe(
      "Base URL must not carry credentials, a query or a fragment.",
    );
  });

  it("wants a project id without '/'", () => {
    expect(projectProblem("proj_local")).toBeNull();
    expect(projectProblem(" ")).toBe("Project ID is required.");
    expect(projectProblem("team/proj")).toBe("Project ID must not contain '/'.");
  });

  it("caps notes at 2000 characters", () => {
    expect(notesProblem("")).toBeNull();
    expect(notesProblem("n".repeat(2001))).toBe("Notes must be at most 2000 characters (these have 2001).");
  });

  it("wants a token on create only, and never a blank one", () => {
    expect(tokenProblem("", true)).toBe("Token is required.");
    expect(tokenProblem("", false)).toBeNull();
    expect(tokenProblem("  ", false)).toBe("Token cannot be only spaces.");
    expect(tokenProblem("kw_ctl_x", true)).toBeNull();
  });
});
