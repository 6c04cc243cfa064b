// The profile form: each field is checked before any request and its problem named
// under it; the backend's field errors land under their field too; on edit the token
// starts empty and an untouched one is sent as null (keep the stored token); Local's
// gateway-owned fields are disabled with the reason; Test connection tests the form
// as typed.
import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { commands, type ConnectionReport, type StoredProfile } from "$lib/bindings";
import { deferred, failure, ok } from "$lib/keys/fixtures";
import { catalogFixture, local, staging, storedProfile } from "./fixtures";
import { platformCatalog } from "./catalog.svelte";
import ProfileFormDialog from "./ProfileFormDialog.svelte";

vi.mock("$lib/bindings", () => ({
  commands: {
    checkProfileForm: vi.fn(async () => []),
    createProfile: vi.fn(),
    updateProfile: vi.fn(),
    testProfileForm: vi.fn(),
    platformCatalog: vi.fn(),
  },
}));

const createProfile = vi.mocked(commands.createProfile);
const updateProfile = vi.mocked(commands.updateProfile);
const testProfileForm = vi.mocked(commands.testProfileForm);
const checkProfileForm = vi.mocked(commands.checkProfileForm);

const TOKEN = "kw_ctl_9sPq2LmXv7RtYb4NcZ0aWe";

const report: ConnectionReport = {
  base_url: "https://gw.staging.example.com",
  token_label: "ci-owner (kw_ctl_…0aWe)",
  role: "owner",
  project_id: "proj_staging",
  project_name: "Staging",
};

function setup(profile: StoredProfile | null = null) {
  const oncancel = vi.fn();
  const onsaved = vi.fn();
  const { container } = render(ProfileFormDialog, { profile, oncancel, onsaved });
  const field = (name: string) => container.querySelector<HTMLInputElement>(`[name="${name}"]`)!;
  return { user: userEvent.setup(), oncancel, onsaved, field };
}

async function fillNew(user: ReturnType<typeof userEvent.setup>, field: (name: string) => HTMLInputElement) {
  await user.type(field("name"), "Staging");
  await user.type(field("base_url"), "https://gw.staging.example.com/");
  await user.type(field("project_id"), "proj_staging");
  await user.type(field("token"), TOKEN);
}

beforeEach(() => {
  for (const command of Object.values(commands)) vi.mocked(command).mockReset();
  checkProfileForm.mockResolvedValue([]);
  // Saving tests the connection first; here it passes unless a test says otherwise.
  testProfileForm.mockResolvedValue(ok(report));
  vi.mocked(commands.platformCatalog).mockResolvedValue(catalogFixture());
});

