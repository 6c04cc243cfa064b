// The shell: product name, the active profile and its switcher from the backend, the
// Keys screen as the first page, the Profiles and Settings pages one click away, Find
// leaked key as a dialog over any page, and the keychain banner above whichever screen
// is open.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { commands } from "$lib/bindings";
import App from "./App.svelte";
import { failure, inferenceKey, keyPage, LEAKED_SECRET, leakHolder, leakMatch, leakSearch, ok } from "$lib/keys/fixtures";
import { catalogFixture, local, podstack, profileList, staging } from "$lib/profiles/fixtures";
import { keywardCapabilities, noAdapterCapabilities, PODSTACK_SENTENCE } from "$lib/capabilities/fixtures";

vi.mock("$lib/bindings", () => ({
  commands: {
    activeProfile: vi.fn(),
    activeRole: vi.fn(),
    activeCapabilities: vi.fn(),
    listProfiles: vi.fn(),
    listKeys: vi.fn(),
    listProjects: vi.fn(),
    platformCatalog: vi.fn(),
    reissueLocalToken: vi.fn(),
    keySettings: vi.fn(),
    appVersion: vi.fn(),
    findLeakedKey: vi.fn(),
    revokeLeakedKey: vi.fn(),
    discardLeak: vi.fn(),
    platformCapabilities: vi.fn(),
  },
}));

const activeProfile = vi.mocked(commands.activeProfile);
const listProfiles = vi.mocked(commands.listProfiles);
const listKeys = vi.mocked(commands.listKeys);

beforeEach(() => {
  for (const command of Object.values(commands)) vi.mocked(command).mockReset();
  listKeys.mockResolvedValue(ok(keyPage([])));
  vi.mocked(commands.listProjects).mockResolvedValue(ok([{ id: "proj_local", name: "proj_local" }]));
  vi.mocked(commands.platformCatalog).mockResolvedValue(catalogFixture());
  vi.mocked(commands.activeRole).mockResolvedValue(ok("owner"));
  vi.mocked(commands.activeCapabilities).mockResolvedValue(ok(keywardCapabilities()));
  vi.mocked(commands.platformCapabilities).mockResolvedValue(keywardCapabilities());
  vi.mocked(commands.appVersion).mockResolvedValue({ version: "0.1.0", commit: "abc1234" });
  listProfiles.mockResolvedValue(ok(profileList("local", local, staging)));
});

