// Keys screen end to end against mocked commands: the list and its states, the
// create → reveal-once → close flow (closeReveal is called and the secret is gone from
// the page), revoke only after an explicit confirmation, and a fresh list whenever
// the active profile changes.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { commands, type InferenceKey } from "$lib/bindings";
import { local, profileList, staging, withSession } from "$lib/profiles/fixtures";
import KeysScreen from "./KeysScreen.svelte";
import { deferred, failure, inferenceKey, keyPage, ok } from "./fixtures";

vi.mock("$lib/bindings", () => ({
  commands: {
    listKeys: vi.fn(),
    createKey: vi.fn(),
    copyReveal: vi.fn(),
    closeReveal: vi.fn(),
    revokeKey: vi.fn(),
    switchProfile: vi.fn(),
    listProfiles: vi.fn(),
    activeProfile: vi.fn(),
  },
}));

const listKeys = vi.mocked(commands.listKeys);
const createKey = vi.mocked(commands.createKey);
const closeReveal = vi.mocked(commands.closeReveal);
const revokeKey = vi.mocked(commands.revokeKey);

const SECRET = "kw_live_3q9XbV7mZk2LwPp0RtY8sNc4HdJf6GaE";

const billing = inferenceKey({ id: "key_a", name: "billing-service", masked: "kw_live_…9f2c" });
const old = inferenceKey({
  id: "key_b",
  name: "old-batch",
  masked: "kw_live_…71aa",
  status: "revoked",
  revoked_at: "2025-04-01T12:00:00Z",
});
const fresh = inferenceKey({ id: "key_c", name: "ci-runner", masked: "kw_live_…GaE" });

function listing(...keys: InferenceKey[]) {
  return ok(keyPage(keys));
}

/** The screen with a fresh profile session, as the app shell provides one. */
function renderKeys() {
  const { session, context } = withSession();
  return { session, ...render(KeysScreen, { context }) };
}

function row(id: string): HTMLElement {
  const found = screen.getAllByTestId("key-row").find((tr) => tr.dataset.keyId === id);
  if (!found) throw new Error(`no row for ${id}`);
  return found;
}

beforeEach(() => {
  for (const command of Object.values(commands)) vi.mocked(command).mockReset();
  closeReveal.mockResolvedValue(ok(null));
});

describe("KeysScreen list", () => {
  it("shows each key's masked label, status and creation time", async () => {
    listKeys.mockResolvedValue(listing(billing, old));
    renderKeys();

    const table = await screen.findByTestId("keys-table");
    expect(within(table).getAllByTestId("key-row")).toHaveLength(2);
    expect(within(row("key_a")).getByTestId("key-label")).toHaveTextContent("kw_live_…9f2c");
    expect(within(row("key_b")).getByTestId("key-label")).toHaveTextContent("kw_live_…71aa");
    expect(within(row("key_a")).getByTestId("key-status")).toHaveTextContent("Active");
    expect(within(row("key_b")).getByTestId("key-status")).toHaveTextContent("Revoked");
    expect(within(row("key_a")).getByText((_, el) => el?.tagName === "TIME")).toHaveAttribute(
      "title",
      "2025-03-14T09:26:53Z",
    );
    expect(within(row("key_a")).getByTestId("key-revoke")).toBeEnabled();
    expect(within(row("key_a")).getByTestId("key-revoke")).toHaveAccessibleName("Revoke billing-service");
    expect(within(row("key_b")).queryByTestId("key-revoke")).not.toBeInTheDocument();
  });

  it("says it is loading until the list arrives", async () => {
    const pending = deferred<Awaited<ReturnType<typeof commands.listKeys>>>();
    listKeys.mockReturnValue(pending.promise);
    renderKeys();

    expect(screen.getByTestId("keys-loading")).toHaveTextContent("Loading keys…");
    pending.resolve(listing(billing));
    expect(await screen.findByTestId("keys-table")).toBeInTheDocument();
    expect(screen.queryByTestId("keys-loading")).not.toBeInTheDocument();
  });

  it("shows the empty state when the project has no keys", async () => {
    listKeys.mockResolvedValue(listing());
    renderKeys();

    const empty = await screen.findByTestId("keys-empty");
    expect(empty).toHaveTextContent("No API keys yet");
    expect(within(empty).getByRole("button", { name: "Create API Key" })).toBeInTheDocument();
    expect(screen.queryByTestId("keys-table")).not.toBeInTheDocument();
  });

  it("shows a load error with its message and retries on request", async () => {
    listKeys.mockResolvedValueOnce(failure("The gateway did not answer within 10 seconds.", "timeout"));
    listKeys.mockResolvedValueOnce(listing(billing));
    const user = userEvent.setup();
    renderKeys();

    const error = await screen.findByTestId("keys-error");
    expect(error).toHaveTextContent("The gateway did not answer within 10 seconds.");
    await user.click(within(error).getByTestId("keys-retry"));

    expect(await screen.findByTestId("keys-table")).toBeInTheDocument();
    expect(screen.queryByTestId("keys-error")).not.toBeInTheDocument();
    expect(listKeys).toHaveBeenCalledTimes(2);
  });
});

