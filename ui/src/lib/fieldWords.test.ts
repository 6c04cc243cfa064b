// Field errors speak the screen's words (issue #15): API names at the start of a
// message or written as identifiers become the form's labels; ordinary words stay.
import { describe, expect, it } from "vitest";
import { inScreenWords } from "./fieldWords";

const LABELS = {
  name: "Name",
  model_name: "Model name",
  token_limit: "Token budget",
  token_limit_period: "Budget period",
  labels: "Labels",
  allowed_models: "Allowed models",
  base_url: "Base URL",
};

describe("inScreenWords", () => {
  it.each([
    ["model_name is required.", "Model name is required."],
    ["name is required and must not be blank.", "Name is required and must not be blank."],
    ["token_limit_period must be one of minute, hour, day, week or month.", "Budget period must be one of minute, hour, day, week or month."],
    ["token_limit needs token_limit_period.", "Token budget needs Budget period."],
    ["labels.team must be a string.", "Labels (team) must be a string."],
    ["allowed_models[1] must be a string.", "Allowed models (entry 2) must be a string."],
    ["base_url must be an http:// or https:// URL.", "Base URL must be an http:// or https:// URL."],
  ])("%s → %s", (message, expected) => {
    expect(inScreenWords(message, LABELS)).toBe(expected);
  });

  it("leaves plain words and unknown names alone", () => {
    expect(inScreenWords("Another profile already has this name.", LABELS)).toBe("Another profile already has this name.");
    expect(inScreenWords("grace_period_seconds must be whole.", LABELS)).toBe("grace_period_seconds must be whole.");
  });
});
