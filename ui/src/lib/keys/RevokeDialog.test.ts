// Revoke dialog: one explicit confirmation; for a key used in the last 24 hours the
// button stays disabled until its exact name is typed, and only for such a key.
import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { commands, type Key } from "$lib/bindings";
import RevokeDialog from "./RevokeDialog.svelte";
import { failure, inferenceKey, ok } from "./fixtures";
import { keywardCapabilities, openAiCapabilities } from "$lib/capabilities/fixtures";
import { withSession } from "$lib/profiles/fixtures";

vi.mock("$lib/bindings", () => ({ commands: { revokeKey: vi.fn() } }));

const revokeKey = vi.mocked(commands.revokeKey);
const NOW = new Date("2026-03-10T12:00:00Z");
const hoursAgo = (hours: number) => new Date(NOW.getTime() - hours * 3_600_000).toISOString();

function setup(key: Key) {
  const oncancel = vi.fn();
  const onrevoked = vi.fn();
  render(RevokeDialog, { key, oncancel, onrevoked });
  return { user: userEvent.setup(), oncancel, onrevoked };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(NOW);
  revokeKey.mockReset();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("RevokeDialog", () => {
  it.each([
    ["never used", null],
    ["last used 25 hours ago", hoursAgo(25)],
  ])("revokes a key %s on one confirmation, with focus starting on Cancel", async (_case, lastUsed) => {
    const key = inferenceKey({ id: "key_3", name: "old-batch", last_used_at: lastUsed });
    const revoked = { ...key, state: "revoked" as const };
    revokeKey.mockResolvedValue(ok(revoked));
    const { user, onrevoked } = setup(key);

    expect(screen.queryByTestId("revoke-confirm-name")).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Cancel" })).toHaveFocus();
    expect(screen.getByTestId("revoke-confirm")).toBeEnabled();
    await user.click(screen.getByTestId("revoke-confirm"));

    expect(revokeKey).toHaveBeenCalledExactlyOnceWith("key_3");
    expect(onrevoked).toHaveBeenCalledWith(revoked);
  });

  it("wants the exact name typed for a key used in the last 24 hours, and says why", async () => {
    const key = inferenceKey({ id: "key_4", name: "billing-service", last_used_at: hoursAgo(2) });
    revokeKey.mockResolvedValue(ok({ ...key, state: "revoked" }));
    const { user } = setup(key);

    expect(screen.getByTestId("revoke-dialog")).toHaveTextContent("used in the last 24 hours");
    const input = screen.getByLabelText("Type billing-service to confirm");
    expect(input).toHaveAttribute("data-testid", "revoke-confirm-name");
    expect(input).toHaveFocus();
    const confirm = screen.getByTestId("revoke-confirm");
    expect(confirm).toBeDisabled();

    await user.type(input, "billing-servic");
    expect(confirm).toBeDisabled();
    await user.keyboard("{Enter}");
    expect(revokeKey).not.toHaveBeenCalled();

    await user.type(input, "e");
    expect(confirm).toBeEnabled();
    await user.click(confirm);
    expect(revokeKey).toHaveBeenCalledExactlyOnceWith("key_4");
  });

  it("does not take another key's name, or a different case", async () => {
    const key = inferenceKey({ name: "Billing", last_used_at: hoursAgo(23) });
    const { user } = setup(key);
    await user.type(screen.getByTestId("revoke-confirm-name"), "billing");

    expect(screen.getByTestId("revoke-confirm")).toBeDisabled();
  });

  it("shows the backend's refusal and stays open", async () => {
    revokeKey.mockResolvedValue(failure("The gateway is not reachable.", "unavailable"));
    const { user, onrevoked } = setup(inferenceKey());
    await user.click(screen.getByTestId("revoke-confirm"));

    expect(screen.getByTestId("revoke-error")).toHaveTextContent("The gateway is not reachable.");
    expect(onrevoked).not.toHaveBeenCalled();
  });
});

describe("RevokeDialog on a platform that revokes its own way", () => {
  it("says how before the click (OpenAI deletes a service account's key with its account)", async () => {
    const { session, context } = withSession();
    const capabilities = openAiCapabilities();
    capabilities.keys.revoke = { supported: true, instead: "Revoking deletes the key; a key owned by a service account is revoked by deleting its service account, as OpenAI requires." };
    session.capabilities = capabilities;
    render(RevokeDialog, { props: { key: inferenceKey({ name: "ci" }), oncancel: vi.fn(), onrevoked: vi.fn() }, context });
    expect(screen.getByTestId("revoke-how")).toHaveTextContent("deleting its service account");
  });

  it("says nothing more where revoking is the plain operation (the Keyward gateway)", () => {
    const { session, context } = withSession();
    session.capabilities = keywardCapabilities();
    render(RevokeDialog, { props: { key: inferenceKey({ name: "ci" }), oncancel: vi.fn(), onrevoked: vi.fn() }, context });
    expect(screen.queryByTestId("revoke-how")).not.toBeInTheDocument();
  });
});