describe("KeysScreen create and reveal", () => {
  async function createAndReveal() {
    listKeys.mockResolvedValueOnce(listing(billing));
    listKeys.mockResolvedValueOnce(listing(fresh, billing));
    createKey.mockResolvedValue(ok({ key: fresh, reveal: { id: "rev_7", secret: SECRET } }));
    const user = userEvent.setup();
    renderKeys();

    await user.click(await screen.findByTestId("create-key"));
    await user.type(screen.getByTestId("key-name"), "ci-runner{Enter}");
    const panel = await screen.findByTestId("reveal-panel");
    return { user, panel };
  }

  it("reveals the new secret once and refreshes the list behind it", async () => {
    const { panel } = await createAndReveal();

    expect(createKey).toHaveBeenCalledExactlyOnceWith(expect.objectContaining({ name: "ci-runner" }));
    expect(within(panel).getByTestId("reveal-secret").textContent).toBe(SECRET);
    expect(screen.queryByTestId("create-dialog")).not.toBeInTheDocument();
    await vi.waitFor(() => expect(listKeys).toHaveBeenCalledTimes(2));
    expect(within(row("key_c")).getByTestId("key-label")).toHaveTextContent("kw_live_…GaE");
    // The table never shows the secret, only the masked label.
    expect(screen.getByTestId("keys-table")).not.toHaveTextContent(SECRET);
  });

  it("“I have copied it” closes the reveal in Rust and leaves no trace of the secret", async () => {
    const { user } = await createAndReveal();
    await user.click(screen.getByTestId("reveal-done"));

    expect(closeReveal).toHaveBeenCalledExactlyOnceWith("rev_7");
    expect(screen.queryByTestId("reveal-panel")).not.toBeInTheDocument();
    expect(document.body.innerHTML).not.toContain(SECRET);
    expect(screen.getByTestId("create-key")).toHaveFocus();
  });

  it("Escape closes the reveal the same way", async () => {
    const { user } = await createAndReveal();
    await user.keyboard("{Escape}");

    expect(closeReveal).toHaveBeenCalledExactlyOnceWith("rev_7");
    expect(screen.queryByTestId("reveal-panel")).not.toBeInTheDocument();
    expect(document.body.innerHTML).not.toContain(SECRET);
  });

  it("still hides the secret when Rust cannot confirm it was erased, and says so", async () => {
    closeReveal.mockResolvedValue(failure("The reveal store is unavailable.", "internal"));
    const { user } = await createAndReveal();
    await user.click(screen.getByTestId("reveal-done"));

    expect(document.body.innerHTML).not.toContain(SECRET);
    expect(await screen.findByTestId("keys-notice")).toHaveTextContent("The reveal store is unavailable.");
  });

  it("treats an already-closed reveal as closed, without a warning", async () => {
    closeReveal.mockResolvedValue(failure("This secret is no longer available.", "reveal_closed"));
    const { user } = await createAndReveal();
    await user.click(screen.getByTestId("reveal-done"));
    await new Promise((settled) => setTimeout(settled, 0));

    expect(closeReveal).toHaveBeenCalledOnce();
    expect(screen.queryByTestId("keys-notice")).not.toBeInTheDocument();
  });

  it("closes an open reveal when the screen goes away", async () => {
    listKeys.mockResolvedValue(listing());
    createKey.mockResolvedValue(ok({ key: fresh, reveal: { id: "rev_9", secret: SECRET } }));
    const user = userEvent.setup();
    const { unmount } = renderKeys();
    await user.click(await screen.findByTestId("create-key-empty"));
    await user.type(screen.getByTestId("key-name"), "ci-runner{Enter}");
    await screen.findByTestId("reveal-panel");

    unmount();

    expect(closeReveal).toHaveBeenCalledExactlyOnceWith("rev_9");
  });
});

describe("KeysScreen revoke", () => {
  async function openRevoke() {
    listKeys.mockResolvedValue(listing(billing, old));
    const user = userEvent.setup();
    renderKeys();
    await user.click(within(await screen.findByTestId("keys-table")).getByTestId("key-revoke"));
    return { user, dialog: screen.getByTestId("revoke-dialog") };
  }

  it("asks for confirmation naming the key before calling the backend", async () => {
    const { user, dialog } = await openRevoke();

    expect(dialog).toHaveTextContent(
      'Revoke "billing-service"? Applications using it will get 401 on their next request. This cannot be undone.',
    );
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();
    expect(revokeKey).not.toHaveBeenCalled();

    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByTestId("revoke-dialog")).not.toBeInTheDocument();
    expect(revokeKey).not.toHaveBeenCalled();
    expect(within(row("key_a")).getByTestId("key-status")).toHaveTextContent("Active");
  });

  it("revokes on confirm and marks the row revoked", async () => {
    const pending = deferred<Awaited<ReturnType<typeof commands.revokeKey>>>();
    revokeKey.mockReturnValue(pending.promise);
    const { user } = await openRevoke();

    await user.click(screen.getByTestId("revoke-confirm"));
    expect(revokeKey).toHaveBeenCalledExactlyOnceWith("key_a");
    expect(screen.getByTestId("revoke-confirm")).toBeDisabled();
    expect(screen.getByTestId("revoke-confirm")).toHaveTextContent("Revoking…");

    pending.resolve(ok({ ...billing, status: "revoked", revoked_at: "2025-05-02T08:00:00Z" }));
    await vi.waitFor(() => expect(screen.queryByTestId("revoke-dialog")).not.toBeInTheDocument());
    expect(within(row("key_a")).getByTestId("key-status")).toHaveTextContent("Revoked");
    expect(within(row("key_a")).queryByTestId("key-revoke")).not.toBeInTheDocument();
  });

  it("keeps the dialog open with the error when revoking fails", async () => {
    revokeKey.mockResolvedValue(failure("Key key_a was not found.", "not_found"));
    const { user } = await openRevoke();
    await user.click(screen.getByTestId("revoke-confirm"));

    expect(await screen.findByTestId("revoke-error")).toHaveTextContent("Key key_a was not found.");
    expect(screen.getByTestId("revoke-confirm")).toBeEnabled();
    expect(within(row("key_a")).getByTestId("key-status")).toHaveTextContent("Active");
  });
});

