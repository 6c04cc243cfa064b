// Scopes and history in words: limits, budgets, durations and audit values read the
// same wherever a key is described, and an audit value is never an object dump.
import { describe, expect, it } from "vitest";
import { auditChanges, budgetText, durationText, moneyBudgetText, rateText, totalText } from "./scopes";

describe("scope words", () => {
  it("words limits and budgets", () => {
    expect(rateText(60, "requests")).toBe("60 requests/min");
    expect(rateText(null, "tokens")).toBe("Unlimited");
    expect(budgetText({ tokens: 1_000_000, period: "day" })).toBe("1,000,000 tokens per day");
    expect(budgetText(null)).toBe("Unlimited");
  });

  it("words a money budget per period or in all, and counters a platform does not keep", () => {
    expect(moneyBudgetText({ micros: 50000000, currency: "USD", reset: "month" })).toBe("$50.00 / month");
    expect(moneyBudgetText({ micros: 20000000, currency: "USD", reset: null })).toBe("$20.00 in all");
    expect(moneyBudgetText(null)).toBe("None");
    expect(totalText({ requests: 1234, input_tokens: 0, output_tokens: 0 }, "requests")).toBe("1,234");
    expect(totalText(null, "requests")).toBe("—");
  });

  it("words durations", () => {
    expect(durationText(0)).toBe("now");
    expect(durationText(300)).toBe("5 minutes");
    expect(durationText(3600)).toBe("1 hour");
    expect(durationText(93_600)).toBe("1 day 2 hours");
  });

  it("turns an audit diff into rows of old and new text", () => {
    expect(
      auditChanges({
        rpm: { old: null, new: 1200 },
        workloads: { old: "*", new: ["a", "b"] },
        labels: { old: {}, new: { team: "x" } },
        allowed_models: { old: ["m"], new: null },
      }),
    ).toEqual([
      { field: "rpm", old: "Unlimited", new: "1,200" },
      { field: "workloads", old: "Whole project", new: "a, b" },
      { field: "labels", old: "—", new: "team=x" },
      { field: "allowed_models", old: "m", new: "All models" },
    ]);
    expect(auditChanges(null)).toEqual([]);
    expect(auditChanges({ odd: "not a pair" })).toEqual([{ field: "odd", old: "—", new: "—" }]);
  });
});
