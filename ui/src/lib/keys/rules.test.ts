// The key field rules, as the gateway enforces them: what passes and the sentence for
// what does not.
import { describe, expect, it } from "vitest";
import {
  budgetProblems,
  expiryDateProblem,
  expiryDaysProblem,
  firstExpiryDate,
  isKeyField,
  labelsMap,
  labelsProblem,
  modelsProblem,
  parseLimit,
  workloadsProblem,
} from "./rules";

const NOW = new Date("2026-11-22T10:00:00Z");

describe("key rules", () => {
  it("reads limits as whole numbers from 1 to 10^12, empty meaning none", () => {
    expect(parseLimit("")).toEqual({ value: null, problem: null });
    expect(parseLimit(" 60 ")).toEqual({ value: 60, problem: null });
    expect(parseLimit("1,000,000")).toEqual({ value: 1_000_000, problem: null });
    expect(parseLimit("1 000_000")).toEqual({ value: 1_000_000, problem: null });
    expect(parseLimit("1000000000000").value).toBe(1e12);
    expect(parseLimit("1000000000001").problem).toMatch(/from 1 to/);
    expect(parseLimit("0").problem).toMatch(/from 1 to/);
    expect(parseLimit("1.5").problem).toMatch(/whole number/);
    expect(parseLimit("-5").problem).toMatch(/whole number/);
  });

  it("pairs a budget with its period", () => {
    expect(budgetProblems(null, null)).toEqual({});
    expect(budgetProblems(100, "day")).toEqual({});
    expect(budgetProblems(100, null)).toHaveProperty("token_limit_period");
    expect(budgetProblems(null, "day")).toHaveProperty("token_limit");
  });

  it("wants model names of 1–200 printable characters, each once", () => {
    expect(modelsProblem([])).toBeNull();
    expect(modelsProblem(["gpt-4o", "m".repeat(200)])).toBeNull();
    expect(modelsProblem(["m".repeat(201)])).toMatch(/at most 200/);
    expect(modelsProblem(["a\tb"])).toMatch(/control/);
    expect(modelsProblem(["a", "a"])).toBe("“a” is listed twice.");
  });

  it("wants workload slugs, at least one", () => {
    expect(workloadsProblem(["chat-prod", "b2"])).toBeNull();
    expect(workloadsProblem([])).toMatch(/at least one/);
    expect(workloadsProblem(["-chat"])).toMatch(/not a workload slug/);
    expect(workloadsProblem(["Chat"])).toMatch(/not a workload slug/);
    expect(workloadsProblem(["a".repeat(64)])).toMatch(/not a workload slug/);
  });

  it("wants label names present, well-formed and unique, ignoring blank rows", () => {
    expect(labelsProblem([{ key: "", value: "" }])).toBeNull();
    expect(labelsProblem([{ key: "team", value: "" }])).toBeNull();
    expect(labelsProblem([{ key: " ", value: "x" }])).toBe("Every label needs a name.");
    expect(labelsProblem([{ key: "a b", value: "x" }])).toMatch(/must be 1–63/);
    expect(labelsProblem([{ key: "t", value: "1" }, { key: " t", value: "2" }])).toBe("Label “t” is set twice.");
    expect(labelsProblem([{ key: "t", value: "v".repeat(257) }])).toMatch(/at most 256/);
    expect(labelsMap([{ key: " team ", value: "billing" }, { key: "", value: "" }])).toEqual({ team: "billing" });
  });

  it("wants an expiry date after today (UTC), and 1–3650 days", () => {
    expect(firstExpiryDate(NOW)).toBe("2026-11-23");
    expect(expiryDateProblem("2026-11-23", NOW)).toBeNull();
    expect(expiryDateProblem("2026-11-22", NOW)).toMatch(/has passed/);
    expect(expiryDateProblem("", NOW)).toMatch(/Choose the date/);
    expect(expiryDateProblem("31/01/2027", NOW)).toMatch(/like 2027-01-31/);
    expect(expiryDaysProblem("1")).toEqual({ days: 1, problem: null });
    expect(expiryDaysProblem("3650")).toEqual({ days: 3650, problem: null });
    expect(expiryDaysProblem("0").problem).toMatch(/1 to 3650/);
    expect(expiryDaysProblem("3651").problem).toMatch(/1 to 3650/);
  });

  it("knows the backend's field names", () => {
    expect(isKeyField("expires_at")).toBe(true);
    expect(isKeyField("grace_period_seconds")).toBe(false);
    expect(isKeyField(null)).toBe(false);
  });
});
