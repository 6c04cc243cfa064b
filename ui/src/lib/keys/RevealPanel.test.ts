// Reveal panel on its own: it shows the secret verbatim, copies through Rust by reveal
// id, and both ways out (the button and Escape) go to the owner's close. That the owner
// then calls closeReveal and forgets the secret is tested in KeysScreen.test.ts.
import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { commands } from "$lib/bindings";
import RevealPanel from "./RevealPanel.svelte";
import { failure, ok } from "./fixtures";

vi.mock("$lib/bindings", () => ({ commands: { copyReveal: vi.fn(), closeReveal: vi.fn() } }));

const copyReveal = vi.mocked(commands.copyReveal);
const SECRET = "kw_live_3q9XbV7mZk2LwPp0RtY8sNc4HdJf6GaE";

function setup() {
  const onclose = vi.fn();
  render(RevealPanel, { reveal: { id: "rev_42", secret: SECRET }, keyName: "ci-runner", onclose });
  return { user: userEvent.setup(), onclose };
}

beforeEach(() => {
  copyReveal.mockReset();
});

describe("RevealPanel", () => {
  it("shows the secret exactly once, in a labelled modal with the warning", () => {
    setup();

    const panel = screen.getByRole("dialog", { name: "Copy your new API key" });
    expect(panel).toHaveAttribute("aria-modal", "true");
    expect(panel).toHaveAttribute("data-testid", "reveal-panel");
    expect(panel).toHaveAccessibleDescription(
      "This is the only time the secret is shown. Keyward stores only its hash; once you close this panel it cannot be shown again.",
    );
    expect(screen.getByTestId("reveal-secret").textContent).toBe(SECRET);
    expect(panel).toHaveTextContent("ci-runner");
  });

  it("copies through the backend by reveal id and says so", async () => {
    copyReveal.mockResolvedValue(ok({ clear_after_seconds: 30 }));
    const { user, onclose } = setup();

    const copy = screen.getByTestId("reveal-copy");
    expect(copy).toHaveTextContent("Copy");
    await user.click(copy);

    expect(copyReveal).toHaveBeenCalledExactlyOnceWith("rev_42");
    expect(copy).toHaveTextContent("Copied");
    expect(screen.getByRole("status")).toHaveTextContent("Secret copied to the clipboard.");
    expect(onclose).not.toHaveBeenCalled();
    expect(commands.closeReveal).not.toHaveBeenCalled();
  });

  it("shows the backend's message when copying fails", async () => {
    copyReveal.mockResolvedValue(failure("This secret was already closed.", "reveal_closed"));
    const { user } = setup();
    await user.click(screen.getByTestId("reveal-copy"));

    expect(screen.getByTestId("reveal-error")).toHaveTextContent("This secret was already closed.");
    expect(screen.getByTestId("reveal-copy")).toHaveTextContent("Copy");
  });

  it("closes through the owner on “I have copied it”", async () => {
    const { user, onclose } = setup();
    await user.click(screen.getByTestId("reveal-done"));

    expect(onclose).toHaveBeenCalledTimes(1);
  });

  it("closes through the owner on Escape", async () => {
    const { user, onclose } = setup();
    expect(screen.getByTestId("reveal-copy")).toHaveFocus();
    await user.keyboard("{Escape}");

    expect(onclose).toHaveBeenCalledTimes(1);
  });
});
