// The shared modal's contract: a native <dialog> opened with showModal() (the browser
// makes the rest inert and keeps Tab inside — not emulated by jsdom, see test-setup.ts),
// focus enters on open, Escape (the `cancel` event) only asks the owner to close, even
// from <body> and in the topmost dialog only, a webview closing it anyway reopens it and
// asks, and focus returns to the opener afterwards.
import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { createRawSnippet } from "svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import Dialog from "./Dialog.svelte";

const body = createRawSnippet(() => ({
  render: () => `<div><input aria-label="First" /><button data-autofocus>Middle</button><button>Last</button></div>`,
}));

function setup() {
  const onclose = vi.fn();
  const result = render(Dialog, { title: "Rename key", description: "Pick a new name.", onclose, children: body });
  return { ...result, onclose, user: userEvent.setup() };
}

afterEach(() => {
  document.body.innerHTML = "";
});

describe("Dialog", () => {
  it("is a labelled, described native modal dialog", () => {
    const showModal = vi.spyOn(HTMLDialogElement.prototype, "showModal");
    setup();
    const dialog = screen.getByRole("dialog", { name: "Rename key" }) as HTMLDialogElement;
    expect(dialog.tagName).toBe("DIALOG");
    expect(showModal).toHaveBeenCalledTimes(1);
    expect(dialog.open).toBe(true);
    expect(dialog).toHaveAttribute("aria-modal", "true");
    expect(dialog).toHaveAccessibleDescription("Pick a new name.");
  });

  it("focuses the element marked data-autofocus", () => {
    setup();
    expect(screen.getByRole("button", { name: "Middle" })).toHaveFocus();
  });

  it("asks the owner to close on Escape, and stays open until the owner removes it", async () => {
    const { user, onclose } = setup();
    await user.keyboard("{Escape}");
    expect(onclose).toHaveBeenCalledTimes(1);
    expect((screen.getByRole("dialog") as HTMLDialogElement).open).toBe(true);
  });

  it("is shown again, and the owner asked, when the webview closes it anyway", () => {
    // Chromium lets a page prevent only one Escape per user activation.
    const { onclose } = setup();
    const dialog = screen.getByRole("dialog") as HTMLDialogElement;
    dialog.close();
    expect(dialog.open).toBe(true);
    expect(onclose).toHaveBeenCalledTimes(1);
  });

  it("still asks on Escape when focus fell out of the panel", async () => {
    // The control holding focus was removed (a source button replaced by its
    // results): focus is on <body>; the topmost modal dialog still gets the cancel.
    const { user, onclose } = setup();
    (document.activeElement as HTMLElement).blur();
    expect(document.body).toHaveFocus();
    await user.keyboard("{Escape}");
    expect(onclose).toHaveBeenCalledTimes(1);
  });

  it("answers Escape from <body> in the topmost dialog only", async () => {
    const lower = vi.fn();
    render(Dialog, { title: "Lower", onclose: lower, children: body });
    const { user, onclose } = setup();
    (document.activeElement as HTMLElement).blur();
    await user.keyboard("{Escape}");
    expect(onclose).toHaveBeenCalledTimes(1);
    expect(lower).not.toHaveBeenCalled();
  });

  it("does not close on a backdrop click", async () => {
    const { user, onclose } = setup();
    // A click on the ::backdrop lands on the <dialog> element itself.
    await user.click(screen.getByRole("dialog"));
    expect(onclose).not.toHaveBeenCalled();
    expect(screen.getByRole("button", { name: "Middle" })).toHaveFocus();
  });

  it("gives focus back to the opener when it goes away", () => {
    const opener = document.createElement("button");
    document.body.append(opener);
    opener.focus();
    const { unmount } = setup();
    expect(opener).not.toHaveFocus();

    unmount();
    expect(opener).toHaveFocus();
  });
});
