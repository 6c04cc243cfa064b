// The Profiles page against mocked commands: the list and its states, Local's built-in
// rules, Use, per-row Test connection, edit (token never read back), duplicate and
// delete with confirmation (deleting the active profile hands over to Local).
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { commands, type ConnectionReport } from "$lib/bindings";
import { deferred, failure, ok } from "$lib/keys/fixtures";
import { catalogFixture, local, podstack, profileList, staging, storedProfile, withSession } from "./fixtures";
import ProfilesScreen from "./ProfilesScreen.svelte";

vi.mock("$lib/bindings", () => ({
  commands: {
    platformCatalog: vi.fn(),
    activeProfile: vi.fn(),
    listProfiles: vi.fn(),
    switchProfile: vi.fn(),
    testProfile: vi.fn(),
    checkProfileForm: vi.fn(async () => []),
    updateProfile: vi.fn(),
    createProfile: vi.fn(),
    testProfileForm: vi.fn(),
    duplicateProfile: vi.fn(),
    deleteProfile: vi.fn(),
    scanImport: vi.fn(),
    importProfiles: vi.fn(),
    discardImport: vi.fn(),
  },
}));

const listProfiles = vi.mocked(commands.listProfiles);
const activeProfile = vi.mocked(commands.activeProfile);
const testProfile = vi.mocked(commands.testProfile);
const deleteProfile = vi.mocked(commands.deleteProfile);

const report: ConnectionReport = {
  base_url: "https://gw.staging.example.com",
  token_label: "ci-owner (kw_ctl_…0aWe)",
  role: "admin",
  project_id: "proj_staging",
  project_name: "Staging",
};

function row(id: string): HTMLElement {
  const found = screen.getAllByTestId("profile-row").find((li) => li.dataset.profileId === id);
  if (!found) throw new Error(`no row for ${id}`);
  return found;
}

async function setup(activeId = "local", profiles = [local, staging, podstack]) {
  listProfiles.mockResolvedValue(ok(profileList(activeId, ...profiles)));
  activeProfile.mockResolvedValue(ok(profiles.find((p) => p.id === activeId)!));
  const { session, context } = withSession();
  render(ProfilesScreen, { context });
  await screen.findAllByTestId("profile-row");
  return { session, user: userEvent.setup() };
}

beforeEach(() => {
  for (const command of Object.values(commands)) vi.mocked(command).mockReset();
  vi.mocked(commands.discardImport).mockResolvedValue(ok(null));
  vi.mocked(commands.testProfileForm).mockResolvedValue(ok(report));
  vi.mocked(commands.platformCatalog).mockResolvedValue(catalogFixture());
});

