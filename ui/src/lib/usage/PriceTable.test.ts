// The price table: rows listed from the console's database; the form checked over IPC
// by Rust's rules (checkPriceForm, mocked here: the rules are tested in keyward-core's
// prices.rs) before saving, with each problem under its field, and a failed check said; the server's field errors mapped back the same
// way; save sends the trimmed, upper-cased price and lists it; edit and remove a row;
// the screen is told that spend changed.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { commands, type ModelPrice } from "$lib/bindings";
import { failure, ok } from "$lib/keys/fixtures";
import PriceTable from "./PriceTable.svelte";

vi.mock("$lib/bindings", () => ({
  commands: { listPrices: vi.fn(), checkPriceForm: vi.fn(), setPrice: vi.fn(), removePrice: vi.fn() },
}));

const listPrices = vi.mocked(commands.listPrices);
const setPrice = vi.mocked(commands.setPrice);
const checkPriceForm = vi.mocked(commands.checkPriceForm);
const removePrice = vi.mocked(commands.removePrice);

function price(overrides: Partial<ModelPrice> = {}): ModelPrice {
  return {
    model: "gpt-4o",
    input_per_million: "2.50",
    output_per_million: "10.00",
    currency: "USD",
    updated_at: "2026-11-01T09:00:00Z",
    ...overrides,
  };
}

function setup(props: { suggestions?: string[]; initialModel?: string } = {}) {
  const onclose = vi.fn();
  const onchanged = vi.fn();
  render(PriceTable, { ...props, onclose, onchanged });
  return { user: userEvent.setup(), onclose, onchanged };
}

const field = (id: string) => screen.getByTestId(id) as HTMLInputElement;

async function fill(user: ReturnType<typeof userEvent.setup>, values: Record<string, string>) {
  for (const [id, value] of Object.entries(values)) {
    await user.clear(field(id));
    if (value !== "") await user.type(field(id), value);
  }
}

beforeEach(() => {
  listPrices.mockReset();
  setPrice.mockReset();
  removePrice.mockReset();
  checkPriceForm.mockReset();
  checkPriceForm.mockResolvedValue([]);
  listPrices.mockResolvedValue(ok([price()]));
});

/** Clicks Save and presses Escape while the save is in flight: the disabled button
 *  takes no keys, so Escape goes to <body>, where the dialog must still hear it. */
async function pressEscapeWhileSaving(user: ReturnType<typeof userEvent.setup>) {
  await user.click(screen.getByTestId("price-save"));
  expect(screen.getByTestId("price-save")).toBeDisabled();
  await user.keyboard("{Escape}");
}