describe("App", () => {
  it("shows the product, the active profile and the Keys screen", async () => {
    activeProfile.mockResolvedValue(ok(local));
    render(App);

    expect(screen.getByText("Keyward")).toBeInTheDocument();
    const profile = screen.getByTestId("active-profile");
    await vi.waitFor(() => expect(within(profile).getByTestId("profile-url")).toHaveTextContent("http://127.0.0.1:7070"));
    expect(profile).toHaveTextContent("proj_local");
    expect(within(profile).getByTestId("profile-switcher")).toHaveValue("local");
    expect(screen.getByTestId("nav-keys")).toHaveAttribute("aria-current", "page");
    expect(screen.getByRole("heading", { level: 1, name: "API keys" })).toBeInTheDocument();
  });

  it("shows why the profile could not be loaded", async () => {
    activeProfile.mockResolvedValue(failure("The profile database is unreadable."));
    render(App);

    await vi.waitFor(() =>
      expect(screen.getByTestId("active-profile")).toHaveTextContent("The profile database is unreadable."),
    );
  });

  it("opens the Profiles page from the navigation", async () => {
    activeProfile.mockResolvedValue(ok(local));
    const user = userEvent.setup();
    render(App);

    await user.click(screen.getByTestId("nav-profiles"));

    expect(screen.getByTestId("nav-profiles")).toHaveAttribute("aria-current", "page");
    expect(screen.getByTestId("nav-keys")).not.toHaveAttribute("aria-current");
    const page = screen.getByTestId("profiles-screen");
    expect(within(page).getByRole("heading", { level: 1, name: "Profiles" })).toBeInTheDocument();
    await vi.waitFor(() => expect(within(page).getAllByTestId("profile-row")).toHaveLength(2));
    expect(screen.queryByRole("heading", { level: 1, name: "API keys" })).not.toBeInTheDocument();
  });

  it("offers a new owner token when Local's keychain entry is gone, then lists the keys", async () => {
    activeProfile.mockResolvedValue(ok(local));
    listKeys.mockResolvedValueOnce(
      failure('The token of profile "Local" is no longer in the keychain. Enter it again in the profile\'s settings.', "keychain_missing"),
    );
    vi.mocked(commands.reissueLocalToken).mockResolvedValue(ok(local));
    const user = userEvent.setup();
    render(App);

    const banner = await screen.findByTestId("local-token-missing");
    expect(banner).toHaveTextContent('The token of profile "Local" is no longer in the keychain.');
    expect(screen.getByTestId("keys-unavailable")).toBeInTheDocument();
    await user.click(within(banner).getByTestId("reissue-local-token"));

    expect(commands.reissueLocalToken).toHaveBeenCalledOnce();
    expect(await screen.findByTestId("keys-empty")).toBeInTheDocument();
    expect(listKeys).toHaveBeenCalledTimes(2);
    expect(screen.queryByTestId("local-token-missing")).not.toBeInTheDocument();
  });

  it("opens Settings from the navigation", async () => {
    activeProfile.mockResolvedValue(ok(local));
    vi.mocked(commands.keySettings).mockResolvedValue(ok({ clipboard_clear_seconds: 45 }));
    const user = userEvent.setup();
    render(App);

    await user.click(screen.getByTestId("nav-settings"));

    expect(screen.getByTestId("nav-settings")).toHaveAttribute("aria-current", "page");
    expect(screen.getByTestId("nav-keys")).not.toHaveAttribute("aria-current");
    expect(screen.getByRole("heading", { level: 1, name: "Settings" })).toBeInTheDocument();
    expect(await screen.findByTestId("settings-clipboard-seconds")).toHaveValue(45);
  });

  it("opens Find leaked key over any page and drops the pasted secret when it closes", async () => {
    activeProfile.mockResolvedValue(ok(local));
    vi.mocked(commands.discardLeak).mockResolvedValue(ok(null));
    vi.mocked(commands.findLeakedKey).mockResolvedValue(ok(leakSearch()));
    const user = userEvent.setup();
    render(App);
    await user.click(screen.getByTestId("nav-profiles"));

    await user.click(screen.getByTestId("nav-leak"));
    const dialog = screen.getByTestId("leak-dialog");
    expect(dialog).toHaveAccessibleName("Find a leaked key");
    expect(screen.getByTestId("profiles-screen")).toBeInTheDocument();
    await user.click(screen.getByTestId("leak-secret"));
    await user.paste(LEAKED_SECRET);
    await user.click(screen.getByTestId("leak-find"));
    await screen.findByTestId("leak-no-match");

    await user.keyboard("{Escape}");

    expect(screen.queryByTestId("leak-dialog")).not.toBeInTheDocument();
    expect(commands.discardLeak).toHaveBeenCalledOnce();
    expect(screen.getByTestId("nav-leak")).toHaveFocus();
  });

  it("refreshes the Keys list after a leaked key is revoked from the dialog", async () => {
    activeProfile.mockResolvedValue(ok(local));
    const leaked = leakMatch({ profiles: [leakHolder({ profile_id: "local", profile_name: "Local" })] });
    listKeys.mockResolvedValue(ok(keyPage([leaked.key, inferenceKey({ id: "key_other" })])));
    vi.mocked(commands.discardLeak).mockResolvedValue(ok(null));
    vi.mocked(commands.findLeakedKey).mockResolvedValue(ok(leakSearch({ matches: [leaked] })));
    const revoked = { ...leaked.key, state: "revoked" as const, revoked_at: "2026-03-01T12:00:00Z" };
    vi.mocked(commands.revokeLeakedKey).mockResolvedValue(
      ok({ key: revoked, proof: { status: 401, message: "The API key is revoked.", refused: true } }),
    );
    const user = userEvent.setup();
    render(App);
    await screen.findByTestId("keys-table");
    expect(listKeys).toHaveBeenCalledTimes(1);

    await user.click(screen.getByTestId("nav-leak"));
    await user.click(screen.getByTestId("leak-secret"));
    await user.paste(LEAKED_SECRET);
    await user.click(screen.getByTestId("leak-find"));
    listKeys.mockResolvedValue(ok(keyPage([revoked, inferenceKey({ id: "key_other" })])));
    await user.click(await screen.findByTestId("leak-revoke"));
    await screen.findByTestId("leak-proof");

    await vi.waitFor(() => expect(listKeys).toHaveBeenCalledTimes(2));
  });
});

describe("App with a profile of a platform Keyward has no adapter for (issue #16)", () => {
  it("says so once, in place of the screens, and asks that platform nothing", async () => {
    activeProfile.mockResolvedValue(ok(podstack));
    listProfiles.mockResolvedValue(ok(profileList(podstack.id, local, podstack)));
    vi.mocked(commands.activeRole).mockResolvedValue(failure(PODSTACK_SENTENCE, "unsupported"));
    vi.mocked(commands.activeCapabilities).mockResolvedValue(ok(noAdapterCapabilities()));
    const user = userEvent.setup();
    render(App);

    expect(await screen.findByTestId("platform-no-adapter")).toHaveTextContent(PODSTACK_SENTENCE);
    expect(screen.getAllByText(PODSTACK_SENTENCE)).toHaveLength(1);
    expect(screen.queryByText(/invalid/i)).not.toBeInTheDocument();
    for (const page of ["workloads", "usage"]) {
      await user.click(screen.getByTestId(`nav-${page}`));
      expect(screen.getAllByText(PODSTACK_SENTENCE)).toHaveLength(1);
    }
    expect(listKeys).not.toHaveBeenCalled();
    await user.click(screen.getByTestId("nav-profiles"));
    expect(screen.queryByTestId("platform-no-adapter")).not.toBeInTheDocument();
  });
});
