// The shell's keychain banner: Local whose keychain entry is gone gets a new owner
// token (and every screen reloads); a locked keychain gets "Try again", never a reissue
// that would revoke the token still in it; another profile is pointed to its edit form.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { commands, type StoredProfile } from "$lib/bindings";
import { deferred, failure, ok } from "$lib/keys/fixtures";
import { local, profileList, staging, withSession } from "./fixtures";
import KeychainBanner from "./KeychainBanner.svelte";

vi.mock("$lib/bindings", () => ({
  commands: {
    activeProfile: vi.fn(),
    listProfiles: vi.fn(),
    reissueLocalToken: vi.fn(),
    checkProfileForm: vi.fn(async () => []),
    updateProfile: vi.fn(),
    testProfileForm: vi.fn(),
  },
}));

const reissueLocalToken = vi.mocked(commands.reissueLocalToken);

const LOCAL_MISSING = 'The token of profile "Local" is no longer in the keychain. Enter it again in the profile\'s settings.';

async function setup(active: StoredProfile, profiles: StoredProfile[] = [local, staging]) {
  vi.mocked(commands.listProfiles).mockResolvedValue(ok(profileList(active.id, ...profiles)));
  vi.mocked(commands.activeProfile).mockResolvedValue(ok(active));
  const { session, context } = withSession();
  await session.load();
  render(KeychainBanner, { context });
  return { session, user: userEvent.setup() };
}

beforeEach(() => {
  for (const command of Object.values(commands)) vi.mocked(command).mockReset();
});

describe("KeychainBanner for Local", () => {
  it("shows nothing while the active profile's token is fine", async () => {
    await setup(local);
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("offers a new owner token when a screen found Local's entry missing, and reloads after", async () => {
    const { session, user } = await setup(local);
    const pending = deferred<Awaited<ReturnType<typeof commands.reissueLocalToken>>>();
    reissueLocalToken.mockReturnValue(pending.promise);
    session.reportProblem({ code: "keychain_missing", message: LOCAL_MISSING, field: null });

    const banner = await screen.findByTestId("local-token-missing");
    expect(banner).toHaveAttribute("role", "alert");
    expect(banner).toHaveTextContent(LOCAL_MISSING);
    const button = within(banner).getByTestId("reissue-local-token");
    expect(button).toHaveTextContent("Issue a new owner token");
    await user.click(button);

    expect(reissueLocalToken).toHaveBeenCalledOnce();
    expect(button).toBeDisabled();
    expect(button).toHaveTextContent("Issuing…");
    pending.resolve(ok(local));
    await vi.waitFor(() => expect(screen.queryByTestId("local-token-missing")).not.toBeInTheDocument());
    expect(session.version).toBe(1);
    expect(commands.listProfiles).toHaveBeenCalledTimes(2);
  });

  it("offers it when Local could not be set up at start-up", async () => {
    vi.mocked(commands.listProfiles).mockResolvedValue(ok(profileList("local", staging)));
    vi.mocked(commands.activeProfile).mockResolvedValue(
      failure("Keyward could not store Local's token: no keychain service is reachable.", "keychain_unavailable"),
    );
    const { session, context } = withSession();
    await session.load();
    render(KeychainBanner, { context });

    const banner = screen.getByTestId("local-token-missing");
    expect(banner).toHaveTextContent("Keyward could not store Local's token");
    expect(within(banner).getByTestId("reissue-local-token")).toBeEnabled();
  });

  it("says why a reissue failed and keeps the button", async () => {
    const { session, user } = await setup(local);
    reissueLocalToken.mockResolvedValue(failure("The embedded gateway failed: disk full.", "internal"));
    session.reportProblem({ code: "keychain_missing", message: LOCAL_MISSING, field: null });
    await user.click(await screen.findByTestId("reissue-local-token"));

    expect(await screen.findByTestId("reissue-error")).toHaveTextContent("The embedded gateway failed: disk full.");
    expect(screen.getByTestId("reissue-local-token")).toBeEnabled();
  });

  it("offers Try again, not a reissue, when the keychain is only locked", async () => {
    const { session, user } = await setup(local);
    session.reportProblem({
      code: "keychain_locked",
      message: "Keyward could not read the token: the keychain is locked. Unlock it and try again.",
      field: null,
    });

    const banner = await screen.findByTestId("local-token-missing");
    expect(banner).toHaveTextContent("the keychain is locked");
    expect(within(banner).queryByTestId("reissue-local-token")).not.toBeInTheDocument();
    await user.click(within(banner).getByTestId("keychain-retry"));

    expect(reissueLocalToken).not.toHaveBeenCalled();
    await vi.waitFor(() => expect(session.version).toBe(1));
    expect(screen.queryByTestId("local-token-missing")).not.toBeInTheDocument();
  });

  it("ignores errors that are not the keychain's", async () => {
    const { session } = await setup(local);
    session.reportProblem({ code: "timeout", message: "The gateway did not answer.", field: null });
    await Promise.resolve();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });
});

describe("KeychainBanner for another profile", () => {
  it("points to the profile's edit form to enter the token again", async () => {
    const { session, user } = await setup(staging);
    vi.mocked(commands.updateProfile).mockResolvedValue(ok(staging));
    // Saving tests the connection first: the new token works.
    vi.mocked(commands.testProfileForm).mockResolvedValue(
      ok({ base_url: staging.base_url, token_label: "ops", role: "owner", project_id: staging.project_id, project_name: "Staging" }),
    );
    session.reportProblem({
      code: "keychain_missing",
      message: 'The token of profile "Staging" is no longer in the keychain. Enter it again in the profile\'s settings.',
      field: null,
    });

    const banner = await screen.findByTestId("profile-token-missing");
    expect(banner).toHaveTextContent('The token of profile "Staging" is no longer in the keychain.');
    expect(screen.queryByTestId("local-token-missing")).not.toBeInTheDocument();
    expect(within(banner).queryByTestId("reissue-local-token")).not.toBeInTheDocument();
    await user.click(within(banner).getByTestId("profile-token-edit"));

    const form = screen.getByTestId("profile-form");
    const token = form.querySelector<HTMLInputElement>('[name="token"]')!;
    await user.type(token, "kw_ctl_replacement_token_1234");
    await user.click(within(form).getByTestId("profile-form-save"));

    expect(commands.updateProfile).toHaveBeenCalledExactlyOnceWith(
      "prof_staging",
      expect.objectContaining({ token: "kw_ctl_replacement_token_1234" }),
    );
    await vi.waitFor(() => expect(screen.queryByTestId("profile-form")).not.toBeInTheDocument());
    await vi.waitFor(() => expect(session.version).toBe(1));
    expect(screen.queryByTestId("profile-token-missing")).not.toBeInTheDocument();
  });
});