describe("PriceTable", () => {
  it("lists the prices", async () => {
    setup();
    const row = await screen.findByTestId("price-row");
    expect(row).toHaveTextContent("gpt-4o");
    expect(row).toHaveTextContent("2.50");
    expect(row).toHaveTextContent("10.00");
    expect(row).toHaveTextContent("USD");
  });

  it("names every problem Rust's check finds under its field, and does not save", async () => {
    checkPriceForm.mockResolvedValue([
      { field: "model", message: "Enter the model name as requests send it." },
      { field: "input_per_million", message: "The input price must be digits with at most 6 decimals, not negative (e.g. 2.50)." },
      { field: "output_per_million", message: "The output price must be digits with at most 6 decimals, not negative (e.g. 2.50)." },
      { field: "currency", message: "Use a three-letter currency code such as USD or EUR." },
    ]);
    const { user } = setup();
    await screen.findByTestId("price-row");
    await fill(user, { "price-model": "", "price-input": "-1", "price-output": "1.1234567", "price-currency": "US" });
    await user.click(screen.getByTestId("price-save"));
    expect(checkPriceForm).toHaveBeenCalledWith({
      model: "",
      input_per_million: "-1",
      output_per_million: "1.1234567",
      currency: "US",
      updated_at: null,
    });
    expect(setPrice).not.toHaveBeenCalled();
    expect(field("price-model")).toHaveAttribute("aria-invalid", "true");
    expect(field("price-input")).toHaveAccessibleDescription(/at most 6 decimals, not negative/);
    expect(field("price-output")).toHaveAccessibleDescription(/at most 6 decimals/);
    expect(field("price-currency")).toHaveAccessibleDescription(/three-letter currency code/);
  });

  it("says the check failed, and saves nothing, when the check itself rejects", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    checkPriceForm.mockRejectedValue(new Error("bridge down"));
    const { user } = setup();
    await screen.findByTestId("price-row");
    await fill(user, { "price-model": "gpt-4o-mini", "price-input": "1", "price-output": "2" });
    await user.click(screen.getByTestId("price-save"));
    expect(await screen.findByText(/could not check the form/)).toBeInTheDocument();
    expect(setPrice).not.toHaveBeenCalled();
    expect(screen.getByTestId("price-save")).toBeEnabled();
  });

  it("saves a trimmed, upper-cased price, lists it and tells the screen", async () => {
    setPrice.mockImplementation(async (p) => ok({ ...p, updated_at: "2026-11-22T10:00:00Z" }));
    const { user, onchanged } = setup({ suggestions: ["llama-3-8b"], initialModel: "llama-3-8b" });
    await screen.findByTestId("price-row");
    expect(field("price-model")).toHaveValue("llama-3-8b");
    await fill(user, { "price-input": " 0.15 ", "price-output": "0.6", "price-currency": "eur" });
    await user.click(screen.getByTestId("price-save"));
    expect(setPrice).toHaveBeenCalledWith({
      model: "llama-3-8b",
      input_per_million: "0.15",
      output_per_million: "0.6",
      currency: "EUR",
      updated_at: null,
    });
    await vi.waitFor(() => expect(screen.getAllByTestId("price-row")).toHaveLength(2));
    expect(screen.getByText("Saved the price of llama-3-8b.")).toBeInTheDocument();
    expect(onchanged).toHaveBeenCalledTimes(1);
    expect(field("price-model")).toHaveValue("");
    // Focus is kept in the dialog, so Escape still closes it.
    await vi.waitFor(() => expect(field("price-model")).toHaveFocus());
  });

  it("puts the server's field error under that field", async () => {
    setPrice.mockResolvedValue(
      failure("input_per_million is over 1000000 per million tokens; check the decimal point.", "invalid_input", "input_per_million"),
    );
    const { user, onchanged } = setup();
    await screen.findByTestId("price-row");
    await fill(user, { "price-model": "big", "price-input": "999999", "price-output": "1" });
    await user.click(screen.getByTestId("price-save"));
    await vi.waitFor(() => expect(field("price-input")).toHaveAttribute("aria-invalid", "true"));
    expect(field("price-input")).toHaveAccessibleDescription(/check the decimal point/);
    expect(onchanged).not.toHaveBeenCalled();
  });

  it("shows a server error without a field above the form", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    setPrice.mockResolvedValue(failure("The console database is read-only."));
    const { user } = setup();
    await screen.findByTestId("price-row");
    await fill(user, { "price-model": "m", "price-input": "1", "price-output": "1" });
    await user.click(screen.getByTestId("price-save"));
    expect(await screen.findByRole("alert")).toHaveTextContent("read-only");
  });

  it("edits a row in the form and removes a row", async () => {
    removePrice.mockResolvedValue(ok(null));
    const { user, onchanged } = setup();
    const row = await screen.findByTestId("price-row");
    await user.click(within(row).getByRole("button", { name: "Edit" }));
    expect(field("price-model")).toHaveValue("gpt-4o");
    expect(field("price-input")).toHaveValue("2.50");
    expect(screen.getByTestId("price-save")).toHaveTextContent("Save price");
    await user.click(within(row).getByRole("button", { name: "Remove the price of gpt-4o" }));
    expect(removePrice).toHaveBeenCalledWith("gpt-4o");
    await vi.waitFor(() => expect(screen.queryByTestId("price-row")).not.toBeInTheDocument());
    expect(onchanged).toHaveBeenCalledTimes(1);
  });

  it("closes after the save when Escape comes while saving, and stays open if it fails", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    let answer: (value: Awaited<ReturnType<typeof commands.setPrice>>) => void = () => {};
    setPrice.mockImplementation(() => new Promise((resolve) => (answer = resolve)));
    const { user, onclose, onchanged } = setup();
    await screen.findByTestId("price-row");
    await fill(user, { "price-model": "m", "price-input": "1", "price-output": "1" });
    await pressEscapeWhileSaving(user);
    expect(onclose).not.toHaveBeenCalled();
    answer(failure("The console database is read-only."));
    expect(await screen.findByRole("alert")).toHaveTextContent("read-only");
    expect(onclose).not.toHaveBeenCalled();

    await pressEscapeWhileSaving(user);
    expect(onclose).not.toHaveBeenCalled();
    expect(setPrice).toHaveBeenCalledTimes(2);
    answer(ok(price({ model: "m", input_per_million: "1", output_per_million: "1" })));
    await vi.waitFor(() => expect(onclose).toHaveBeenCalledTimes(1));
    expect(onchanged).toHaveBeenCalledTimes(1);
  });

  it("closes on Close and on Escape", async () => {
    const { user, onclose } = setup();
    await screen.findByTestId("price-row");
    await user.click(screen.getByRole("button", { name: "Close" }));
    await user.keyboard("{Escape}");
    expect(onclose).toHaveBeenCalledTimes(2);
  });
});