describe("ProfilesScreen list", () => {
  it("shows each profile's name, platform, address, project and notes", async () => {
    await setup();

    expect(screen.getAllByTestId("profile-row").map((r) => r.dataset.profileId)).toEqual([
      "local",
      "prof_staging",
      "prof_podstack",
    ]);
    const p = within(row("prof_podstack"));
    expect(p.getByTestId("profile-name")).toHaveTextContent("Podstack (llm)");
    expect(p.getByTestId("profile-kind")).toHaveTextContent("Podstack");
    expect(p.getByTestId("profile-base-url")).toHaveTextContent("https://api.podstack.example");
    expect(p.getByTestId("profile-project")).toHaveTextContent("llm");
    expect(p.getByTestId("profile-notes")).toHaveAttribute("title", "Imported from ~/.podstack/credentials [default]");
    expect(within(row("local")).getByTestId("profile-kind")).toHaveTextContent("Keyward gateway");
    expect(within(row("local")).getByText((_, el) => el?.tagName === "TIME")).toHaveAttribute(
      "datetime",
      local.updated_at,
    );
  });

  it("marks the active profile and Local, which has no Use and no Delete", async () => {
    await setup();
    const l = within(row("local"));
    const s = within(row("prof_staging"));

    expect(l.getByTestId("profile-active-badge")).toHaveTextContent("Active");
    expect(l.getByTestId("profile-builtin-badge")).toHaveTextContent("Built-in");
    expect(l.queryByTestId("profile-use")).not.toBeInTheDocument();
    expect(l.queryByTestId("profile-delete")).not.toBeInTheDocument();
    expect(l.getByTestId("profile-edit")).toBeEnabled();
    expect(l.getByTestId("profile-duplicate")).toBeEnabled();

    expect(s.queryByTestId("profile-active-badge")).not.toBeInTheDocument();
    expect(s.queryByTestId("profile-builtin-badge")).not.toBeInTheDocument();
    expect(s.getByTestId("profile-use")).toHaveAccessibleName("Use Staging");
    expect(s.getByTestId("profile-delete")).toHaveAccessibleName("Delete Staging");
  });

  it("says it is loading until the list arrives", async () => {
    const pending = deferred<Awaited<ReturnType<typeof commands.listProfiles>>>();
    listProfiles.mockReturnValue(pending.promise);
    activeProfile.mockResolvedValue(ok(local));
    render(ProfilesScreen, { context: withSession().context });

    expect(screen.getByTestId("profiles-loading")).toHaveTextContent("Loading profiles…");
    pending.resolve(ok(profileList("local", local)));
    expect(await screen.findByTestId("profile-row")).toBeInTheDocument();
  });

  it("shows a load error and retries on request", async () => {
    listProfiles.mockResolvedValueOnce(failure("Keyward's profile database failed; nothing was changed."));
    listProfiles.mockResolvedValueOnce(ok(profileList("local", local)));
    activeProfile.mockResolvedValue(ok(local));
    const user = userEvent.setup();
    render(ProfilesScreen, { context: withSession().context });

    const error = await screen.findByTestId("profiles-error");
    expect(error).toHaveTextContent("Keyward's profile database failed");
    await user.click(within(error).getByTestId("profiles-retry"));

    expect(await screen.findByTestId("profile-row")).toBeInTheDocument();
    expect(screen.queryByTestId("profiles-error")).not.toBeInTheDocument();
  });

  it("shows the empty state when there are no profiles", async () => {
    listProfiles.mockResolvedValue(ok(profileList("local")));
    activeProfile.mockResolvedValue(failure("The Local profile was not created; restart Keyward to create it.", "not_found"));
    render(ProfilesScreen, { context: withSession().context });

    expect(await screen.findByTestId("profiles-empty")).toHaveTextContent("No profiles yet");
    expect(screen.getByTestId("add-profile")).toBeInTheDocument();
    expect(screen.getByTestId("import-profiles")).toBeInTheDocument();
  });
});

describe("ProfilesScreen use", () => {
  it("switches to the profile and moves the Active badge", async () => {
    vi.mocked(commands.switchProfile).mockResolvedValue(ok(staging));
    const { session, user } = await setup();

    await user.click(within(row("prof_staging")).getByTestId("profile-use"));

    expect(commands.switchProfile).toHaveBeenCalledExactlyOnceWith("prof_staging");
    await vi.waitFor(() => expect(within(row("prof_staging")).getByTestId("profile-active-badge")).toBeInTheDocument());
    expect(within(row("local")).getByTestId("profile-use")).toBeInTheDocument();
    expect(session.activeId).toBe("prof_staging");
  });
});

describe("ProfilesScreen test connection", () => {
  it("shows progress, then who the token is, in the row", async () => {
    const pending = deferred<Awaited<ReturnType<typeof commands.testProfile>>>();
    testProfile.mockReturnValue(pending.promise);
    const { user } = await setup();
    const s = within(row("prof_staging"));

    await user.click(s.getByTestId("profile-test"));
    expect(testProfile).toHaveBeenCalledExactlyOnceWith("prof_staging");
    expect(s.getByTestId("profile-test-result")).toHaveTextContent("Testing…");
    expect(s.getByTestId("profile-test")).toBeDisabled();

    pending.resolve(ok(report));
    await vi.waitFor(() =>
      expect(s.getByTestId("profile-test-result")).toHaveTextContent(
        "Connected as ci-owner (kw_ctl_…0aWe) · role admin · project Staging (proj_staging)",
      ),
    );
    expect(s.getByTestId("profile-test-result")).toHaveAttribute("data-outcome", "success");
    expect(within(row("local")).queryByTestId("profile-test-result")).not.toBeInTheDocument();
  });

  it("shows the error as an error", async () => {
    testProfile.mockResolvedValue(
      // What Rust answers for a platform without an adapter (issue #16): code unsupported.
      failure(
        "Keyward cannot talk to Podstack yet: the profile is kept and will work once the Podstack adapter ships.",
        "unsupported",
      ),
    );
    const { user } = await setup();
    const p = within(row("prof_podstack"));
    await user.click(p.getByTestId("profile-test"));

    const result = await p.findByTestId("profile-test-result");
    expect(result).toHaveTextContent("Keyward cannot talk to Podstack yet");
    expect(result).toHaveAttribute("data-outcome", "error");
    expect(result).toHaveAttribute("role", "alert");
  });
});