// Issue #15: Add profile asked for a project the token identifies, saved profiles that
// failed Test connection without a word, and spoke the API's field names.
describe("ProfileFormDialog connection check", () => {
  it("leaves the project to the token: Test connection fills it in, and the save sends it", async () => {
    createProfile.mockResolvedValue(ok(storedProfile({ id: "prof_new", name: "Staging" })));
    const { user, field } = setup();
    await vi.waitFor(() =>
      expect(field("project_id")).toHaveAccessibleDescription("Leave empty: Test connection fills it in from the control token."),
    );
    await user.type(field("name"), "Staging");
    await user.type(field("base_url"), "https://gw.staging.example.com");
    await user.type(field("token"), TOKEN);
    await user.click(screen.getByTestId("profile-form-test"));

    expect(testProfileForm).toHaveBeenCalledWith(expect.objectContaining({ project_id: "" }), null);
    expect(field("project_id")).toHaveValue("proj_staging");
    await user.click(screen.getByTestId("profile-form-save"));

    // These settings just passed: no second test before saving.
    expect(testProfileForm).toHaveBeenCalledOnce();
    expect(createProfile).toHaveBeenCalledWith(expect.objectContaining({ project_id: "proj_staging", token: TOKEN }));
  });

  it("tests before saving, and asks before saving a profile that does not connect", async () => {
    testProfileForm.mockResolvedValue(failure("Cannot reach https://gw.staging.example.com: connection refused.", "unavailable"));
    createProfile.mockResolvedValue(ok(storedProfile({ id: "prof_new", name: "Staging" })));
    const { user, field, onsaved } = setup();
    await fillNew(user, field);
    await user.click(screen.getByTestId("profile-form-save"));

    const warning = screen.getByTestId("profile-form-unverified");
    expect(warning).toHaveTextContent("Test connection failed: Cannot reach https://gw.staging.example.com: connection refused.");
    expect(warning).toHaveTextContent("Save it anyway?");
    expect(createProfile).not.toHaveBeenCalled();

    await user.click(screen.getByTestId("profile-form-keep-editing"));
    expect(screen.queryByTestId("profile-form-unverified")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("profile-form-save"));
    await user.click(screen.getByTestId("profile-form-save-anyway"));

    expect(createProfile).toHaveBeenCalledOnce();
    expect(onsaved).toHaveBeenCalledOnce();
  });

  it("does not test a platform Keyward cannot talk to yet before saving it", async () => {
    createProfile.mockResolvedValue(ok(storedProfile({ id: "prof_new", name: "Podstack" })));
    const { user, field } = setup();
    await fillNew(user, field);
    await user.selectOptions(screen.getByLabelText("Platform"), "podstack");
    await user.click(screen.getByTestId("profile-form-save"));

    expect(testProfileForm).not.toHaveBeenCalled();
    expect(createProfile).toHaveBeenCalledOnce();
  });

  it("tells a backend field error in the form's words", async () => {
    testProfileForm.mockResolvedValue(
      failure("base_url must not carry credentials, a query or a fragment.", "invalid_input", "base_url"),
    );
    const { user, field } = setup();
    await fillNew(user, field);
    await user.click(screen.getByTestId("profile-form-save"));

    expect(screen.getByTestId("field-error-base_url")).toHaveTextContent("Base URL must not carry credentials, a query or a fragment.");
    expect(screen.queryByTestId("profile-form-unverified")).not.toBeInTheDocument();
    expect(createProfile).not.toHaveBeenCalled();
  });
});

describe("ProfileFormDialog validation", () => {
  // The rules are Rust's (keyward-core profiles.rs, reached as checkProfileForm and tested
  // there); the form shows what the check names, in its own words, and sends nothing.
  it("names every field the check finds in trouble, under the field, before any request", async () => {
    checkProfileForm.mockResolvedValue([
      { field: "name", message: "name is required and must not be blank." },
      { field: "base_url", message: "The base URL must be an http:// or https:// URL, e.g. https://gateway.example.com." },
      { field: "project_id", message: "The project ID is required: up to 128 characters, no '/'." },
      { field: "token", message: "The token is required." },
    ]);
    const { user, field } = setup();
    await user.type(field("base_url"), "gw.example.com");
    await user.type(field("project_id"), "team/proj");
    await user.click(screen.getByTestId("profile-form-save"));

    expect(checkProfileForm).toHaveBeenLastCalledWith(
      { name: "", kind: "keyward", base_url: "gw.example.com", project_id: "team/proj", notes: "", token: null },
      true,
    );
    expect(await screen.findByTestId("field-error-name")).toHaveTextContent("Name is required and must not be blank.");
    expect(screen.getByTestId("field-error-base_url")).toHaveTextContent("The base URL must be an http:// or https:// URL");
    expect(screen.getByTestId("field-error-project_id")).toHaveTextContent("no '/'");
    expect(screen.getByTestId("field-error-token")).toHaveTextContent("The token is required.");
    expect(field("base_url")).toHaveAttribute("aria-invalid", "true");
    expect(field("base_url")).toHaveAccessibleDescription(/must be an http:\/\/ or https:\/\/ URL/);
    expect(field("name")).toHaveFocus();
    expect(createProfile).not.toHaveBeenCalled();
    expect(testProfileForm).not.toHaveBeenCalled();
  });

  it("checks before testing the connection too", async () => {
    checkProfileForm.mockResolvedValue([{ field: "name", message: "name is required and must not be blank." }]);
    const { user } = setup();
    await user.click(screen.getByTestId("profile-form-test"));

    expect(await screen.findByTestId("field-error-name")).toBeInTheDocument();
    expect(testProfileForm).not.toHaveBeenCalled();
  });

  it("checks again as the form changes, and clears a fixed field's message", async () => {
    checkProfileForm.mockImplementation(async (form) =>
      form.token === null ? [{ field: "token", message: "The token is required." }] : [],
    );
    const { user, field } = setup();
    await user.click(screen.getByTestId("profile-form-save"));
    expect(await screen.findByTestId("field-error-token")).toBeInTheDocument();

    await user.type(field("token"), TOKEN);
    await vi.waitFor(() => expect(screen.queryByTestId("field-error-token")).not.toBeInTheDocument());
  });

  it("says the check failed, and sends nothing, when the check itself rejects", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    checkProfileForm.mockRejectedValue(new Error("bridge down"));
    const { user, field } = setup();
    await fillNew(user, field);
    await user.click(screen.getByTestId("profile-form-save"));

    expect(await screen.findByTestId("profile-form-error")).toHaveTextContent("could not check the form");
    expect(createProfile).not.toHaveBeenCalled();
    expect(testProfileForm).not.toHaveBeenCalled();
  });
});

