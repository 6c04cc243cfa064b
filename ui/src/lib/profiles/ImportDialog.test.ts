// Import: each source is scanned by Rust, candidates show masked and are confirmed
// field by field (a missing base URL must be filled in before anything is sent), each
// candidate succeeds or fails on its own and the summary says which, and every way of
// closing the dialog tells Rust to drop the tokens it holds.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { commands, type ImportCandidateView, type ProfileForm } from "$lib/bindings";
import { deferred, failure, ok } from "$lib/keys/fixtures";
import { catalogFixture, storedProfile } from "./fixtures";
import ImportDialog from "./ImportDialog.svelte";

vi.mock("$lib/bindings", () => ({
  commands: { scanImport: vi.fn(), importProfiles: vi.fn(), discardImport: vi.fn(), checkProfileForm: vi.fn(), platformCatalog: vi.fn() },
}));

const scanImport = vi.mocked(commands.scanImport);
const importProfiles = vi.mocked(commands.importProfiles);
const checkProfileForm = vi.mocked(commands.checkProfileForm);

/** Rust's answers for these candidates (the rules are tested in keyward-core profiles.rs). */
async function profileCheck(form: ProfileForm) {
  const found = [];
  if (form.base_url.trim() === "") found.push({ field: "base_url", message: "The base URL must be an http:// or https:// URL, e.g. https://gateway.example.com." });
  if (form.project_id.trim() === "" && form.kind !== "keyward") found.push({ field: "project_id", message: "The project ID is required: up to 128 characters, no '/'." });
  return found;
}
const discardImport = vi.mocked(commands.discardImport);

const inferencekey: ImportCandidateView = {
  id: "imp_1",
  source: "environment",
  name: "InferenceKey (vision)",
  kind: "inferencekey",
  base_url: "https://ik.example.com",
  project_id: "vision",
  masked: "ik_sdk_…1234",
  refusal: null,
};
const podstack: ImportCandidateView = {
  id: "imp_2",
  source: "environment",
  name: "Podstack (llm)",
  kind: "podstack",
  base_url: null,
  project_id: "llm",
  masked: "ps_tok_…7654",
  refusal: null,
};

function candidate(id: string): HTMLElement {
  const found = screen.getAllByTestId("import-candidate").find((li) => li.dataset.candidateId === id);
  if (!found) throw new Error(`no candidate ${id}`);
  return found;
}

function input(id: string, name: string): HTMLInputElement {
  return candidate(id).querySelector<HTMLInputElement>(`[name="${name}"]`)!;
}

function setup() {
  const onclose = vi.fn();
  const onimported = vi.fn();
  const result = render(ImportDialog, { onclose, onimported });
  return { ...result, onclose, onimported, user: userEvent.setup() };
}

async function scanned(found: ImportCandidateView[] = [inferencekey, podstack]) {
  scanImport.mockResolvedValue(ok(found));
  const context = setup();
  await context.user.click(screen.getByTestId("import-source-environment"));
  if (found.length) await screen.findAllByTestId("import-candidate");
  return context;
}

beforeEach(() => {
  for (const command of Object.values(commands)) vi.mocked(command).mockReset();
  discardImport.mockResolvedValue(ok(null));
  checkProfileForm.mockImplementation(profileCheck);
  vi.mocked(commands.platformCatalog).mockResolvedValue(catalogFixture());
});

