// The chips field's suggestion list on its own: a plain text field without suggestions;
// with them, a combobox whose arrow keys wrap around the list, whose typed text always
// wins on Enter and when the field is left, which never opens while read-only, and
// whose `note` marks a chip without making it an error. (Typing, commas, Backspace and
// the remove buttons are covered through the key form that uses it.)
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import ChipsInput from "./ChipsInput.svelte";

const SUGGESTIONS = [{ value: "alpha", label: "First" }, { value: "beta" }, { value: "gamma", label: "gamma" }];

function setup(
  props: Partial<{
    items: string[];
    readonly: boolean;
    suggestions: typeof SUGGESTIONS;
    note: (item: string) => string | null;
    strict: boolean;
    allowNew: string;
  }> = {},
) {
  render(ChipsInput, { id: "models", items: [], noun: "model", testid: "field", ...props });
  return userEvent.setup();
}

const chips = () =>
  within(screen.getByTestId("field")).queryAllByTestId("chip").map((chip) => chip.querySelector(".chip-text")?.textContent);
const selected = () => within(screen.getByRole("listbox")).getByRole("option", { selected: true }).textContent?.trim();

describe("ChipsInput suggestions", () => {
  it("is a plain text field without suggestions", async () => {
    const user = setup();
    await user.type(screen.getByRole("textbox"), "{ArrowDown}x{Enter}");
    expect(screen.queryByRole("combobox")).not.toBeInTheDocument();
    expect(screen.queryByRole("listbox")).not.toBeInTheDocument();
    expect(chips()).toEqual(["x"]);
  });

  it("wraps the arrow keys around the list and shows a label only when it adds something", async () => {
    const user = setup({ suggestions: SUGGESTIONS });
    const input = screen.getByRole("combobox");
    expect(input).toHaveAttribute("aria-expanded", "false");
    await user.click(input);

    const list = screen.getByRole("listbox", { name: "Suggested models" });
    expect(within(list).getAllByRole("option").map((option) => option.textContent?.replace(/\s+/g, " ").trim())).toEqual([
      "alpha First",
      "beta",
      "gamma",
    ]);
    expect(input).not.toHaveAttribute("aria-activedescendant");
    await user.keyboard("{ArrowUp}");
    expect(selected()).toBe("gamma");
    await user.keyboard("{ArrowDown}");
    expect(selected()).toContain("alpha");
    await user.keyboard("{Enter}");
    expect(chips()).toEqual(["alpha"]);
  });

  it("keeps what was typed when the field is left, and closes the list", async () => {
    const user = setup({ suggestions: SUGGESTIONS });
    await user.type(screen.getByRole("combobox"), "alp");
    expect(screen.getByRole("listbox")).toBeInTheDocument();
    await user.tab();
    expect(chips()).toEqual(["alp"]);
    expect(screen.queryByRole("listbox")).not.toBeInTheDocument();
  });

  it("opens no list while read-only", async () => {
    const user = setup({ suggestions: SUGGESTIONS, readonly: true });
    await user.click(screen.getByRole("combobox"));
    await user.keyboard("{ArrowDown}");
    expect(screen.queryByRole("listbox")).not.toBeInTheDocument();
  });

  it("marks a chip with a note as a remark, for the eye and for screen readers", () => {
    setup({ items: ["alpha", "omega"], note: (item) => (item === "omega" ? "Nothing serves this yet" : null) });
    const [plain, noted] = within(screen.getByTestId("field")).getAllByTestId("chip");
    expect(plain).not.toHaveAttribute("title");
    expect(noted).toHaveAttribute("title", "Nothing serves this yet");
    expect(noted).toHaveTextContent("omega (Nothing serves this yet)");
    expect(screen.getByRole("textbox")).not.toHaveAttribute("aria-invalid");
  });
});

// Issue #15: a strict field takes only what exists; anything else needs an explicit choice.
describe("ChipsInput strict", () => {
  it("turns only a suggested value into a chip; other text stays typed, and the field says why", async () => {
    const user = setup({ suggestions: SUGGESTIONS, strict: true });
    const input = screen.getByRole("combobox");
    await user.type(input, "alp{Enter}");
    expect(chips()).toEqual([]);
    expect(input).toHaveValue("alp");
    expect(screen.getByTestId("chip-refused")).toHaveTextContent("“alp” is not a model of this project. Pick from the list (↓).");
    expect(input).toHaveAccessibleDescription(expect.stringContaining("is not a model"));

    await user.type(input, "ha{Enter}");
    expect(chips()).toEqual(["alpha"]);
    expect(screen.queryByTestId("chip-refused")).not.toBeInTheDocument();
    // Leaving the field does not sneak an unknown value in either.
    await user.type(input, "delta");
    await user.tab();
    expect(chips()).toEqual(["alpha"]);
    expect(input).toHaveValue("delta");
  });

  it("offers an explicit, marked way to add a value that does not exist yet; Enter alone never takes it", async () => {
    const user = setup({ suggestions: SUGGESTIONS, strict: true, allowNew: "not served yet" });
    const input = screen.getByRole("combobox");
    await user.type(input, "delta");
    const added = screen.getByTestId("chip-new");
    expect(added).toHaveTextContent("Add “delta” not served yet");
    await user.keyboard("{Enter}");
    expect(chips()).toEqual([]);
    expect(screen.getByTestId("chip-refused")).toHaveTextContent("or choose “Add …” at its end to name it anyway");

    await user.keyboard("{ArrowDown}");
    expect(screen.getByTestId("chip-new")).toHaveAttribute("aria-selected", "true");
    await user.keyboard("{Enter}");
    expect(chips()).toEqual(["delta"]);
  });
});