describe("ProfilesScreen edit and duplicate", () => {
  it("edits with an empty token field, then refreshes and tells screens when it was the active profile", async () => {
    const renamed = { ...local, name: "This machine", updated_at: "2026-02-01T00:00:00Z" };
    vi.mocked(commands.updateProfile).mockResolvedValue(ok(renamed));
    const { session, user } = await setup();
    await user.click(within(row("local")).getByTestId("profile-edit"));

    const form = screen.getByTestId("profile-form");
    const token = form.querySelector<HTMLInputElement>('[name="token"]')!;
    expect(token).toHaveValue("");
    listProfiles.mockResolvedValue(ok(profileList("local", renamed, staging, podstack)));
    activeProfile.mockResolvedValue(ok(renamed));
    const name = form.querySelector<HTMLInputElement>('[name="name"]')!;
    await user.clear(name);
    await user.type(name, "This machine");
    await user.click(within(form).getByTestId("profile-form-save"));

    expect(vi.mocked(commands.updateProfile).mock.calls[0]?.[1].token).toBeNull();
    await vi.waitFor(() => expect(within(row("local")).getByTestId("profile-name")).toHaveTextContent("This machine"));
    expect(screen.queryByTestId("profile-form")).not.toBeInTheDocument();
    expect(session.version).toBe(1);
  });

  it("adds a profile and lists it", async () => {
    const added = storedProfile({ id: "prof_new", name: "New" });
    vi.mocked(commands.createProfile).mockResolvedValue(ok(added));
    const { session, user } = await setup();
    await user.click(screen.getByTestId("add-profile"));
    const form = screen.getByTestId("profile-form");
    const type = (field: string, text: string) => user.type(form.querySelector(`[name="${field}"]`)!, text);
    await type("name", "New");
    await type("base_url", "https://gw.new.example.com");
    await type("project_id", "proj_new");
    await type("token", "kw_ctl_abcdefghijklmnop");
    listProfiles.mockResolvedValue(ok(profileList("local", local, staging, podstack, added)));
    await user.click(within(form).getByTestId("profile-form-save"));

    await vi.waitFor(() => expect(row("prof_new")).toBeInTheDocument());
    expect(session.version).toBe(0);
  });

  it("duplicates under the name asked for", async () => {
    const copy = storedProfile({ id: "prof_copy", name: "Staging EU" });
    vi.mocked(commands.duplicateProfile).mockResolvedValue(ok(copy));
    const { user } = await setup();
    await user.click(within(row("prof_staging")).getByTestId("profile-duplicate"));

    const dialog = screen.getByTestId("duplicate-dialog");
    const name = dialog.querySelector<HTMLInputElement>('[name="duplicate_name"]')!;
    expect(name).toHaveValue("Staging (copy)");
    expect(name).toHaveFocus();
    // The name rule is Rust's: a blank name comes back as a field error, in the form's words.
    vi.mocked(commands.duplicateProfile).mockResolvedValueOnce(
      failure("name is required and must not be blank.", "invalid_input", "name"),
    );
    await user.clear(name);
    await user.click(within(dialog).getByTestId("duplicate-submit"));
    expect(await within(dialog).findByTestId("field-error-name")).toHaveTextContent("Name is required and must not be blank.");
    expect(name).toHaveFocus();

    listProfiles.mockResolvedValue(ok(profileList("local", local, staging, copy, podstack)));
    await user.type(name, "Staging EU");
    expect(within(dialog).queryByTestId("field-error-name")).not.toBeInTheDocument();
    await user.click(within(dialog).getByTestId("duplicate-submit"));

    expect(commands.duplicateProfile).toHaveBeenLastCalledWith("prof_staging", "Staging EU");
    await vi.waitFor(() => expect(row("prof_copy")).toBeInTheDocument());
    expect(screen.queryByTestId("duplicate-dialog")).not.toBeInTheDocument();
  });
});