describe("ImportDialog scanning", () => {
  it("gives focus back to the source button it disabled while scanning", async () => {
    const pending = deferred<Awaited<ReturnType<typeof commands.scanImport>>>();
    scanImport.mockReturnValue(pending.promise);
    const { user } = setup();
    const button = screen.getByTestId("import-source-environment");
    await user.click(button);
    expect(button).toBeDisabled();
    // WebKit moves focus off a control that becomes disabled, to <body>; jsdom does
    // not, so focus lands there the way it would after a removed element.
    const elsewhere = document.createElement("input");
    document.body.append(elsewhere);
    elsewhere.focus();
    elsewhere.remove();
    expect(document.body).toHaveFocus();
    pending.resolve(ok([inferencekey]));
    await screen.findAllByTestId("import-candidate");
    await vi.waitFor(() => expect(button).toHaveFocus());
  });

  it("offers the four sources and scans the one chosen", async () => {
    const pending = deferred<Awaited<ReturnType<typeof commands.scanImport>>>();
    scanImport.mockReturnValue(pending.promise);
    const { user } = setup();

    expect(
      ["environment", "dotenv_file", "podstack_credentials", "ini_file"].map(
        (s) => screen.getByTestId(`import-source-${s}`).textContent?.trim(),
      ),
    ).toEqual(["Environment variables", ".env file…", "~/.podstack/credentials", "Other INI file…"]);
    await user.click(screen.getByTestId("import-source-podstack_credentials"));

    expect(scanImport).toHaveBeenCalledExactlyOnceWith("podstack_credentials");
    expect(screen.getByTestId("import-scanning")).toHaveTextContent("Looking in ~/.podstack/credentials…");
    expect(screen.getByTestId("import-source-environment")).toBeDisabled();
    pending.resolve(ok([]));
    expect(await screen.findByTestId("import-empty")).toHaveTextContent("~/.podstack/credentials has no section with an api_token");
  });

  it("shows each candidate's source and masked token, pre-filled and selected", async () => {
    await scanned();

    const ik = within(candidate("imp_1"));
    expect(candidate("imp_1")).toHaveTextContent("environment");
    expect(ik.getByTestId("import-candidate-token")).toHaveTextContent("ik_sdk_…1234");
    expect(ik.getByTestId("import-candidate-select")).toBeChecked();
    expect(input("imp_1", "name")).toHaveValue("InferenceKey (vision)");
    expect(input("imp_1", "kind")).toHaveValue("inferencekey");
    expect(input("imp_1", "base_url")).toHaveValue("https://ik.example.com");
    expect(input("imp_1", "project_id")).toHaveValue("vision");
    expect(input("imp_2", "base_url")).toHaveValue("");
  });

  it("names the variables it looked for when the environment has none", async () => {
    await scanned([]);

    const empty = screen.getByTestId("import-empty");
    expect(empty).toHaveTextContent("Nothing found");
    for (const variable of [
      "INFERENCEKEY_BASE_URL",
      "INFERENCEKEY_PROJECT",
      "INFERENCEKEY_SDK_TOKEN",
      "PODSTACK_API_TOKEN",
      "PODSTACK_PROJECT",
    ]) {
      expect(empty).toHaveTextContent(variable);
    }
    expect(screen.queryByTestId("import-submit")).not.toBeInTheDocument();
  });

  it("keeps what it showed when the file dialog is cancelled", async () => {
    const { user } = await scanned();
    scanImport.mockResolvedValue(ok(null));
    await user.click(screen.getByTestId("import-source-dotenv_file"));

    expect(scanImport).toHaveBeenLastCalledWith("dotenv_file");
    expect(screen.getAllByTestId("import-candidate")).toHaveLength(2);
    expect(screen.queryByTestId("import-empty")).not.toBeInTheDocument();
    expect(screen.queryByTestId("import-error")).not.toBeInTheDocument();
  });

  it("shows why a source could not be read", async () => {
    scanImport.mockResolvedValue(failure("There is no ~/.podstack/credentials.", "not_found"));
    const { user } = setup();
    await user.click(screen.getByTestId("import-source-podstack_credentials"));

    expect(await screen.findByTestId("import-error")).toHaveTextContent("There is no ~/.podstack/credentials.");
  });
});