describe("ProfileFormDialog add", () => {
  it("creates the profile with the trimmed settings and the token, and hands it over", async () => {
    const created = storedProfile();
    createProfile.mockResolvedValue(ok(created));
    const { user, field, onsaved } = setup();

    expect(screen.getByRole("dialog", { name: "Add profile" })).toBeInTheDocument();
    expect(field("name")).toHaveFocus();
    expect(field("token")).toHaveAttribute("type", "password");
    expect(field("token")).toHaveAttribute("autocomplete", "off");
    expect(field("token")).toHaveAttribute("spellcheck", "false");
    await fillNew(user, field);
    await user.type(field("notes"), "CI only");
    await user.click(screen.getByTestId("profile-form-save"));

    expect(createProfile).toHaveBeenCalledExactlyOnceWith({
      name: "Staging",
      kind: "keyward",
      base_url: "https://gw.staging.example.com/",
      project_id: "proj_staging",
      notes: "CI only",
      token: TOKEN,
    });
    expect(onsaved).toHaveBeenCalledWith(created);
  });

  it("is busy and cannot be dismissed while saving", async () => {
    const pending = deferred<Awaited<ReturnType<typeof commands.createProfile>>>();
    createProfile.mockReturnValue(pending.promise);
    const { user, field, oncancel, onsaved } = setup();
    await fillNew(user, field);
    await user.click(screen.getByTestId("profile-form-save"));

    expect(screen.getByTestId("profile-form-save")).toBeDisabled();
    expect(screen.getByTestId("profile-form-save")).toHaveTextContent("Saving…");
    expect(screen.getByRole("button", { name: "Cancel" })).toBeDisabled();
    await user.keyboard("{Escape}");
    expect(oncancel).not.toHaveBeenCalled();

    pending.resolve(ok(staging));
    await vi.waitFor(() => expect(onsaved).toHaveBeenCalledWith(staging));
  });

  it("puts a backend error about a field under that field", async () => {
    createProfile.mockResolvedValue(failure("Another profile already has this name.", "invalid_input", "name"));
    const { user, field, onsaved } = setup();
    await fillNew(user, field);
    await user.click(screen.getByTestId("profile-form-save"));

    expect(screen.getByTestId("field-error-name")).toHaveTextContent("Another profile already has this name.");
    expect(field("name")).toHaveFocus();
    expect(screen.queryByTestId("profile-form-error")).not.toBeInTheDocument();
    expect(onsaved).not.toHaveBeenCalled();
  });

  it("shows any other backend error at the top", async () => {
    createProfile.mockResolvedValue(
      failure("Keyward could not store the token: the keychain is locked.", "keychain_locked"),
    );
    const { user, field } = setup();
    await fillNew(user, field);
    await user.click(screen.getByTestId("profile-form-save"));

    expect(screen.getByTestId("profile-form-error")).toHaveTextContent("the keychain is locked");
    expect(screen.getByTestId("profile-form-error")).toHaveAttribute("role", "alert");
  });

  it("says a platform without an adapter yet is saved but cannot connect", async () => {
    const { user, field } = setup();
    await user.selectOptions(field("kind"), "podstack");

    expect(field("kind")).toHaveAccessibleDescription(/Keyward cannot talk to Podstack's API yet/);
  });
});

describe("ProfileFormDialog edit", () => {
  const prod = storedProfile({ id: "prof_prod", name: "Prod", notes: "Careful", base_url: "https://gw.example.com" });

  it("starts with the settings and an empty token field that says the stored one is kept", () => {
    const { field } = setup(prod);

    expect(screen.getByRole("dialog", { name: "Edit profile “Prod”" })).toBeInTheDocument();
    expect(field("name")).toHaveValue("Prod");
    expect(field("base_url")).toHaveValue("https://gw.example.com");
    expect(field("notes")).toHaveValue("Careful");
    expect(field("token")).toHaveValue("");
    expect(field("token")).toHaveAccessibleDescription("Stored in the keychain. Leave empty to keep it; type to replace it.");
  });

  it("sends a null token when the field is left empty", async () => {
    updateProfile.mockResolvedValue(ok({ ...prod, notes: "Careful!" }));
    const { user, field, onsaved } = setup(prod);
    await user.type(field("notes"), "!");
    await user.click(screen.getByTestId("profile-form-save"));

    expect(updateProfile).toHaveBeenCalledExactlyOnceWith("prof_prod", {
      name: "Prod",
      kind: "keyward",
      base_url: "https://gw.example.com",
      project_id: "proj_staging",
      notes: "Careful!",
      token: null,
    });
    expect(onsaved).toHaveBeenCalled();
  });

  it("sends the new token when one is typed", async () => {
    updateProfile.mockResolvedValue(ok(prod));
    const { user, field } = setup(prod);
    await user.type(field("token"), TOKEN);
    await user.click(screen.getByTestId("profile-form-save"));

    expect(updateProfile.mock.calls[0]?.[1].token).toBe(TOKEN);
  });

  it("disables Local's address, project and platform and says why; name, notes and token stay editable", () => {
    const { field } = setup(local);

    for (const name of ["base_url", "project_id", "kind"]) expect(field(name)).toBeDisabled();
    for (const name of ["name", "notes", "token"]) expect(field(name)).toBeEnabled();
    expect(field("base_url")).toHaveAccessibleDescription("Set by the embedded gateway at each launch; it cannot be changed.");
    expect(field("project_id")).toHaveAccessibleDescription("Local always uses the embedded gateway's default project.");
    expect(field("kind")).toHaveAccessibleDescription("Local is always the Keyward gateway embedded in this app.");
  });

  it("saves Local with its gateway-owned settings unchanged", async () => {
    updateProfile.mockResolvedValue(ok({ ...local, name: "This machine" }));
    const { user, field } = setup(local);
    await user.clear(field("name"));
    await user.type(field("name"), "This machine");
    await user.click(screen.getByTestId("profile-form-save"));

    expect(updateProfile).toHaveBeenCalledExactlyOnceWith("local", {
      name: "This machine",
      kind: "keyward",
      base_url: "http://127.0.0.1:7070",
      project_id: "proj_local",
      notes: "The gateway embedded in this app.",
      token: null,
    });
  });
});

describe("ProfileFormDialog test connection", () => {
  it("tests the form as typed with the stored token, and says who it connected as", async () => {
    const pending = deferred<Awaited<ReturnType<typeof commands.testProfileForm>>>();
    testProfileForm.mockReturnValue(pending.promise);
    const { user } = setup(staging);
    await user.click(screen.getByTestId("profile-form-test"));

    expect(testProfileForm).toHaveBeenCalledExactlyOnceWith(
      expect.objectContaining({ base_url: "https://gw.staging.example.com", token: null }),
      "prof_staging",
    );
    expect(screen.getByTestId("profile-form-test")).toBeDisabled();
    expect(screen.getByTestId("profile-form-test-result")).toHaveTextContent("Testing…");

    pending.resolve(ok(report));
    await vi.waitFor(() =>
      expect(screen.getByTestId("profile-form-test-result")).toHaveTextContent(
        "Connected as ci-owner (kw_ctl_…0aWe) · role owner · project Staging (proj_staging)",
      ),
    );
    expect(screen.getByTestId("profile-form-test-result")).toHaveAttribute("data-outcome", "success");
    expect(updateProfile).not.toHaveBeenCalled();
  });

  it("tests a new profile with its typed token and no profile id", async () => {
    testProfileForm.mockResolvedValue(ok(report));
    const { user, field } = setup();
    await fillNew(user, field);
    await user.click(screen.getByTestId("profile-form-test"));

    expect(testProfileForm).toHaveBeenCalledExactlyOnceWith(expect.objectContaining({ token: TOKEN }), null);
  });

  it("shows why the connection failed", async () => {
    testProfileForm.mockResolvedValue(failure("The gateway refused the token (401).", "unauthorized"));
    const { user } = setup(staging);
    await user.click(screen.getByTestId("profile-form-test"));

    const result = await screen.findByTestId("profile-form-test-result");
    expect(result).toHaveTextContent("The gateway refused the token (401).");
    expect(result).toHaveAttribute("data-outcome", "error");
    expect(result).toHaveAttribute("role", "alert");
  });
});

// Issue #17: each platform's form speaks its words, from Rust's catalog.
describe("ProfileFormDialog per platform", () => {
  it("reads the catalog once and names every platform from it, marking those Keyward cannot use yet", async () => {
    platformCatalog.forget();
    setup();
    const options = await vi.waitFor(() => {
      const found = [...screen.getByLabelText("Platform").querySelectorAll("option")].map((o) => o.textContent);
      expect(found).toHaveLength(5);
      return found;
    });
    expect(options).toEqual([
      "Keyward gateway",
      "OpenAI",
      "Anthropic",
      "InferenceKey (saved only, not usable yet)",
      "Podstack (saved only, not usable yet)",
    ]);
    setup();
    expect(commands.platformCatalog).toHaveBeenCalledOnce();
  });

  it("labels the credential and the project in the platform's words, with its hint", async () => {
    const { user, field } = setup();
    await vi.waitFor(() => expect(screen.getByLabelText("Platform")).toHaveTextContent("OpenAI"));
    await user.selectOptions(field("kind"), "openai");

    expect(screen.getByLabelText("Admin key")).toBe(field("token"));
    expect(field("token")).toHaveAttribute("placeholder", "sk-admin-…");
    expect(screen.getByLabelText("Organisation")).toBe(field("project_id"));
    expect(field("project_id")).toHaveAccessibleDescription("Leave empty: Test connection fills it in from the admin key.");
    expect(field("kind")).not.toHaveAccessibleDescription(/cannot talk/);
  });

  it("moves the base URL to the platform's default unless one was typed", async () => {
    const { user, field } = setup();
    await vi.waitFor(() => expect(screen.getByLabelText("Platform")).toHaveTextContent("OpenAI"));
    expect(field("base_url")).toHaveValue("");

    await user.selectOptions(field("kind"), "openai");
    expect(field("base_url")).toHaveValue("https://api.openai.com/v1");
    await user.selectOptions(field("kind"), "anthropic");
    expect(field("base_url")).toHaveValue("https://api.anthropic.com/v1");
    // A platform without a default leaves the field for the person to type.
    await user.selectOptions(field("kind"), "keyward");
    expect(field("base_url")).toHaveValue("");

    await user.type(field("base_url"), "https://proxy.example.com/v1");
    await user.selectOptions(field("kind"), "openai");
    expect(field("base_url")).toHaveValue("https://proxy.example.com/v1");
  });

  it("tests an OpenAI profile before saving it and fills the organisation in from the admin key", async () => {
    testProfileForm.mockResolvedValue(ok({ ...report, base_url: "https://api.openai.com/v1", project_id: "org-abc" }));
    createProfile.mockResolvedValue(ok(storedProfile({ id: "prof_openai", kind: "openai" })));
    const { user, field } = setup();
    await vi.waitFor(() => expect(screen.getByLabelText("Platform")).toHaveTextContent("OpenAI"));
    await user.selectOptions(field("kind"), "openai");
    await user.type(field("name"), "OpenAI org");
    await user.type(field("token"), "sk-admin-abc");
    await user.click(screen.getByTestId("profile-form-save"));

    expect(testProfileForm).toHaveBeenCalledWith(
      expect.objectContaining({ kind: "openai", base_url: "https://api.openai.com/v1", project_id: "" }),
      null,
    );
    expect(createProfile).toHaveBeenCalledWith(expect.objectContaining({ kind: "openai", project_id: "org-abc" }));
  });
});

describe("ProfileFormDialog closing", () => {
  it("closes on Cancel and on Escape without a request", async () => {
    const { user, field, oncancel } = setup();
    await user.type(field("token"), TOKEN);
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    await user.click(field("name"));
    await user.keyboard("{Escape}");

    expect(oncancel).toHaveBeenCalledTimes(2);
    expect(createProfile).not.toHaveBeenCalled();
  });
});