describe("status badges", () => {
  it("names every status the gateway reports", async () => {
    vi.mocked(commands.listKeys).mockResolvedValue(
      listing(
        inferenceKey({ id: "k1", status: "active" }),
        inferenceKey({ id: "k2", status: "revoked", revoked_at: "2026-01-01T00:00:00Z" }),
        inferenceKey({ id: "k3", status: "expired", expires_at: "2026-01-02T00:00:00Z" }),
        inferenceKey({ id: "k4", status: "archived", archived_at: "2026-01-03T00:00:00Z" }),
      ),
    );
    renderKeys();
    await screen.findByTestId("keys-table");
    const badges = screen.getAllByTestId("key-status").map((b) => b.textContent?.trim());
    expect(badges).toEqual(["Active", "Revoked", "Expired", "Archived"]);
    expect(within(row("k3")).queryByTestId("key-revoke")).toBeNull();
  });
});

describe("long lists", () => {
  it("says when the project has more keys than are shown", async () => {
    vi.mocked(commands.listKeys).mockResolvedValue(ok({ ...keyPage([inferenceKey()]), total: 250 }));
    renderKeys();
    expect(await screen.findByTestId("keys-truncated")).toHaveTextContent("Showing the newest 1 of 250 keys.");
  });

  it("says nothing when every key is shown", async () => {
    vi.mocked(commands.listKeys).mockResolvedValue(listing(inferenceKey()));
    renderKeys();
    await screen.findByTestId("keys-table");
    expect(screen.queryByTestId("keys-truncated")).toBeNull();
  });
});

describe("KeysScreen and the active profile", () => {
  it("drops the old profile's rows and loads the new one's after a switch", async () => {
    const pending = deferred<Awaited<ReturnType<typeof commands.listKeys>>>();
    listKeys.mockResolvedValueOnce(listing(billing));
    listKeys.mockReturnValueOnce(pending.promise);
    vi.mocked(commands.switchProfile).mockResolvedValue(ok(staging));
    const { session } = renderKeys();
    await screen.findByTestId("keys-table");

    expect(await session.switchTo("prof_staging")).toBe(true);

    await vi.waitFor(() => expect(listKeys).toHaveBeenCalledTimes(2));
    expect(screen.queryByTestId("keys-table")).not.toBeInTheDocument();
    expect(screen.getByTestId("keys-loading")).toBeInTheDocument();
    pending.resolve(listing(fresh));
    expect(await screen.findByTestId("keys-table")).toBeInTheDocument();
    expect(screen.getAllByTestId("key-row").map((tr) => tr.dataset.keyId)).toEqual(["key_c"]);
  });

  it("reloads when the active profile is edited, even if its settings read the same", async () => {
    listKeys.mockResolvedValue(listing(billing));
    vi.mocked(commands.listProfiles).mockResolvedValue(ok(profileList("local", local, staging)));
    vi.mocked(commands.activeProfile).mockResolvedValue(ok(local));
    const { session } = renderKeys();
    await session.load();
    await screen.findByTestId("keys-table");
    expect(listKeys).toHaveBeenCalledTimes(1);

    // What the Profiles screen does after saving the active profile (e.g. a new token).
    await session.refresh({ activeEdited: true });

    await vi.waitFor(() => expect(listKeys).toHaveBeenCalledTimes(2));
  });

  it("hands keychain trouble to the session's banner instead of showing it twice", async () => {
    listKeys.mockResolvedValue(
      failure('The token of profile "Staging" is no longer in the keychain.', "keychain_missing"),
    );
    const { session } = renderKeys();

    expect(await screen.findByTestId("keys-unavailable")).toBeInTheDocument();
    expect(screen.queryByTestId("keys-error")).not.toBeInTheDocument();
    expect(session.keychainProblem).toEqual({
      code: "keychain_missing",
      message: 'The token of profile "Staging" is no longer in the keychain.',
      field: null,
    });
  });
});
