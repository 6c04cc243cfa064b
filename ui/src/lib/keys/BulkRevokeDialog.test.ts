// The bulk revoke confirmation on its own: it names every selected key, asks for
// REVOKE to be typed only when one of them served traffic in the last 24 hours, keeps
// the dialog open with the reason when the whole call fails, and after a partial
// failure reports both the revoked count and each key that was not, by name.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { commands, type BulkRevokeReport } from "$lib/bindings";
import BulkRevokeDialog from "./BulkRevokeDialog.svelte";
import { deferred, failure, inferenceKey, ok } from "./fixtures";

vi.mock("$lib/bindings", () => ({
  commands: { revokeKeys: vi.fn() },
}));

const revokeKeys = vi.mocked(commands.revokeKeys);

const NOW = new Date("2026-03-01T12:00:00Z");
const idle = inferenceKey({ id: "key_idle", name: "nightly-batch", hint: "kw_live_Abc…1111", last_used_at: "2026-02-20T12:00:00Z" });
const never = inferenceKey({ id: "key_never", name: "unused", hint: "kw_live_Def…2222", last_used_at: null });
const busy = inferenceKey({ id: "key_busy", name: "checkout", hint: "kw_live_Ghi…3333", last_used_at: "2026-03-01T09:30:00Z" });

function renderDialog(keys = [idle, never]) {
  const oncancel = vi.fn();
  const ondone = vi.fn();
  render(BulkRevokeDialog, { keys, now: NOW, oncancel, ondone });
  return { user: userEvent.setup(), oncancel, ondone };
}

beforeEach(() => {
  revokeKeys.mockReset();
});

describe("BulkRevokeDialog", () => {
  it("names each key with its masked label and warns before anything is revoked", () => {
    renderDialog();

    const dialog = screen.getByTestId("bulk-revoke-dialog");
    expect(dialog).toHaveAccessibleName("Revoke 2 keys");
    expect(dialog).toHaveTextContent("Applications using these keys will get 401 on their next request. This cannot be undone.");
    const items = within(dialog).getAllByTestId("bulk-revoke-key");
    expect(items.map((item) => item.textContent?.replace(/\s+/g, " ").trim())).toEqual([
      "nightly-batch kw_live_Abc…1111",
      "unused kw_live_Def…2222",
    ]);
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();
    expect(screen.getByTestId("bulk-revoke-confirm")).toBeEnabled();
    expect(screen.queryByTestId("bulk-revoke-confirm-text")).not.toBeInTheDocument();
    expect(revokeKeys).not.toHaveBeenCalled();
  });

  it("asks for REVOKE to be typed when a key was used in the last 24 hours", async () => {
    revokeKeys.mockResolvedValue(ok({ revoked: [], failed: [] }));
    const { user } = renderDialog([idle, busy]);

    expect(screen.getByTestId("bulk-revoke-dialog")).toHaveTextContent("1 of these keys was used in the last 24 hours.");
    const confirm = screen.getByTestId("bulk-revoke-confirm");
    expect(confirm).toBeDisabled();
    await user.type(screen.getByTestId("bulk-revoke-confirm-text"), "revoke");
    expect(confirm).toBeDisabled();
    await user.click(confirm);
    expect(revokeKeys).not.toHaveBeenCalled();

    await user.clear(screen.getByTestId("bulk-revoke-confirm-text"));
    await user.type(screen.getByTestId("bulk-revoke-confirm-text"), "REVOKE");
    expect(confirm).toBeEnabled();
    await user.click(confirm);
    expect(revokeKeys).toHaveBeenCalledExactlyOnceWith(["key_idle", "key_busy"]);
  });

  it("reports the revoked count and every failure by key name, then hands the report over on Done", async () => {
    const pending = deferred<Awaited<ReturnType<typeof commands.revokeKeys>>>();
    revokeKeys.mockReturnValue(pending.promise);
    const { user, ondone } = renderDialog([idle, never, busy]);
    await user.type(screen.getByTestId("bulk-revoke-confirm-text"), "REVOKE");
    await user.click(screen.getByTestId("bulk-revoke-confirm"));

    expect(screen.getByTestId("bulk-revoke-confirm")).toHaveTextContent("Revoking…");
    await user.keyboard("{Escape}");
    expect(ondone).not.toHaveBeenCalled();

    const report: BulkRevokeReport = {
      revoked: [{ ...idle, state: "revoked" }],
      failed: [
        { key_id: "key_never", error: { code: "not_found", message: "Key key_never was not found.", field: null } },
        { key_id: "key_busy", error: { code: "timeout", message: "The gateway did not answer within 10 seconds.", field: null } },
      ],
    };
    pending.resolve(ok(report));

    const summary = await screen.findByTestId("bulk-revoke-summary");
    expect(within(summary).getByTestId("bulk-revoke-count")).toHaveTextContent("1 revoked");
    const failed = within(summary).getAllByTestId("bulk-revoke-failed");
    expect(failed).toHaveLength(2);
    expect(failed[0]).toHaveTextContent("unused");
    expect(failed[0]).toHaveTextContent("Key key_never was not found.");
    expect(failed[1]).toHaveTextContent("checkout");
    expect(failed[1]).toHaveTextContent("The gateway did not answer within 10 seconds.");
    expect(screen.getByTestId("bulk-revoke-done")).toHaveFocus();

    await user.click(screen.getByTestId("bulk-revoke-done"));
    expect(ondone).toHaveBeenCalledExactlyOnceWith(report);
  });

  it("Escape after the summary is Done too, so the list still refreshes", async () => {
    revokeKeys.mockResolvedValue(ok({ revoked: [{ ...idle, state: "revoked" }], failed: [] }));
    const { user, ondone, oncancel } = renderDialog([idle]);
    await user.click(screen.getByTestId("bulk-revoke-confirm"));
    await screen.findByTestId("bulk-revoke-summary");

    await user.keyboard("{Escape}");

    expect(ondone).toHaveBeenCalledOnce();
    expect(oncancel).not.toHaveBeenCalled();
  });

  it("keeps the dialog open with the reason when the whole call fails", async () => {
    revokeKeys.mockResolvedValue(failure("The keychain is locked.", "keychain_locked"));
    const { user, ondone } = renderDialog();
    await user.click(screen.getByTestId("bulk-revoke-confirm"));

    expect(await screen.findByTestId("bulk-revoke-error")).toHaveTextContent("The keychain is locked.");
    expect(screen.getByTestId("bulk-revoke-confirm")).toBeEnabled();
    expect(screen.queryByTestId("bulk-revoke-summary")).not.toBeInTheDocument();
    expect(ondone).not.toHaveBeenCalled();
  });

  it("Cancel revokes nothing", async () => {
    const { user, oncancel } = renderDialog();
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(oncancel).toHaveBeenCalledOnce();
    expect(revokeKeys).not.toHaveBeenCalled();
  });

  it("lists a long selection up to a point and counts the rest", () => {
    const many = Array.from({ length: 130 }, (_, i) => inferenceKey({ id: `key_${i}`, name: `svc-${i}` }));
    renderDialog(many);
    expect(screen.getAllByTestId("bulk-revoke-key")).toHaveLength(100);
    expect(screen.getByTestId("bulk-revoke-dialog")).toHaveTextContent("…and 30 more.");
    expect(screen.getByTestId("bulk-revoke-confirm")).toHaveTextContent("Revoke 130 keys");
  });
});
