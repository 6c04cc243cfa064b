// Create dialog: the name rule is enforced before any request, server errors land where
// they belong, and the dialog cannot be dismissed while a key is being created.
import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { commands, type CreatedKeyView } from "$lib/bindings";
import CreateKeyDialog from "./CreateKeyDialog.svelte";
import { deferred, failure, inferenceKey, ok } from "./fixtures";

vi.mock("$lib/bindings", () => ({ commands: { createKey: vi.fn() } }));

const createKey = vi.mocked(commands.createKey);

const created: CreatedKeyView = {
  key: inferenceKey({ id: "key_new", name: "ci" }),
  reveal: { id: "rev_1", secret: "kw_live_secret" },
};

function setup() {
  const oncancel = vi.fn();
  const oncreated = vi.fn();
  render(CreateKeyDialog, { oncancel, oncreated });
  return { user: userEvent.setup(), oncancel, oncreated, input: screen.getByTestId("key-name") };
}

beforeEach(() => {
  createKey.mockReset();
});

describe("CreateKeyDialog", () => {
  it.each([
    ["empty", "", "Name is required."],
    ["whitespace-only", "   ", "Name cannot be only spaces."],
    ["129 characters", "x".repeat(129), "Name must be at most 128 characters (this one has 129)."],
  ])("rejects a %s name without calling the backend", async (_case, value, message) => {
    const { user, input } = setup();
    if (value) {
      await user.click(input);
      await user.paste(value);
    }
    await user.click(screen.getByTestId("create-submit"));

    expect(screen.getByTestId("key-name-error")).toHaveTextContent(message);
    expect(input).toHaveAttribute("aria-invalid", "true");
    expect(input).toHaveFocus();
    expect(createKey).not.toHaveBeenCalled();
  });

  it("clears the validation message once the name is fixed", async () => {
    const { user, input } = setup();
    await user.click(screen.getByTestId("create-submit"));
    expect(screen.getByTestId("key-name-error")).toBeInTheDocument();

    await user.type(input, "ci");

    expect(screen.queryByTestId("key-name-error")).not.toBeInTheDocument();
  });

  it("submits the trimmed name on Enter and hands the result to the owner", async () => {
    createKey.mockResolvedValue(ok(created));
    const { user, input, oncreated } = setup();

    expect(input).toHaveFocus();
    await user.type(input, "  ci  {Enter}");

    expect(createKey).toHaveBeenCalledExactlyOnceWith(expect.objectContaining({ name: "ci" }));
    expect(oncreated).toHaveBeenCalledWith(created);
  });

  it("accepts a name of exactly 128 characters", async () => {
    createKey.mockResolvedValue(ok(created));
    const { user, input } = setup();
    await user.click(input);
    await user.paste("y".repeat(128));
    await user.click(screen.getByTestId("create-submit"));

    expect(createKey).toHaveBeenCalledWith(expect.objectContaining({ name: "y".repeat(128) }));
    expect(screen.queryByTestId("key-name-error")).not.toBeInTheDocument();
  });

  it("shows a server error about the name under the field", async () => {
    createKey.mockResolvedValue(failure("A key named “ci” already exists.", "conflict", "name"));
    const { user, input, oncreated } = setup();
    await user.type(input, "ci{Enter}");

    expect(screen.getByTestId("key-name-error")).toHaveTextContent("A key named “ci” already exists.");
    expect(screen.queryByTestId("create-error")).not.toBeInTheDocument();
    expect(oncreated).not.toHaveBeenCalled();
  });

  it("shows any other server error at the top of the dialog", async () => {
    createKey.mockResolvedValue(failure("The gateway is not reachable.", "unavailable"));
    const { user, input } = setup();
    await user.type(input, "ci{Enter}");

    expect(screen.getByTestId("create-error")).toHaveTextContent("The gateway is not reachable.");
    expect(screen.queryByTestId("key-name-error")).not.toBeInTheDocument();
  });

  it("shows a sentence, not an object, when the bridge itself throws", async () => {
    createKey.mockRejectedValue(new TypeError("window.__TAURI_INTERNALS__ is undefined"));
    vi.spyOn(console, "error").mockImplementation(() => {});
    const { user, input } = setup();
    await user.type(input, "ci{Enter}");

    expect(screen.getByTestId("create-error")).toHaveTextContent("Keyward could not complete the request.");
    expect(screen.getByTestId("create-error")).not.toHaveTextContent("[object");
  });

  it("is busy and cannot be dismissed while the request is in flight", async () => {
    const pending = deferred<Awaited<ReturnType<typeof commands.createKey>>>();
    createKey.mockReturnValue(pending.promise);
    const { user, input, oncancel, oncreated } = setup();
    await user.type(input, "ci{Enter}");

    const submit = screen.getByTestId("create-submit");
    expect(submit).toBeDisabled();
    expect(submit).toHaveTextContent("Creating…");
    expect(screen.getByRole("button", { name: "Cancel" })).toBeDisabled();
    await user.keyboard("{Escape}");
    expect(oncancel).not.toHaveBeenCalled();

    pending.resolve(ok(created));
    await vi.waitFor(() => expect(oncreated).toHaveBeenCalledWith(created));
    expect(createKey).toHaveBeenCalledTimes(1);
  });

  it("closes on Cancel and on Escape", async () => {
    const { user, oncancel } = setup();
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    await user.click(screen.getByTestId("key-name"));
    await user.keyboard("{Escape}");

    expect(oncancel).toHaveBeenCalledTimes(2);
    expect(createKey).not.toHaveBeenCalled();
  });
});
