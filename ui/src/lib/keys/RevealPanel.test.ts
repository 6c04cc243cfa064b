// Reveal panel on its own: it shows the secret verbatim, copies through Rust by reveal
// id and then counts down to the clipboard clear, offers snippets holding the secret
// and the base URL as selectable text, and every way out (the button, Escape, being
// torn down) reaches the owner's close exactly once — but before Copy has worked, only
// through an explicit *Close anyway*: Escape never discards the secret (issue #15). That the owner then calls
// closeReveal and forgets the secret is tested in KeysScreen.test.ts and KeyDetail.test.ts.
import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { commands } from "$lib/bindings";
import RevealPanel from "./RevealPanel.svelte";
import { failure, ok } from "./fixtures";

vi.mock("$lib/bindings", () => ({ commands: { copyReveal: vi.fn(), closeReveal: vi.fn() } }));

const copyReveal = vi.mocked(commands.copyReveal);
const SECRET = "kw_live_3q9XbV7mZk2LwPp0RtY8sNc4HdJf6GaE";
const BASE_URL = "http://127.0.0.1:7070/";

function setup(options: { rotated?: boolean; fakeTimers?: boolean } = {}) {
  const onclose = vi.fn();
  const view = render(RevealPanel, {
    reveal: { id: "rev_42", secret: SECRET },
    keyName: "ci-runner",
    baseUrl: BASE_URL,
    onclose,
    rotated: options.rotated,
  });
  const user = userEvent.setup(options.fakeTimers ? { advanceTimers: vi.advanceTimersByTime } : {});
  return { user, onclose, ...view };
}

