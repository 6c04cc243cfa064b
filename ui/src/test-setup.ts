// Vitest setup: DOM matchers (toBeInTheDocument, toBeDisabled, …) for every component
// test, spies (e.g. a silenced console.error) undone after each test, and the part of
// the native modal <dialog> that jsdom lacks.
import "@testing-library/jest-dom/vitest";
import { afterEach, vi } from "vitest";

// jsdom knows <dialog> but not showModal()/close(), nor that Escape reaches the topmost
// modal dialog — wherever focus is — as a cancelable `cancel` event, which closes it
// unless prevented. That much is emulated here, as the browser does it, for the
// components built on `ui/Dialog.svelte`; inertness and keeping Tab inside are the
// browser's own and are not (they are exercised by the e2e suite in the real webview).
const modals: HTMLDialogElement[] = [];

function polyfillDialog() {
  const proto = HTMLDialogElement.prototype;
  proto.showModal = function (this: HTMLDialogElement) {
    if (this.open) return;
    this.setAttribute("open", "");
    modals.push(this);
  };
  proto.close = function (this: HTMLDialogElement) {
    if (!this.open) return;
    this.removeAttribute("open");
    modals.splice(modals.indexOf(this), 1);
    this.dispatchEvent(new Event("close"));
  };
  // The browser's close request is the keydown's default action: it happens after every
  // listener has run, and not at all when one prevented the keydown.
  window.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    queueMicrotask(() => {
      if (event.defaultPrevented) return;
      const top = modals.filter((dialog) => dialog.isConnected && dialog.open).at(-1);
      if (!top) return;
      if (top.dispatchEvent(new Event("cancel", { cancelable: true }))) top.close();
    });
  });
}

if (typeof HTMLDialogElement !== "undefined") polyfillDialog();

afterEach(() => {
  vi.restoreAllMocks();
  modals.length = 0;
});
