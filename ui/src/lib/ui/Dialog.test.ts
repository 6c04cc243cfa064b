// The shared modal's keyboard contract: focus enters on open, Tab cycles inside,
// Escape asks the owner to close, and focus returns to the opener afterwards.
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
  it("is a labelled, described modal dialog", () => {
    setup();
    const dialog = screen.getByRole("dialog", { name: "Rename key" });
    expect(dialog).toHaveAttribute("aria-modal", "true");
    expect(dialog).toHaveAccessibleDescription("Pick a new name.");
  });

  it("focuses the element marked data-autofocus", () => {
    setup();
    expect(screen.getByRole("button", { name: "Middle" })).toHaveFocus();
  });

  it("keeps Tab and Shift+Tab inside the dialog", async () => {
    const outside = document.createElement("button");
    outside.textContent = "Outside";
    document.body.append(outside);
    const { user } = setup();

    await user.tab();
    expect(screen.getByRole("button", { name: "Last" })).toHaveFocus();
    await user.tab();
    expect(screen.getByRole("textbox", { name: "First" })).toHaveFocus();
    await user.tab({ shift: true });
    expect(screen.getByRole("button", { name: "Last" })).toHaveFocus();
  });

  it("asks the owner to close on Escape", async () => {
    const { user, onclose } = setup();
    await user.keyboard("{Escape}");
    expect(onclose).toHaveBeenCalledTimes(1);
  });

  it("still closes on Escape, and takes Tab back, when focus fell out of the panel", async () => {
    // The control holding focus was removed (a source button replaced by its
    // results): focus is on <body>, where the panel's own key handler never hears it.
    const outside = document.createElement("button");
    outside.textContent = "Behind the modal";
    document.body.prepend(outside);
    const { user, onclose } = setup();
    (document.activeElement as HTMLElement).blur();
    expect(document.body).toHaveFocus();
    await user.tab();
    expect(screen.getByRole("textbox", { name: "First" })).toHaveFocus();
    (document.activeElement as HTMLElement).blur();
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
    const backdrop = screen.getByRole("dialog").parentElement!;
    await user.click(backdrop);
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