describe("ImportDialog choosing", () => {
  it("requires a base URL for a selected candidate, inline, before any request", async () => {
    const { user } = await scanned();
    await user.click(screen.getByTestId("import-submit"));

    expect(checkProfileForm).toHaveBeenCalledWith(
      { name: "Podstack (llm)", kind: "podstack", base_url: "", project_id: "llm", notes: "", token: null },
      false,
    );
    const error = within(candidate("imp_2")).getByTestId("field-error-base_url");
    expect(error).toHaveTextContent("The base URL must be an http:// or https:// URL");
    expect(input("imp_2", "base_url")).toHaveAttribute("aria-invalid", "true");
    expect(input("imp_2", "base_url")).toHaveFocus();
    expect(within(candidate("imp_1")).queryByTestId("field-error-base_url")).not.toBeInTheDocument();
    expect(importProfiles).not.toHaveBeenCalled();

    await user.type(input("imp_2", "base_url"), "https://api.podstack.example");
    await vi.waitFor(() => expect(within(candidate("imp_2")).queryByTestId("field-error-base_url")).not.toBeInTheDocument());
  });

  it("sends only the selected candidates, with the settings as edited", async () => {
    importProfiles.mockResolvedValue(ok({ created: [storedProfile({ id: "p1", name: "Vision" })], failed: [] }));
    const { user, onimported } = await scanned();

    await user.click(within(candidate("imp_2")).getByTestId("import-candidate-select"));
    expect(input("imp_2", "base_url")).toBeDisabled();
    await user.clear(input("imp_1", "name"));
    await user.type(input("imp_1", "name"), "Vision");
    await user.selectOptions(input("imp_1", "kind"), "keyward");
    expect(screen.getByTestId("import-submit")).toHaveTextContent("Import selected (1)");
    await user.click(screen.getByTestId("import-submit"));

    expect(importProfiles).toHaveBeenCalledExactlyOnceWith([
      { candidate_id: "imp_1", name: "Vision", kind: "keyward", base_url: "https://ik.example.com", project_id: "vision" },
    ]);
    expect(onimported).toHaveBeenCalledWith([expect.objectContaining({ id: "p1" })]);
  });

  // Issue #15: a Keyward token names its project, so import (like Add profile) leaves
  // an empty project ID to Rust, which reads it from the token; other platforms need it.
  it("lets a Keyward candidate's project ID be empty, to be read from its token", async () => {
    importProfiles.mockResolvedValue(ok({ created: [storedProfile({ id: "p1" })], failed: [] }));
    const { user } = await scanned([{ ...inferencekey, project_id: null }]);
    await user.click(screen.getByTestId("import-submit"));
    expect(within(candidate("imp_1")).getByTestId("field-error-project_id")).toHaveTextContent("The project ID is required");
    expect(importProfiles).not.toHaveBeenCalled();

    await user.selectOptions(input("imp_1", "kind"), "keyward");
    expect(await within(candidate("imp_1")).findByText("Leave empty to use the control token's project.")).toHaveClass("field-hint");
    expect(input("imp_1", "project_id")).toHaveAccessibleDescription("Leave empty to use the control token's project.");
    await user.click(screen.getByTestId("import-submit"));
    expect(importProfiles).toHaveBeenCalledExactlyOnceWith([
      { candidate_id: "imp_1", name: "InferenceKey (vision)", kind: "keyward", base_url: "https://ik.example.com", project_id: "" },
    ]);
  });

  it("asks for at least one candidate", async () => {
    const { user } = await scanned([inferencekey]);
    await user.click(within(candidate("imp_1")).getByTestId("import-candidate-select"));
    await user.click(screen.getByTestId("import-submit"));

    expect(screen.getByTestId("import-form-error")).toHaveTextContent("Choose at least one profile to import.");
    expect(importProfiles).not.toHaveBeenCalled();
  });

  it("reports what was created and what failed and why, keeping the failed ones to retry", async () => {
    importProfiles.mockResolvedValue(
      ok({
        created: [storedProfile({ id: "p1", name: "InferenceKey (vision)", kind: "inferencekey" })],
        failed: [
          {
            candidate_id: "imp_2",
            name: "Podstack (llm)",
            error: { code: "invalid_input", message: "Another profile already has this name.", field: "name" },
          },
        ],
      }),
    );
    const { user, onimported } = await scanned();
    await user.type(input("imp_2", "base_url"), "https://api.podstack.example");
    await user.click(screen.getByTestId("import-submit"));

    const summary = await screen.findByTestId("import-summary");
    expect(within(summary).getAllByTestId("import-created").map((li) => li.textContent)).toEqual(["InferenceKey (vision)"]);
    expect(within(summary).getByTestId("import-failed")).toHaveTextContent(
      "Podstack (llm): Another profile already has this name.",
    );
    expect(onimported).toHaveBeenCalledOnce();
    // The created one is gone; the failed one stays, its error under the field it is about.
    expect(screen.getAllByTestId("import-candidate").map((li) => li.dataset.candidateId)).toEqual(["imp_2"]);
    expect(within(candidate("imp_2")).getByTestId("field-error-name")).toHaveTextContent(
      "Another profile already has this name.",
    );
  });

  it("is busy and cannot be closed while importing", async () => {
    const pending = deferred<Awaited<ReturnType<typeof commands.importProfiles>>>();
    importProfiles.mockReturnValue(pending.promise);
    const { user, onclose } = await scanned([inferencekey]);
    await user.click(screen.getByTestId("import-submit"));

    expect(screen.getByTestId("import-submit")).toHaveTextContent("Importing…");
    expect(screen.getByTestId("import-submit")).toBeDisabled();
    await user.keyboard("{Escape}");
    expect(onclose).not.toHaveBeenCalled();
    pending.resolve(ok({ created: [], failed: [] }));
  });
});

describe("ImportDialog closing", () => {
  it("Close asks the owner to close, and the dialog going away discards the held tokens", async () => {
    const { user, onclose, unmount } = await scanned();
    await user.click(screen.getByTestId("import-close"));
    expect(onclose).toHaveBeenCalledOnce();

    expect(discardImport).not.toHaveBeenCalled();
    unmount();
    expect(discardImport).toHaveBeenCalledOnce();
  });

  it("Escape asks the owner to close too", async () => {
    const { user, onclose } = await scanned([]);
    await user.keyboard("{Escape}");
    expect(onclose).toHaveBeenCalledOnce();
  });
});

describe("ImportDialog checking", () => {
  it("says the check failed, and imports nothing, when the check itself rejects", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    checkProfileForm.mockRejectedValue(new Error("bridge down"));
    const { user } = await scanned([inferencekey]);
    await user.click(screen.getByTestId("import-submit"));

    expect(await screen.findByTestId("import-form-error")).toHaveTextContent("could not check the form");
    expect(importProfiles).not.toHaveBeenCalled();
  });
});