describe("ProfilesScreen delete", () => {
  it("asks first, saying the keychain entry goes too; Cancel deletes nothing", async () => {
    const { user } = await setup();
    await user.click(within(row("prof_staging")).getByTestId("profile-delete"));

    const dialog = screen.getByTestId("delete-profile-dialog");
    expect(dialog).toHaveAccessibleDescription(
      "Delete the profile “Staging”? Its token is removed from the OS keychain too. Keys on the platform are not touched.",
    );
    expect(within(dialog).queryByTestId("delete-profile-active")).not.toBeInTheDocument();
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();
    await user.keyboard("{Escape}");

    expect(screen.queryByTestId("delete-profile-dialog")).not.toBeInTheDocument();
    expect(deleteProfile).not.toHaveBeenCalled();
    expect(row("prof_staging")).toBeInTheDocument();
  });

  it("deletes on confirm and removes the row", async () => {
    deleteProfile.mockResolvedValue(ok(profileList("local", local, podstack)));
    const { session, user } = await setup();
    await user.click(within(row("prof_staging")).getByTestId("profile-delete"));
    await user.click(screen.getByTestId("delete-profile-confirm"));

    expect(deleteProfile).toHaveBeenCalledExactlyOnceWith("prof_staging");
    await vi.waitFor(() => expect(screen.queryByTestId("delete-profile-dialog")).not.toBeInTheDocument());
    expect(screen.getAllByTestId("profile-row").map((r) => r.dataset.profileId)).toEqual(["local", "prof_podstack"]);
    expect(session.version).toBe(0);
  });

  it("deleting the active profile makes Local active", async () => {
    deleteProfile.mockResolvedValue(ok(profileList("local", local, podstack)));
    const { session, user } = await setup("prof_staging");
    await user.click(within(row("prof_staging")).getByTestId("profile-delete"));

    expect(screen.getByTestId("delete-profile-active")).toHaveTextContent("Keyward switches to Local afterwards.");
    await user.click(screen.getByTestId("delete-profile-confirm"));

    await vi.waitFor(() => expect(within(row("local")).getByTestId("profile-active-badge")).toBeInTheDocument());
    expect(session.activeId).toBe("local");
    expect(session.active?.base_url).toBe("http://127.0.0.1:7070");
    expect(session.version).toBe(1);
  });

  it("keeps the dialog open with the error when the delete fails", async () => {
    deleteProfile.mockResolvedValue(failure("Keyward could not delete the token: the keychain is locked.", "keychain_locked"));
    const { user } = await setup();
    await user.click(within(row("prof_staging")).getByTestId("profile-delete"));
    await user.click(screen.getByTestId("delete-profile-confirm"));

    expect(await screen.findByTestId("delete-profile-error")).toHaveTextContent("the keychain is locked");
    expect(screen.getByTestId("delete-profile-confirm")).toBeEnabled();
    expect(row("prof_staging")).toBeInTheDocument();
  });
});

describe("ProfilesScreen import", () => {
  it("opens the import dialog, and closing it lets Rust drop what it held", async () => {
    const { user } = await setup();
    await user.click(screen.getByTestId("import-profiles"));
    expect(screen.getByTestId("import-dialog")).toBeInTheDocument();

    await user.click(screen.getByTestId("import-close"));

    expect(screen.queryByTestId("import-dialog")).not.toBeInTheDocument();
    expect(commands.discardImport).toHaveBeenCalledOnce();
  });
});