beforeEach(() => {
  copyReveal.mockReset();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("RevealPanel", () => {
  it("shows the secret once, in a labelled modal, with the warning before the way out", () => {
    setup();

    const panel = screen.getByRole("dialog", { name: "Copy your new API key" });
    expect(panel).toHaveAttribute("aria-modal", "true");
    expect(panel).toHaveAttribute("data-testid", "reveal-panel");
    expect(screen.getByTestId("reveal-secret").textContent).toBe(SECRET);
    expect(panel).toHaveTextContent("ci-runner");
    const warning = screen.getByTestId("reveal-warning");
    expect(warning).toHaveTextContent("This secret will not be shown again. Keyward keeps no copy.");
    expect(warning.compareDocumentPosition(screen.getByTestId("reveal-done")) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(screen.getByTestId("reveal-done")).toHaveTextContent("I have copied it");
    expect(screen.queryByTestId("reveal-clipboard-countdown")).not.toBeInTheDocument();
  });

  it("says when the secret is a rotated key's new one", () => {
    setup({ rotated: true });

    expect(screen.getByRole("dialog", { name: "Copy the new secret" })).toHaveTextContent("New secret for ci-runner");
  });

  it("copies through the backend by reveal id and says so", async () => {
    copyReveal.mockResolvedValue(ok({ clear_after_seconds: 30 }));
    const { user, onclose } = setup();

    const copy = screen.getByTestId("reveal-copy");
    expect(copy).toHaveTextContent("Copy");
    await user.click(copy);

    expect(copyReveal).toHaveBeenCalledExactlyOnceWith("rev_42");
    expect(copy).toHaveTextContent("Copied");
    expect(screen.getByRole("status")).toHaveTextContent("Secret copied to the clipboard. It clears in 30 seconds.");
    expect(onclose).not.toHaveBeenCalled();
    expect(commands.closeReveal).not.toHaveBeenCalled();
  });

  it("counts down to the clipboard clear from the receipt, and restarts on another copy", async () => {
    vi.useFakeTimers();
    copyReveal.mockResolvedValue(ok({ clear_after_seconds: 30 }));
    const { user } = setup({ fakeTimers: true });
    await user.click(screen.getByTestId("reveal-copy"));

    const countdown = () => screen.getByTestId("reveal-clipboard-countdown");
    expect(countdown()).toHaveTextContent("Clipboard clears in 30 s");
    await vi.advanceTimersByTimeAsync(3000);
    expect(countdown()).toHaveTextContent("Clipboard clears in 27 s");
    // "Copied" goes back to "Copy" after a moment; the countdown goes on.
    expect(screen.getByTestId("reveal-copy")).toHaveTextContent("Copy");

    copyReveal.mockResolvedValue(ok({ clear_after_seconds: 10 }));
    await user.click(screen.getByTestId("reveal-copy"));
    expect(countdown()).toHaveTextContent("Clipboard clears in 10 s");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(countdown()).toHaveTextContent("The secret was cleared from the clipboard.");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("stops the countdown when the panel goes", async () => {
    vi.useFakeTimers();
    copyReveal.mockResolvedValue(ok({ clear_after_seconds: 30 }));
    const { user, unmount } = setup({ fakeTimers: true });
    await user.click(screen.getByTestId("reveal-copy"));
    expect(vi.getTimerCount()).toBeGreaterThan(0);

    unmount();

    expect(vi.getTimerCount()).toBe(0);
  });

  it("shows the backend's message when copying fails", async () => {
    copyReveal.mockResolvedValue(failure("This secret was already closed.", "reveal_closed"));
    const { user } = setup();
    await user.click(screen.getByTestId("reveal-copy"));

    expect(screen.getByTestId("reveal-error")).toHaveTextContent("This secret was already closed.");
    expect(screen.getByTestId("reveal-copy")).toHaveTextContent("Copy");
    expect(screen.queryByTestId("reveal-clipboard-countdown")).not.toBeInTheDocument();
  });

  it("offers curl, Python and env snippets with the secret and the base URL, as text to select", async () => {
    const { user } = setup();
    const snippets = screen.getByTestId("reveal-snippets");
    expect(snippets).toHaveTextContent("Select and copy");
    const snippet = () => screen.getByTestId("reveal-snippet").textContent;

    expect(screen.getByRole("tab", { name: "curl" })).toHaveAttribute("aria-selected", "true");
    expect(snippet()).toContain("curl http://127.0.0.1:7070/v1/chat/completions");
    expect(snippet()).toContain(`-H "Authorization: Bearer ${SECRET}"`);
    expect(snippet()).toContain(`'{"model":"<model>","messages":[{"role":"user","content":"Hello"}]}'`);

    await user.click(screen.getByRole("tab", { name: "Python (OpenAI SDK)" }));
    expect(snippet()).toContain("from openai import OpenAI");
    expect(snippet()).toContain(`client = OpenAI(base_url="http://127.0.0.1:7070/v1", api_key="${SECRET}")`);

    // Arrow keys move along the tab list.
    await user.keyboard("{ArrowRight}");
    expect(screen.getByRole("tab", { name: "Environment variables" })).toHaveFocus();
    expect(screen.getByRole("tabpanel")).toHaveAccessibleName("Environment variables");
    expect(snippet()).toBe(`export OPENAI_API_KEY=${SECRET}\nexport OPENAI_BASE_URL=http://127.0.0.1:7070/v1`);
    expect(copyReveal).not.toHaveBeenCalled();
  });

  it("closes through the owner on “I have copied it” after Copy, once even when then torn down", async () => {
    copyReveal.mockResolvedValue(ok({ clear_after_seconds: 30 }));
    const { user, onclose, unmount } = setup();
    await user.click(screen.getByTestId("reveal-copy"));
    await user.click(screen.getByTestId("reveal-done"));
    unmount();

    expect(onclose).toHaveBeenCalledTimes(1);
  });

  it("closes on Escape once the secret was copied", async () => {
    copyReveal.mockResolvedValue(ok({ clear_after_seconds: 30 }));
    const { user, onclose, unmount } = setup();
    await user.click(screen.getByTestId("reveal-copy"));
    await user.keyboard("{Escape}");
    await user.keyboard("{Escape}");
    unmount();

    expect(onclose).toHaveBeenCalledTimes(1);
  });

  // Issue #15: one Escape lost the secret for good.
  it("never discards an uncopied secret on Escape: it asks, and a second Escape takes the question back", async () => {
    const { user, onclose } = setup();
    expect(screen.getByTestId("reveal-copy")).toHaveFocus();

    await user.keyboard("{Escape}");
    const confirm = screen.getByTestId("reveal-confirm");
    expect(confirm).toHaveTextContent("the secret will be gone for good");
    expect(screen.getByTestId("reveal-keep")).toHaveFocus();
    expect(screen.getByTestId("reveal-secret").textContent).toBe(SECRET);

    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("reveal-confirm")).not.toBeInTheDocument();
    expect(screen.getByTestId("reveal-copy")).toHaveFocus();
    for (let i = 0; i < 5; i++) await user.keyboard("{Escape}");

    expect(onclose).not.toHaveBeenCalled();
    expect(screen.getByTestId("reveal-secret").textContent).toBe(SECRET);
  });

  it("asks before “I have copied it” closes when Copy was never used; Close anyway closes once", async () => {
    const { user, onclose, unmount } = setup();
    await user.click(screen.getByTestId("reveal-done"));
    expect(onclose).not.toHaveBeenCalled();
    await user.click(screen.getByTestId("reveal-keep"));
    expect(screen.queryByTestId("reveal-confirm")).not.toBeInTheDocument();

    await user.click(screen.getByTestId("reveal-done"));
    await user.click(screen.getByTestId("reveal-discard"));
    unmount();

    expect(onclose).toHaveBeenCalledTimes(1);
  });

  it("a failed Copy does not count as copied: closing still asks", async () => {
    copyReveal.mockResolvedValue(failure("The clipboard is not available.", "internal"));
    const { user, onclose } = setup();
    await user.click(screen.getByTestId("reveal-copy"));
    await user.keyboard("{Escape}");

    expect(screen.getByTestId("reveal-confirm")).toBeInTheDocument();
    expect(onclose).not.toHaveBeenCalled();
  });

  it("a click on the backdrop does nothing", async () => {
    const { user, onclose } = setup();
    const backdrop = screen.getByTestId("reveal-panel").parentElement!;
    await user.click(backdrop);

    expect(onclose).not.toHaveBeenCalled();
    expect(screen.queryByTestId("reveal-confirm")).not.toBeInTheDocument();
  });

  it("closes through the owner when torn down, e.g. by navigating away", () => {
    const { onclose, unmount } = setup();
    expect(onclose).not.toHaveBeenCalled();

    unmount();

    expect(onclose).toHaveBeenCalledTimes(1);
  });
});
