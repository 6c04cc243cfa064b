// Rotate dialog: each grace choice becomes the seconds Rust is asked for, a custom time
// is whole minutes up to a week and is checked before any request, the consequence is
// spelled out, and the new secret goes to the owner.
import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { commands } from "$lib/bindings";
import RotateDialog from "./RotateDialog.svelte";
import { createdKeyView, deferred, failure, inferenceKey, ok } from "./fixtures";

vi.mock("$lib/bindings", () => ({ commands: { rotateKey: vi.fn() } }));

const rotateKey = vi.mocked(commands.rotateKey);
const key = inferenceKey({ id: "key_9", name: "billing-service", hint: "kw_live_…9f2c" });

function setup() {
  const oncancel = vi.fn();
  const onrotated = vi.fn();
  render(RotateDialog, { key, oncancel, onrotated });
  return { user: userEvent.setup(), oncancel, onrotated };
}

beforeEach(() => {
  rotateKey.mockReset();
});

describe("RotateDialog", () => {
  it.each([
    ["Immediately", 0],
    ["After 5 minutes", 300],
    ["After 1 hour", 3600],
    ["After 24 hours", 86_400],
  ])("asks for a grace period of %s as %d seconds", async (label, seconds) => {
    const view = createdKeyView(key, "kw_live_new");
    rotateKey.mockResolvedValue(ok(view));
    const { user, onrotated } = setup();
    await user.click(screen.getByLabelText(label));
    await user.click(screen.getByTestId("rotate-confirm"));

    expect(rotateKey).toHaveBeenCalledExactlyOnceWith("key_9", seconds);
    expect(onrotated).toHaveBeenCalledWith(view);
  });

  it("starts on Immediately and says what it means", () => {
    setup();

    expect(screen.getByRole("dialog", { name: "Rotate secret" })).toHaveAttribute("data-testid", "rotate-dialog");
    const now = screen.getByLabelText("Immediately");
    expect(now).toBeChecked();
    expect(now).toHaveFocus();
    expect(now).toHaveAttribute("name", "grace");
    expect(screen.getByTestId("rotate-consequence")).toHaveTextContent(
      "The current secret stops working as soon as the new one is created",
    );
  });

  it("explains how long the old secret keeps working", async () => {
    const { user } = setup();
    await user.click(screen.getByLabelText("After 1 hour"));

    expect(screen.getByTestId("rotate-consequence")).toHaveTextContent(
      "The current secret keeps working for 1 hour, then stops: applications must switch to the new one before then",
    );
  });

  it("takes a custom time in whole minutes", async () => {
    rotateKey.mockResolvedValue(ok(createdKeyView(key)));
    const { user } = setup();
    await user.click(screen.getByLabelText("After a custom time"));
    await user.type(screen.getByLabelText("Minutes"), "90");

    expect(screen.getByTestId("rotate-consequence")).toHaveTextContent("keeps working for 1 hour 30 minutes");
    await user.click(screen.getByTestId("rotate-confirm"));
    expect(rotateKey).toHaveBeenCalledWith("key_9", 5400);
  });

  it.each(["", "0", "1.5", "10081"])("refuses a custom time of %j before any request", async (typed) => {
    const { user } = setup();
    await user.click(screen.getByLabelText("After a custom time"));
    if (typed) await user.type(screen.getByLabelText("Minutes"), typed);
    await user.click(screen.getByTestId("rotate-confirm"));

    expect(screen.getByTestId("field-error-grace")).toHaveTextContent("Enter whole minutes from 1 to 10,080 (7 days).");
    expect(screen.getByLabelText("Minutes")).toHaveFocus();
    expect(rotateKey).not.toHaveBeenCalled();
  });

  it("accepts the longest custom time, one week", async () => {
    rotateKey.mockResolvedValue(ok(createdKeyView(key)));
    const { user } = setup();
    await user.click(screen.getByLabelText("After a custom time"));
    await user.type(screen.getByLabelText("Minutes"), "10080");
    await user.click(screen.getByTestId("rotate-confirm"));

    expect(rotateKey).toHaveBeenCalledWith("key_9", 604_800);
  });

  it("shows the backend's refusal and stays open", async () => {
    rotateKey.mockResolvedValue(failure("Only active keys can be rotated.", "conflict"));
    const { user, onrotated } = setup();
    await user.click(screen.getByTestId("rotate-confirm"));

    expect(screen.getByTestId("rotate-error")).toHaveTextContent("Only active keys can be rotated.");
    expect(onrotated).not.toHaveBeenCalled();
  });

  it("is busy and cannot be dismissed while rotating", async () => {
    const pending = deferred<Awaited<ReturnType<typeof commands.rotateKey>>>();
    rotateKey.mockReturnValue(pending.promise);
    const { user, oncancel, onrotated } = setup();
    await user.click(screen.getByTestId("rotate-confirm"));

    expect(screen.getByTestId("rotate-confirm")).toHaveTextContent("Rotating…");
    expect(screen.getByTestId("rotate-confirm")).toBeDisabled();
    await user.keyboard("{Escape}");
    expect(oncancel).not.toHaveBeenCalled();

    pending.resolve(ok(createdKeyView(key)));
    await vi.waitFor(() => expect(onrotated).toHaveBeenCalled());
  });

  it("closes on Cancel without rotating", async () => {
    const { user, oncancel } = setup();
    await user.click(screen.getByRole("button", { name: "Cancel" }));

    expect(oncancel).toHaveBeenCalledTimes(1);
    expect(rotateKey).not.toHaveBeenCalled();
  });
});
