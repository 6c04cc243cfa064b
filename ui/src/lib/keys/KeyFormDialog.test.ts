// The key form: the form as typed is checked over IPC by Rust's rules (checkKeyForm,
// mocked here — the rules are tested in keyward-core key_draft.rs) before any request,
// each problem named under its field, a failed check said; the backend's field errors
// land under their field too; create sends the whole
// KeyForm (null models = all, "*" = whole project, labels, each expiry kind); edit
// starts from the key and keeps its expiry unless told otherwise; the dialog cannot be
// dismissed while a request is in flight; the project's workloads, read once, are
// offered as models and slugs without ever limiting what can be typed; a money budget
// (issue 18) is offered only where the platform keeps one.
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { commands, type Key, type KeyForm } from "$lib/bindings";
import { localTimeZone } from "$lib/format";
import KeyFormDialog from "./KeyFormDialog.svelte";
import {
  budgetingCapabilities,
  keywardCapabilities,
  OPENAI_SERVICE_ACCOUNT,
  openAiCapabilities,
  openAiLikeCapabilities,
  OPENROUTER_MONEY_ONLY,
  LITELLM_PER_MODEL,
  liteLlmCapabilities,
  gcoreCapabilities,
  GCORE_ATTACHED,
} from "$lib/capabilities/fixtures";
import { createdKeyView, deferred, failure, inferenceKey, ok, passingKeyCheck, workload, workloadRef } from "./fixtures";

vi.mock("$lib/bindings", () => ({
  commands: { checkKeyForm: vi.fn(), createKey: vi.fn(), updateKey: vi.fn(), listWorkloads: vi.fn() },
}));

const createKey = vi.mocked(commands.createKey);
const updateKey = vi.mocked(commands.updateKey);
const listWorkloads = vi.mocked(commands.listWorkloads);
const checkKeyForm = vi.mocked(commands.checkKeyForm);

const DEFAULTS: KeyForm = {
  name: "ci",
  description: "",
  rpm: null,
  tpm: null,
  token_limit: null,
  token_limit_period: null,
  allowed_models: null,
  workloads: "*",
  labels: {},
  expiry: { kind: "never" },
};

function setup(props: { mode?: "create" | "edit"; key?: Key } = {}) {
  const oncancel = vi.fn();
  const oncreated = vi.fn();
  const onsaved = vi.fn();
  render(KeyFormDialog, { mode: props.mode ?? "create", key: props.key, oncancel, oncreated, onsaved });
  const dialog = screen.getByTestId("key-form");
  return { user: userEvent.setup(), oncancel, oncreated, onsaved, dialog };
}

const byTestId = (id: string) => screen.getByTestId(id) as HTMLInputElement;
const chipInput = (id: string) => within(screen.getByTestId(id)).getByRole("combobox") as HTMLInputElement;
const chips = (id: string) =>
  within(screen.getByTestId(id)).queryAllByTestId("chip").map((chip) => chip.querySelector(".chip-text")?.textContent);

beforeEach(() => {
  createKey.mockReset();
  updateKey.mockReset();
  listWorkloads.mockReset();
  checkKeyForm.mockReset();
  checkKeyForm.mockImplementation(async (draft) => passingKeyCheck(draft));
  // The project's workloads are not in yet, so the chips take what is typed and the
  // form's own rules are what these tests see; the suggestion tests below load them.
  listWorkloads.mockReturnValue(new Promise(() => {}));
});

describe("KeyFormDialog validation", () => {
  it("sends the form as typed to Rust's check, and names each problem under its field", async () => {
    checkKeyForm.mockResolvedValue({
      problems: [
        { field: "name", message: "name is required and must not be blank." },
        { field: "rpm", message: "Enter a whole number, or leave it empty for no limit." },
        { field: "labels.team", message: "label \"team\" must have a value of at most 256 printable characters." },
        { field: "expires_at", message: "Enter a whole number of days from 1 to 3650." },
      ],
      form: null,
    });
    const { user } = setup();
    await user.type(byTestId("key-rpm"), "fast");
    await user.type(byTestId("key-token-limit"), "1 000");
    await user.click(byTestId("key-expiry-in-days"));
    await user.clear(byTestId("key-expiry-days"));
    await user.type(byTestId("key-expiry-days"), "4000");
    await user.click(screen.getByTestId("create-submit"));

    expect(checkKeyForm).toHaveBeenLastCalledWith(
      {
        name: "",
        description: "",
        rpm: "fast",
        tpm: "",
        token_limit: "1 000",
        token_limit_period: null,
        money_limit: "",
        money_reset: null,
        allowed_models: null,
        workloads: "*",
        labels: [],
        expiry: { kind: "in_days", days: "4000" },
        unreadable_scopes: [],
        project: null,
        // Capabilities unknown: every scope is offered, parallel and per-model limits too.
        max_parallel: "",
        model_limits: [],
      },
      true,
    );
    // API field names in the check's words become the form's labels.
    expect(await screen.findByTestId("key-name-error")).toHaveTextContent("Name is required and must not be blank.");
    expect(screen.getByTestId("field-error-rpm")).toHaveTextContent("Enter a whole number");
    expect(screen.getByTestId("field-error-labels")).toHaveTextContent("must have a value of at most 256");
    expect(screen.getByTestId("field-error-expires_at")).toHaveTextContent("from 1 to 3650");
    expect(byTestId("key-rpm")).toHaveAttribute("aria-invalid", "true");
    expect(byTestId("key-rpm")).toHaveAccessibleDescription("Enter a whole number, or leave it empty for no limit.");
    expect(byTestId("key-name")).toHaveFocus();
    expect(createKey).not.toHaveBeenCalled();
  });

  it("checks again as the form changes, and clears a fixed field's message", async () => {
    checkKeyForm.mockImplementation(async (draft) =>
      draft.rpm === "0"
        ? { problems: [{ field: "rpm", message: "Enter a number from 1 to 1,000,000,000,000, or leave it empty for no limit." }], form: null }
        : passingKeyCheck(draft),
    );
    const { user } = setup();
    await user.type(byTestId("key-name"), "ci");
    await user.type(byTestId("key-rpm"), "0");
    await user.click(screen.getByTestId("create-submit"));
    expect(await screen.findByTestId("field-error-rpm")).toBeInTheDocument();
    expect(byTestId("key-rpm")).toHaveFocus();

    await user.clear(byTestId("key-rpm"));
    await user.type(byTestId("key-rpm"), "60");
    await vi.waitFor(() => expect(screen.queryByTestId("field-error-rpm")).not.toBeInTheDocument());
    expect(createKey).not.toHaveBeenCalled();
  });

  it("says the check failed, and sends nothing, when the check itself rejects", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    checkKeyForm.mockRejectedValue(new Error("bridge down"));
    const { user } = setup();
    await user.type(byTestId("key-name"), "ci");
    await user.click(screen.getByTestId("create-submit"));

    expect(await screen.findByTestId("key-form-error")).toHaveTextContent("could not check the form");
    expect(createKey).not.toHaveBeenCalled();
    expect(screen.getByTestId("create-submit")).toBeEnabled();
  });
});

describe("KeyFormDialog create", () => {
  it("sends the defaults: all models, the whole project, no labels, never expires", async () => {
    const view = createdKeyView(inferenceKey({ name: "ci" }));
    createKey.mockResolvedValue(ok(view));
    const { user, oncreated, dialog } = setup();

    expect(dialog).toHaveAccessibleName("Create API key");
    expect(byTestId("key-name")).toHaveFocus();
    expect(screen.queryByTestId("key-expiry-keep")).not.toBeInTheDocument();
    await user.type(byTestId("key-name"), "  ci  {Enter}");

    expect(createKey).toHaveBeenCalledExactlyOnceWith(DEFAULTS);
    expect(oncreated).toHaveBeenCalledWith(view);
  });

  it("sends every scope as typed", async () => {
    createKey.mockResolvedValue(ok(createdKeyView()));
    const { user } = setup();
    await user.type(byTestId("key-name"), "billing-service");
    await user.type(byTestId("key-description"), "Invoices, prod");
    await user.type(byTestId("key-rpm"), "1,000");
    await user.type(byTestId("key-tpm"), "90000");
    await user.type(byTestId("key-token-limit"), "1 000 000");
    await user.selectOptions(byTestId("key-token-period"), "day");
    await user.type(chipInput("key-models"), "gpt-4o{Enter}llama-3.1-8b,mistral");
    await user.click(screen.getByLabelText("Only these workloads"));
    await user.type(chipInput("key-workloads"), "chat-prod{Enter}");
    await user.click(screen.getByTestId("label-add"));
    await user.type(screen.getByTestId("label-key"), "team");
    await user.type(screen.getByTestId("label-value"), "billing");
    await user.click(screen.getByRole("button", { name: "90 days" }));
    await user.click(screen.getByTestId("create-submit"));

    expect(createKey).toHaveBeenCalledExactlyOnceWith({
      name: "billing-service",
      description: "Invoices, prod",
      rpm: 1000,
      tpm: 90000,
      token_limit: 1_000_000,
      token_limit_period: "day",
      // "mistral" was still being typed when the field was left: it is kept.
      allowed_models: ["gpt-4o", "llama-3.1-8b", "mistral"],
      workloads: ["chat-prod"],
      labels: { team: "billing" },
      expiry: { kind: "in_days", days: 90 },
    });
  });

  it("sends an expiry date", async () => {
    createKey.mockResolvedValue(ok(createdKeyView()));
    const { user } = setup();
    await user.type(byTestId("key-name"), "ci");
    await fireEvent.focus(byTestId("key-expiry-date"));
    await fireEvent.input(byTestId("key-expiry-date"), { target: { value: "2099-01-31" } });
    expect(byTestId("key-expiry-on-date")).toBeChecked();
    await user.click(screen.getByTestId("create-submit"));

    // The start of that day where the user is, as every time on screen is local (issue
    // #15): Rust turns the day and the user's zone into that instant (key_draft.rs).
    expect(checkKeyForm).toHaveBeenLastCalledWith(
      expect.objectContaining({ expiry: { kind: "date", date: "2099-01-31", time_zone: localTimeZone() } }),
      true,
    );
    expect(createKey).toHaveBeenCalledWith({ ...DEFAULTS, expiry: { kind: "date", date: "2099-01-31" } });
  });

  it("sends a typed number of days, and drops a label row left empty", async () => {
    createKey.mockResolvedValue(ok(createdKeyView()));
    const { user } = setup();
    await user.type(byTestId("key-name"), "ci");
    await user.click(screen.getByTestId("label-add"));
    await user.click(byTestId("key-expiry-days"));
    expect(byTestId("key-expiry-in-days")).toBeChecked();
    await user.clear(byTestId("key-expiry-days"));
    await user.type(byTestId("key-expiry-days"), "14");
    await user.click(screen.getByTestId("create-submit"));

    expect(createKey).toHaveBeenCalledWith({ ...DEFAULTS, expiry: { kind: "in_days", days: 14 } });
  });

  it("adds chips on Enter and comma, removes them by button and Backspace, and never adds one twice", async () => {
    const { user } = setup();
    const input = chipInput("key-models");
    await user.type(input, "a{Enter}b,a,c{Enter}");
    expect(chips("key-models")).toEqual(["a", "b", "c"]);

    await user.click(screen.getByRole("button", { name: "Remove model b" }));
    expect(chips("key-models")).toEqual(["a", "c"]);
    expect(input).toHaveFocus();

    await user.keyboard("{Backspace}");
    expect(chips("key-models")).toEqual(["a"]);
    expect(createKey).not.toHaveBeenCalled();
  });

  it("labels every input", () => {
    setup();
    for (const label of ["Name", "Description (optional)", "Requests per minute", "Tokens per minute", "Token budget", "Budget period", "Allowed models", "Expiry date", "Days from now"]) {
      expect(screen.getByLabelText(label)).toBeInTheDocument();
    }
  });

  it("shows a server error about a field under that field", async () => {
    createKey.mockResolvedValue(failure("workloads entry “gone” does not exist.", "invalid_input", "workloads"));
    const { user, oncreated } = setup();
    await user.type(byTestId("key-name"), "ci");
    await user.click(byTestId("key-workloads-only"));
    await user.type(chipInput("key-workloads"), "gone{Enter}");
    await user.click(screen.getByTestId("create-submit"));

    expect(screen.getByTestId("field-error-workloads")).toHaveTextContent("Workloads entry “gone” does not exist.");
    expect(screen.queryByTestId("key-form-error")).not.toBeInTheDocument();
    expect(oncreated).not.toHaveBeenCalled();
  });

  // Issue #15: errors said "token_limit_period …" where the form says "Budget period".
  it("tells a server error in the form's words, under the field a path inside it belongs to", async () => {
    createKey.mockResolvedValueOnce(
      failure("token_limit_period must be one of minute, hour, day, week or month.", "invalid_input", "token_limit_period"),
    );
    createKey.mockResolvedValueOnce(failure("labels.team must be a string.", "invalid_input", "labels.team"));
    const { user } = setup();
    await user.type(byTestId("key-name"), "ci");
    await user.click(screen.getByTestId("create-submit"));
    expect(screen.getByTestId("field-error-token_limit_period")).toHaveTextContent(
      "Budget period must be one of minute, hour, day, week or month.",
    );

    await user.click(screen.getByTestId("create-submit"));
    expect(screen.getByTestId("field-error-labels")).toHaveTextContent("Labels (team) must be a string.");
    expect(screen.queryByTestId("key-form-error")).not.toBeInTheDocument();
  });

  it("shows a name conflict under the name, and any other error at the top", async () => {
    createKey.mockResolvedValueOnce(failure("A key named “ci” already exists.", "conflict", "name"));
    createKey.mockResolvedValueOnce(failure("The gateway is not reachable.", "unavailable"));
    const { user } = setup();
    await user.type(byTestId("key-name"), "ci{Enter}");

    expect(screen.getByTestId("key-name-error")).toHaveTextContent("A key named “ci” already exists.");
    await vi.waitFor(() => expect(byTestId("key-name")).toHaveFocus());

    await user.type(byTestId("key-name"), "-2{Enter}");
    expect(screen.queryByTestId("key-name-error")).not.toBeInTheDocument();
    expect(screen.getByTestId("key-form-error")).toHaveTextContent("The gateway is not reachable.");
  });

  it("is busy and cannot be dismissed while the request is in flight", async () => {
    const pending = deferred<Awaited<ReturnType<typeof commands.createKey>>>();
    createKey.mockReturnValue(pending.promise);
    const { user, oncancel, oncreated } = setup();
    await user.type(byTestId("key-name"), "ci{Enter}");

    const submit = screen.getByTestId("create-submit");
    expect(submit).toBeDisabled();
    expect(submit).toHaveTextContent("Creating…");
    expect(screen.getByRole("button", { name: "Cancel" })).toBeDisabled();
    await user.keyboard("{Escape}");
    expect(oncancel).not.toHaveBeenCalled();

    const view = createdKeyView();
    pending.resolve(ok(view));
    await vi.waitFor(() => expect(oncreated).toHaveBeenCalledWith(view));
    expect(createKey).toHaveBeenCalledTimes(1);
  });

  it("closes on Cancel and on Escape", async () => {
    const { user, oncancel } = setup();
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    await user.click(byTestId("key-name"));
    await user.keyboard("{Escape}");

    expect(oncancel).toHaveBeenCalledTimes(2);
    expect(createKey).not.toHaveBeenCalled();
  });
});

describe("KeyFormDialog edit", () => {
  const key = inferenceKey({
    id: "key_7",
    name: "billing-service",
    scopes: {
      description: "Invoices",
      rpm: 60,
      tpm: null,
      token_budget: { tokens: 1_000_000, period: "month" },
      models: ["gpt-4o"],
      workloads: ["chat-prod", "batch"],
      labels: { team: "billing" },
    },
    expires_at: "2030-06-01T00:00:00Z",
  });

  it("starts from the key and sends it back with the expiry kept", async () => {
    const updated = { ...key, scopes: { ...key.scopes, rpm: 120 } };
    updateKey.mockResolvedValue(ok(updated));
    const { user, onsaved, dialog } = setup({ mode: "edit", key });

    expect(dialog).toHaveAccessibleName("Edit “billing-service”");
    expect(byTestId("key-name")).toHaveValue("billing-service");
    expect(byTestId("key-description")).toHaveValue("Invoices");
    expect(byTestId("key-rpm")).toHaveValue("60");
    expect(byTestId("key-tpm")).toHaveValue("");
    expect(byTestId("key-token-limit")).toHaveValue("1000000");
    expect(byTestId("key-token-period")).toHaveValue("month");
    expect(chips("key-models")).toEqual(["gpt-4o"]);
    expect(byTestId("key-workloads-only")).toBeChecked();
    expect(chips("key-workloads")).toEqual(["chat-prod", "batch"]);
    expect(screen.getByTestId("label-key")).toHaveValue("team");
    expect(screen.getByTestId("label-value")).toHaveValue("billing");
    expect(byTestId("key-expiry-keep")).toBeChecked();
    expect(byTestId("key-expiry-keep").closest("label")).toHaveTextContent(/Keep current \(expires .*2030/);
    expect(screen.queryByTestId("create-submit")).not.toBeInTheDocument();

    await user.clear(byTestId("key-rpm"));
    await user.type(byTestId("key-rpm"), "120");
    await user.click(screen.getByTestId("key-form-save"));

    expect(updateKey).toHaveBeenCalledExactlyOnceWith("key_7", {
      name: "billing-service",
      description: "Invoices",
      rpm: 120,
      tpm: null,
      token_limit: 1_000_000,
      token_limit_period: "month",
      allowed_models: ["gpt-4o"],
      workloads: ["chat-prod", "batch"],
      labels: { team: "billing" },
      expiry: { kind: "keep" },
    });
    expect(onsaved).toHaveBeenCalledWith(updated);
  });

  it("turns an emptied model list into all models, and the whole project into \"*\"", async () => {
    updateKey.mockResolvedValue(ok(key));
    const { user } = setup({ mode: "edit", key });
    await user.click(screen.getByRole("button", { name: "Remove model gpt-4o" }));
    await user.click(byTestId("key-workloads-project"));
    await user.click(screen.getByTestId("label-remove"));
    await user.click(byTestId("key-expiry-never"));
    await user.click(screen.getByTestId("key-form-save"));

    expect(updateKey).toHaveBeenCalledWith(
      "key_7",
      expect.objectContaining({ allowed_models: null, workloads: "*", labels: {}, expiry: { kind: "never" } }),
    );
  });

  // Issue #15: an unreadable stored scope is reported as [] and enforced as nothing; the
  // form said "All models" and saving wrote null (all models) back — a widened scope.
  it("says an unreadable scope is enforced as nothing, and never sends it widened", async () => {
    const closed = inferenceKey({ id: "key_9", name: "odd", scopes: { models: [], workloads: [] }, unreadable_scopes: ["allowed_models", "workloads"] });
    updateKey.mockResolvedValue(ok(closed));
    const { user } = setup({ mode: "edit", key: closed });

    expect(screen.getByTestId("key-models-unreadable")).toHaveTextContent(
      "This key's model list could not be read; it is enforced as no models (fail closed).",
    );
    expect(screen.getByTestId("key-workloads-unreadable")).toHaveTextContent("enforced as no workloads");
    expect(chipInput("key-models")).toHaveAttribute("placeholder", "No models (could not be read)");
    await user.clear(byTestId("key-name"));
    await user.type(byTestId("key-name"), "renamed");
    await user.click(screen.getByTestId("key-form-save"));

    expect(updateKey).toHaveBeenCalledExactlyOnceWith(
      "key_9",
      expect.objectContaining({ name: "renamed", allowed_models: [], workloads: [] }),
    );
  });

  it("sends what is entered for an unreadable scope explicitly", async () => {
    const closed = inferenceKey({ id: "key_9", scopes: { models: [] }, unreadable_scopes: ["allowed_models"] });
    updateKey.mockResolvedValue(ok(closed));
    const { user } = setup({ mode: "edit", key: closed });
    await user.type(chipInput("key-models"), "gpt-4o{Enter}");
    await user.click(screen.getByTestId("key-form-save"));
    expect(updateKey).toHaveBeenCalledWith("key_9", expect.objectContaining({ allowed_models: ["gpt-4o"] }));
  });

  it("says a key without an expiry never expires, and shows Saving… while saving", async () => {
    const pending = deferred<Awaited<ReturnType<typeof commands.updateKey>>>();
    updateKey.mockReturnValue(pending.promise);
    const { user, onsaved } = setup({ mode: "edit", key: inferenceKey() });

    expect(byTestId("key-expiry-keep").closest("label")).toHaveTextContent("Keep current (never expires)");
    await user.click(screen.getByTestId("key-form-save"));
    expect(screen.getByTestId("key-form-save")).toHaveTextContent("Saving…");
    expect(screen.getByTestId("key-form-save")).toBeDisabled();

    pending.resolve(ok(inferenceKey()));
    await vi.waitFor(() => expect(onsaved).toHaveBeenCalled());
  });
});

describe("KeyFormDialog suggestions", () => {
  const project = [
    workload({ slug: "chat-prod", name: "Chat (prod)", model_name: "llama-3-8b" }),
    workload({ slug: "chat-staging", name: "Chat (staging)", model_name: "llama-3-8b" }),
    workload({ slug: "embed", name: "Embeddings", model_name: "bge-m3" }),
  ];
  // The open suggestion list (a closed one is hidden, so it has no role to find).
  const listbox = () => screen.getByRole("listbox");
  const options = () => {
    const open = screen.queryByRole("listbox");
    return open ? within(open).getAllByRole("option").map((option) => option.textContent?.replace(/\s+/g, " ").trim()) : [];
  };

  beforeEach(() => {
    listWorkloads.mockResolvedValue(ok(project.map((full) => workloadRef(full))));
  });

  it("offers the workloads' distinct models, and picking one with the keyboard adds a chip", async () => {
    createKey.mockResolvedValue(ok(createdKeyView()));
    const { user } = setup();
    await user.type(byTestId("key-name"), "ci");
    const models = chipInput("key-models");
    await user.click(models);

    expect(models).toHaveAttribute("aria-expanded", "true");
    expect(options()).toEqual(["bge-m3 Embeddings", "llama-3-8b Chat (prod), Chat (staging)"]);
    await user.type(models, "lla");
    expect(options()).toEqual(["llama-3-8b Chat (prod), Chat (staging)", "Add “lla” no workload serves it yet"]);

    await user.keyboard("{ArrowDown}");
    const option = within(listbox()).getByRole("option", { name: /llama-3-8b/ });
    expect(option).toHaveAttribute("aria-selected", "true");
    expect(models).toHaveAttribute("aria-activedescendant", option.id);
    await user.keyboard("{Enter}");

    expect(chips("key-models")).toEqual(["llama-3-8b"]);
    expect(models).toHaveValue("");
    expect(models).toHaveFocus();
    // A chosen model is not offered again.
    expect(options()).toEqual(["bge-m3 Embeddings"]);
    expect(screen.queryByTestId("key-models-unserved")).not.toBeInTheDocument();

    await user.click(screen.getByTestId("create-submit"));
    expect(createKey).toHaveBeenCalledWith({ ...DEFAULTS, allowed_models: ["llama-3-8b"] });
    expect(listWorkloads).toHaveBeenCalledOnce();
  });

  it("offers workload slugs with their names, and a click on one adds it", async () => {
    createKey.mockResolvedValue(ok(createdKeyView()));
    const { user } = setup();
    await user.type(byTestId("key-name"), "ci");
    await user.click(byTestId("key-workloads-only"));
    await user.type(chipInput("key-workloads"), "chat");

    expect(options()).toEqual(["chat-prod Chat (prod)", "chat-staging Chat (staging)"]);
    await user.click(within(listbox()).getByRole("option", { name: "chat-staging Chat (staging)" }));
    expect(chips("key-workloads")).toEqual(["chat-staging"]);
    expect(chipInput("key-workloads")).toHaveFocus();

    await user.click(screen.getByTestId("create-submit"));
    expect(createKey).toHaveBeenCalledWith({ ...DEFAULTS, workloads: ["chat-staging"] });
  });

  it("adds exactly a known model on Enter, and Escape closes the list, not the dialog", async () => {
    const { user, oncancel } = setup();
    const models = chipInput("key-models");
    await user.type(models, "bge");
    expect(options()).toEqual(["bge-m3 Embeddings", "Add “bge” no workload serves it yet"]);
    await user.keyboard("{Enter}");
    // Not a model of the project: it stays typed, and the field says why.
    expect(chips("key-models")).toEqual([]);
    expect(models).toHaveValue("bge");
    expect(screen.getByTestId("chip-refused")).toHaveTextContent("“bge” is not a model of this project.");
    await user.clear(models);
    await user.type(models, "bge-m3{Enter}");
    expect(chips("key-models")).toEqual(["bge-m3"]);

    await user.keyboard("{ArrowDown}{ArrowDown}{ArrowUp}");
    expect(within(listbox()).getByRole("option", { name: /llama-3-8b/ })).toHaveAttribute("aria-selected", "true");
    await user.keyboard("{Escape}");
    expect(models).toHaveAttribute("aria-expanded", "false");
    expect(screen.queryByRole("listbox")).not.toBeInTheDocument();
    expect(oncancel).not.toHaveBeenCalled();

    await user.keyboard("{Escape}");
    expect(oncancel).toHaveBeenCalledOnce();
  });

  it("names a model no workload serves only through the explicit Add option, marks it, and sends it", async () => {
    createKey.mockResolvedValue(ok(createdKeyView()));
    const { user } = setup();
    await user.type(byTestId("key-name"), "ci");
    await user.type(chipInput("key-models"), "mistral-7b");
    expect(options()).toEqual(["Add “mistral-7b” no workload serves it yet"]);
    await user.keyboard("{ArrowDown}{Enter}llama-3-8b{Enter}");

    const note = screen.getByTestId("key-models-unserved");
    expect(note).toHaveTextContent("No workload serves this model yet: mistral-7b.");
    expect(note).toHaveClass("field-hint");
    expect(chipInput("key-models")).toHaveAccessibleDescription(expect.stringContaining("No workload serves this model yet"));
    const [unknown, served] = within(screen.getByTestId("key-models")).getAllByTestId("chip");
    expect(unknown).toHaveAttribute("title", "No workload serves this model yet");
    expect(served).not.toHaveAttribute("title");
    expect(chipInput("key-models")).not.toHaveAttribute("aria-invalid");

    await user.click(screen.getByTestId("create-submit"));
    expect(screen.queryByTestId("field-error-allowed_models")).not.toBeInTheDocument();
    expect(createKey).toHaveBeenCalledWith({ ...DEFAULTS, allowed_models: ["mistral-7b", "llama-3-8b"] });

    await user.click(screen.getByRole("button", { name: "Remove model mistral-7b" }));
    expect(screen.queryByTestId("key-models-unserved")).not.toBeInTheDocument();
  });

  // Issue #15: "lla" + Enter made a chip for a workload that does not exist, the key saved, every call got 403.
  it("refuses a workload or model that does not exist: no chip, the field says why, nothing is saved", async () => {
    const { user } = setup();
    await user.type(byTestId("key-name"), "ci");
    await user.click(byTestId("key-workloads-only"));
    const workloads = chipInput("key-workloads");
    await user.type(workloads, "lla{Enter}");

    expect(chips("key-workloads")).toEqual([]);
    expect(workloads).toHaveValue("lla");
    expect(options()).toEqual([]);
    expect(screen.getByTestId("chip-refused")).toHaveTextContent("“lla” is not a workload of this project. Pick from the list (↓).");
    // Pasting a list keeps the known ones and leaves the rest to fix.
    await user.clear(workloads);
    await user.paste("chat-prod, nope, ");
    expect(chips("key-workloads")).toEqual(["chat-prod"]);
    expect(workloads).toHaveValue("nope");

    await user.type(chipInput("key-models"), "lla{Enter}");
    expect(chips("key-models")).toEqual([]);
    await user.click(screen.getByTestId("create-submit"));

    expect(screen.getByTestId("field-error-workloads")).toHaveTextContent("“nope” is not a workload of this project.");
    expect(screen.getByTestId("field-error-allowed_models")).toHaveTextContent(
      "“lla” is not a model of this project's workloads. Pick from the list, or choose “Add …” at its end to name it anyway.",
    );
    expect(createKey).not.toHaveBeenCalled();
  });

  it("keeps the form usable when the workloads cannot be read", async () => {
    listWorkloads.mockResolvedValue(failure("The gateway is not reachable.", "unavailable"));
    createKey.mockResolvedValue(ok(createdKeyView()));
    const { user } = setup();

    expect(await screen.findByTestId("key-suggestions-unavailable")).toHaveTextContent("Suggestions from the project's workloads are unavailable");
    await user.type(byTestId("key-name"), "ci");
    await user.type(chipInput("key-models"), "mistral-7b{Enter}");
    await user.click(byTestId("key-workloads-only"));
    await user.type(chipInput("key-workloads"), "chat-prod{Enter}");

    expect(screen.queryByRole("listbox")).not.toBeInTheDocument();
    // Nothing is known about the project, so nothing is said about the model.
    expect(screen.queryByTestId("key-models-unserved")).not.toBeInTheDocument();
    expect(screen.queryByTestId("key-form-error")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("create-submit"));
    expect(createKey).toHaveBeenCalledWith({ ...DEFAULTS, allowed_models: ["mistral-7b"], workloads: ["chat-prod"] });
  });

  it("says nothing about models while the workloads are still loading", async () => {
    const pending = deferred<Awaited<ReturnType<typeof commands.listWorkloads>>>();
    listWorkloads.mockReturnValue(pending.promise);
    const { user } = setup();
    await user.type(chipInput("key-models"), "mistral-7b{Enter}");
    expect(screen.queryByTestId("key-models-unserved")).not.toBeInTheDocument();
    expect(screen.queryByTestId("key-suggestions-unavailable")).not.toBeInTheDocument();

    pending.resolve(ok(project.map((full) => workloadRef(full))));
    expect(await screen.findByTestId("key-models-unserved")).toHaveTextContent("mistral-7b");
  });
});

describe("KeyFormDialog renders from the platform's capabilities (issue #16)", () => {
  const PER_PROJECT = "OpenAI limits requests and tokens per model for the whole project, not per key.";

  it("has an input only for the scopes the platform offers, and says each sentence of what it offers instead once", async () => {
    render(KeyFormDialog, { mode: "create", oncancel: vi.fn(), capabilities: openAiLikeCapabilities() });
    const dialog = screen.getByTestId("key-form");
    expect(within(dialog).getByTestId("key-name")).toBeInTheDocument();
    for (const id of ["key-rpm", "key-tpm", "key-token-limit", "key-description", "key-expiry-never", "label-add", "key-workloads-only"]) {
      expect(within(dialog).queryByTestId(id)).not.toBeInTheDocument();
    }
    const sentences = within(screen.getByTestId("key-form-not-offered")).getAllByRole("listitem").map((li) => li.textContent);
    expect(sentences.filter((s) => s === PER_PROJECT)).toHaveLength(1); // rpm, tpm and the budget share it
    expect(sentences).toContain("OpenAI keys have no labels.");
    expect(sentences).toContain("OpenAI allows or denies models per project, not per key.");
  });

  it("has every input but a money budget and LiteLLM's limits for the Keyward gateway, and says only what it offers instead", async () => {
    const capabilities = keywardCapabilities();
    render(KeyFormDialog, { mode: "create", oncancel: vi.fn(), capabilities });
    for (const id of ["key-rpm", "key-tpm", "key-token-limit", "key-description", "key-expiry-never", "label-add", "key-workloads-only"]) {
      expect(screen.getByTestId(id)).toBeInTheDocument();
    }
    expect(screen.queryByTestId("key-form-money-limit")).not.toBeInTheDocument();
    expect(screen.queryByTestId("key-form-money-reset")).not.toBeInTheDocument();
    const sentences = within(screen.getByTestId("key-form-not-offered")).getAllByRole("listitem").map((li) => li.textContent);
    expect(screen.queryByTestId("key-max-parallel")).not.toBeInTheDocument();
    expect(screen.queryByTestId("model-limit-add")).not.toBeInTheDocument();
    expect(sentences).toEqual([
      capabilities.scopes.money_budget.instead,
      capabilities.scopes.max_parallel.instead,
      capabilities.scopes.model_limits.instead,
    ]);
  });
});

// Issue #17: OpenAI makes a key as a service account in a project the person picks.
describe("KeyFormDialog on OpenAI", () => {
  const projects = [
    { id: "proj_billing", name: "Billing" },
    { id: "proj_search", name: "Search" },
  ];

  function openAi(props: { projects?: typeof projects | null; projectsError?: string | null } = {}) {
    const oncreated = vi.fn();
    render(KeyFormDialog, {
      mode: "create",
      oncancel: vi.fn(),
      oncreated,
      capabilities: openAiCapabilities(),
      platform: "openai",
      projects: props.projects === undefined ? projects : props.projects,
      projectsError: props.projectsError ?? null,
    });
    return { user: userEvent.setup(), oncreated };
  }

  it("says how OpenAI creates keys, at the top, and has inputs only for what it offers", () => {
    openAi();
    const dialog = screen.getByTestId("key-form");
    expect(within(dialog).getByTestId("key-form-create-how")).toHaveTextContent(OPENAI_SERVICE_ACCOUNT);
    expect(dialog.querySelector("form")?.firstElementChild).toBe(screen.getByTestId("key-form-create-how"));
    for (const id of ["key-rpm", "key-tpm", "key-token-limit", "key-form-money-limit", "key-description", "key-expiry-never", "label-add", "key-workloads-only", "key-models"]) {
      expect(within(dialog).queryByTestId(id)).not.toBeInTheDocument();
    }
    expect(within(dialog).getByTestId("key-name")).toBeInTheDocument();
    // Neither models nor workloads are offered, so the workloads are not asked for.
    expect(listWorkloads).not.toHaveBeenCalled();
  });

  it("requires a project, chosen from the profile's, and sends the one picked", async () => {
    createKey.mockResolvedValue(ok(createdKeyView()));
    const { user, oncreated } = openAi();
    const select = screen.getByTestId("key-form-project") as HTMLSelectElement;
    expect(select).toBeRequired();
    expect(select).toHaveValue("");
    expect([...select.options].map((o) => o.textContent)).toEqual([
      "Choose a project",
      "Billing (proj_billing)",
      "Search (proj_search)",
    ]);
    await user.type(screen.getByTestId("key-name"), "ci");
    await user.selectOptions(select, "proj_search");
    await user.click(screen.getByTestId("create-submit"));

    expect(checkKeyForm).toHaveBeenLastCalledWith(expect.objectContaining({ project: "proj_search" }), true);
    expect(createKey).toHaveBeenCalledExactlyOnceWith({ ...DEFAULTS, project: "proj_search" });
    expect(oncreated).toHaveBeenCalled();
  });

  it("puts Rust's refusal of a missing project under the Project select", async () => {
    const sentence = "Choose the OpenAI project the service account and its key belong to.";
    createKey.mockResolvedValue(failure(sentence, "invalid_input", "project"));
    const { user } = openAi();
    await user.type(screen.getByTestId("key-name"), "ci");
    await user.click(screen.getByTestId("create-submit"));

    expect(createKey).toHaveBeenCalledExactlyOnceWith(DEFAULTS);
    expect(await screen.findByTestId("field-error-project")).toHaveTextContent(sentence);
    expect(screen.getByTestId("key-form-project")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("key-form-project")).toHaveFocus();
    expect(screen.queryByTestId("key-form-error")).not.toBeInTheDocument();
  });

  it("says why the projects are missing when they could not be read", () => {
    openAi({ projects: null, projectsError: "OpenAI refused the admin key (401)." });
    expect(screen.getByTestId("key-form-project")).toHaveAccessibleDescription(
      "The projects could not be read: OpenAI refused the admin key (401).",
    );
  });

  it("asks for no project on a Keyward profile of one project, and for one where the token sees several", () => {
    const { unmount } = render(KeyFormDialog, {
      mode: "create",
      oncancel: vi.fn(),
      capabilities: keywardCapabilities(),
      platform: "keyward",
      projects: [{ id: "proj_local", name: "proj_local" }],
    });
    expect(screen.queryByTestId("key-form-project")).not.toBeInTheDocument();
    expect(screen.queryByTestId("key-form-create-how")).not.toBeInTheDocument();
    unmount();

    render(KeyFormDialog, { mode: "create", oncancel: vi.fn(), capabilities: keywardCapabilities(), platform: "keyward", projects });
    expect(screen.getByTestId("key-form-project")).toBeInTheDocument();
  });
});

// Issue 18: OpenRouter and LiteLLM budget a key in USD, reset by the platform; the
// amount goes to Rust as typed (key_draft.rs reads it exactly) and comes back as micros.
describe("KeyFormDialog money budget", () => {
  function budgeting(props: { mode?: "create" | "edit"; key?: Key } = {}) {
    const oncreated = vi.fn();
    const onsaved = vi.fn();
    render(KeyFormDialog, {
      mode: props.mode ?? "create",
      key: props.key,
      oncancel: vi.fn(),
      oncreated,
      onsaved,
      capabilities: budgetingCapabilities(),
      platform: "openrouter",
      projects: [{ id: "proj_or", name: "proj_or" }],
    });
    return { user: userEvent.setup(), oncreated, onsaved };
  }

  it("is offered with only the platform's resets, and the limits it lacks are said once", () => {
    budgeting();
    const limit = byTestId("key-form-money-limit");
    expect(limit).toHaveAccessibleName("Money budget (USD)");
    expect(limit).toHaveAttribute("name", "money_limit");
    expect(limit).toHaveAttribute("inputmode", "decimal");
    const reset = screen.getByTestId("key-form-money-reset") as HTMLSelectElement;
    expect(reset).toHaveAccessibleName("Resets");
    expect([...reset.options].map((o) => [o.value, o.textContent])).toEqual([
      ["", "Never (for the key's life)"],
      ["day", "Every day"],
      ["week", "Every week"],
      ["month", "Every month"],
    ]);
    for (const id of ["key-rpm", "key-tpm", "key-token-limit", "key-token-period"]) {
      expect(screen.queryByTestId(id)).not.toBeInTheDocument();
    }
    const sentences = within(screen.getByTestId("key-form-not-offered")).getAllByRole("listitem").map((li) => li.textContent);
    expect(sentences).toEqual([OPENROUTER_MONEY_ONLY]);
  });

  it("sends the amount as typed and the reset to Rust's check, and creates with the form Rust returns", async () => {
    checkKeyForm.mockImplementation(async (draft) => {
      const check = passingKeyCheck(draft);
      return draft.money_limit === "1,250.50"
        ? { ...check, form: { ...check.form!, money_budget: { micros: 1_250_500_000, reset: draft.money_reset ?? null } } }
        : check;
    });
    createKey.mockResolvedValue(ok(createdKeyView()));
    const { user, oncreated } = budgeting();
    // The account's one project is the key's without asking.
    expect(screen.queryByTestId("key-form-project")).not.toBeInTheDocument();
    await user.type(byTestId("key-name"), "ci");
    await user.type(byTestId("key-form-money-limit"), "1,250.50");
    await user.selectOptions(byTestId("key-form-money-reset"), "week");
    await user.click(screen.getByTestId("create-submit"));

    expect(checkKeyForm).toHaveBeenLastCalledWith(
      expect.objectContaining({ money_limit: "1,250.50", money_reset: "week" }),
      true,
    );
    expect(createKey).toHaveBeenCalledExactlyOnceWith({
      ...DEFAULTS,
      project: "proj_or",
      money_budget: { micros: 1_250_500_000, reset: "week" },
    });
    expect(oncreated).toHaveBeenCalled();
  });

  it("sends no reset for a budget for the key's life", async () => {
    const { user } = budgeting();
    await user.type(byTestId("key-name"), "ci");
    await user.type(byTestId("key-form-money-limit"), "50");
    await user.click(screen.getByTestId("create-submit"));

    expect(checkKeyForm).toHaveBeenLastCalledWith(expect.objectContaining({ money_limit: "50", money_reset: null }), true);
  });

  it("puts Rust's problems with the budget under its fields, in the form's words", async () => {
    checkKeyForm.mockResolvedValue({
      problems: [
        { field: "money_limit", message: "money_limit must be an amount in USD with at most 6 decimals, e.g. 12.50." },
        { field: "money_reset", message: "money_reset needs a money_limit; set an amount or choose Never." },
      ],
      form: null,
    });
    const { user } = budgeting();
    await user.type(byTestId("key-name"), "ci");
    await user.type(byTestId("key-form-money-limit"), "12.5.0");
    await user.selectOptions(byTestId("key-form-money-reset"), "day");
    await user.click(screen.getByTestId("create-submit"));

    expect(await screen.findByTestId("field-error-money_limit")).toHaveTextContent(
      "Money budget (USD) must be an amount in USD with at most 6 decimals, e.g. 12.50.",
    );
    expect(screen.getByTestId("field-error-money_reset")).toHaveTextContent(
      "Resets needs a Money budget (USD); set an amount or choose Never.",
    );
    expect(byTestId("key-form-money-limit")).toHaveAttribute("aria-invalid", "true");
    expect(byTestId("key-form-money-limit")).toHaveFocus();
    expect(byTestId("key-form-money-reset")).toHaveAttribute("aria-invalid", "true");
    expect(createKey).not.toHaveBeenCalled();
  });

  it("starts an edit from the key's budget as plain decimal text, and sends it back unchanged", async () => {
    updateKey.mockResolvedValue(ok(inferenceKey()));
    for (const [micros, text] of [
      [12_500_000, "12.50"],
      [1_000_000_000, "1000"],
      [7_600, "0.0076"],
      [1_234_560_000, "1234.56"],
    ] as const) {
      const key = inferenceKey({ name: "ci", scopes: { money_budget: { micros, currency: "USD", reset: "month" } } });
      const { unmount } = render(KeyFormDialog, { mode: "edit", key, oncancel: vi.fn(), capabilities: budgetingCapabilities() });
      expect(byTestId("key-form-money-limit")).toHaveValue(text);
      expect(byTestId("key-form-money-reset")).toHaveValue("month");
      unmount();
    }

    const key = inferenceKey({ name: "ci", scopes: { money_budget: { micros: 12500000, currency: "USD", reset: null } } });
    const { user, onsaved } = budgeting({ mode: "edit", key });
    expect(byTestId("key-form-money-reset")).toHaveValue("");
    await user.click(screen.getByTestId("key-form-save"));

    expect(checkKeyForm).toHaveBeenLastCalledWith(expect.objectContaining({ money_limit: "12.50", money_reset: null }), false);
    expect(onsaved).toHaveBeenCalled();
  });
});

// Issue #18: LiteLLM limits requests in flight and each model's traffic on a key.
describe("KeyFormDialog on LiteLLM: parallel requests and per-model limits", () => {
  function liteLlm(props: { mode?: "create" | "edit"; key?: Key } = {}) {
    const oncreated = vi.fn();
    const onsaved = vi.fn();
    render(KeyFormDialog, {
      mode: props.mode ?? "create",
      key: props.key,
      oncancel: vi.fn(),
      oncreated,
      onsaved,
      capabilities: liteLlmCapabilities(),
      platform: "litellm",
      projects: [{ id: "proxy", name: "proxy" }],
    });
    return { user: userEvent.setup(), oncreated, onsaved };
  }
  const cells = (testid: string) => screen.getAllByTestId(testid) as HTMLInputElement[];

  it("is a keyboard-driven table: add focuses the new row's model, each cell is labelled by its row, remove drops that row", async () => {
    const { user } = liteLlm();
    expect(screen.getByTestId("key-max-parallel")).toBeInTheDocument();
    expect(screen.queryByTestId("model-limits-table")).not.toBeInTheDocument();
    expect(screen.getByTestId("key-form-not-offered")).not.toHaveTextContent(LITELLM_PER_MODEL);

    await user.click(screen.getByTestId("model-limit-add"));
    expect(cells("model-limit-model")[0]).toHaveFocus();
    await user.keyboard("gpt-4o");
    await user.tab();
    expect(cells("model-limit-rpm")[0]).toHaveFocus();
    expect(cells("model-limit-rpm")[0]).toHaveAccessibleName("Requests/min, row 1");
    await user.keyboard("60");
    await user.click(screen.getByTestId("model-limit-add"));
    await user.keyboard("claude");
    expect(screen.getAllByTestId("model-limit-row")).toHaveLength(2);
    expect(screen.getAllByRole("columnheader").map((th) => th.textContent)).toEqual([
      "Model",
      "Requests/min",
      "Tokens/min",
      "Budget (USD)",
      "Resets",
      "Remove",
    ]);

    const remove = screen.getAllByTestId("model-limit-remove")[0]!;
    expect(remove).toHaveAccessibleName("Remove the limits of row 1 (gpt-4o)");
    remove.focus();
    await user.keyboard("{Enter}");
    expect(cells("model-limit-model").map((input) => input.value)).toEqual(["claude"]);
    expect(cells("model-limit-model")[0]).toHaveFocus();
  });

  it("sends every row as typed to Rust's check and creates with the form Rust returns", async () => {
    checkKeyForm.mockImplementation(async (draft) => {
      const check = passingKeyCheck(draft);
      return {
        ...check,
        form: {
          ...check.form!,
          traffic_limits: {
            max_parallel: 4,
            per_model: [{ model: "gpt-4o", rpm: 60, tpm: null, money_budget: { micros: 2_500_000, reset: "week" } }],
          },
        },
      };
    });
    createKey.mockResolvedValue(ok(createdKeyView()));
    const { user, oncreated } = liteLlm();
    await user.type(screen.getByTestId("key-name"), "per-model");
    await user.type(screen.getByTestId("key-max-parallel"), "4");
    await user.click(screen.getByTestId("model-limit-add"));
    await user.type(cells("model-limit-model")[0]!, "gpt-4o");
    await user.type(cells("model-limit-rpm")[0]!, "60");
    await user.type(cells("model-limit-budget")[0]!, "2.50");
    await user.selectOptions(screen.getByTestId("model-limit-period"), "week");
    await user.click(screen.getByTestId("create-submit"));

    const [draft, creating] = checkKeyForm.mock.lastCall!;
    expect(creating).toBe(true);
    expect(draft.max_parallel).toBe("4");
    expect(draft.model_limits).toEqual([{ model: "gpt-4o", rpm: "60", tpm: "", budget: "2.50", period: "week" }]);
    await vi.waitFor(() => expect(oncreated).toHaveBeenCalledOnce());
    expect(createKey.mock.lastCall![0].traffic_limits).toEqual({
      max_parallel: 4,
      per_model: [{ model: "gpt-4o", rpm: 60, tpm: null, money_budget: { micros: 2_500_000, reset: "week" } }],
    });
  });

  it("lists each row's problems under that row, naming the cell, and focuses the first bad cell", async () => {
    checkKeyForm.mockResolvedValue({
      problems: [
        { field: "max_parallel", message: "Parallel requests must be a whole number from 1 to 1000000, or empty for no limit." },
        { field: "model_limits.1.tpm", message: "Enter a whole number, or leave it empty for no limit." },
        { field: "model_limits.1.model", message: "“gpt-4o” has limits twice: keep one row per model." },
      ],
      form: null,
    });
    const { user } = liteLlm();
    await user.type(screen.getByTestId("key-name"), "ci");
    for (const tpm of ["", "lots"]) {
      await user.click(screen.getByTestId("model-limit-add"));
      await user.keyboard("gpt-4o");
      if (tpm) await user.type(cells("model-limit-tpm").at(-1)!, tpm);
    }
    await user.click(screen.getByTestId("create-submit"));

    const problems = await screen.findAllByTestId("model-limit-problems");
    expect(problems).toHaveLength(1);
    expect([...problems[0]!.querySelectorAll("li")].map((li) => li.textContent)).toEqual([
      "Model: “gpt-4o” has limits twice: keep one row per model.",
      "Tokens/min: Enter a whole number, or leave it empty for no limit.",
    ]);
    expect(cells("model-limit-tpm")[1]).toHaveAttribute("aria-invalid", "true");
    expect(cells("model-limit-tpm")[0]).not.toHaveAttribute("aria-invalid");
    expect(cells("model-limit-tpm")[1]).toHaveAccessibleDescription(expect.stringContaining("Tokens/min: Enter a whole number"));
    expect(screen.getByTestId("field-error-max_parallel")).toHaveTextContent("Parallel requests must be a whole number");
    expect(screen.getByTestId("field-error-model_limits")).toHaveTextContent("2 per-model limits need fixing");
    expect(screen.getByTestId("key-max-parallel")).toHaveFocus();
    expect(createKey).not.toHaveBeenCalled();
  });

  it("opens an edit with the key's limits, money as typed, and sends them back unchanged", async () => {
    updateKey.mockResolvedValue(ok(inferenceKey()));
    const key = inferenceKey({
      scopes: {
        max_parallel: 7,
        model_limits: [
          { model: "gpt-4o", rpm: 10, tpm: null, money_budget: { micros: 12_500_000, currency: "USD", reset: "month" } },
          { model: "claude", rpm: null, tpm: 5000, money_budget: null },
        ],
      },
    });
    const { user } = liteLlm({ mode: "edit", key });
    expect((screen.getByTestId("key-max-parallel") as HTMLInputElement).value).toBe("7");
    expect(cells("model-limit-model").map((i) => i.value)).toEqual(["gpt-4o", "claude"]);
    expect(cells("model-limit-budget").map((i) => i.value)).toEqual(["12.50", ""]);
    expect((screen.getAllByTestId("model-limit-period") as HTMLSelectElement[]).map((s) => s.value)).toEqual(["month", ""]);
    await user.click(screen.getByTestId("key-form-save"));
    const [draft] = checkKeyForm.mock.lastCall!;
    expect(draft.max_parallel).toBe("7");
    expect(draft.model_limits).toEqual([
      { model: "gpt-4o", rpm: "10", tpm: "", budget: "12.50", period: "month" },
      { model: "claude", rpm: "", tpm: "5000", budget: "", period: null },
    ]);
  });

  it("sends neither where the platform has no such limits, so the key keeps what it has", async () => {
    createKey.mockResolvedValue(ok(createdKeyView()));
    render(KeyFormDialog, { mode: "create", oncancel: vi.fn(), capabilities: budgetingCapabilities() });
    const user = userEvent.setup();
    expect(screen.queryByTestId("key-max-parallel")).not.toBeInTheDocument();
    expect(screen.queryByTestId("model-limit-add")).not.toBeInTheDocument();
    await user.type(screen.getByTestId("key-name"), "ci");
    await user.click(screen.getByTestId("create-submit"));
    const [draft] = checkKeyForm.mock.lastCall!;
    expect(draft.max_parallel).toBeNull();
    expect(draft.model_limits).toBeNull();
  });
});

// Issue #19: a Gcore key calls only the deployments it is attached to.
describe("KeyFormDialog where keys call only what they are attached to (Gcore)", () => {
  it("offers None yet instead of Whole project, with the platform's sentence", async () => {
    render(KeyFormDialog, { mode: "create", oncancel: vi.fn(), oncreated: vi.fn(), onsaved: vi.fn(), capabilities: gcoreCapabilities() });
    const none = screen.getByTestId("key-workloads-project");
    expect(none.closest("label")).toHaveTextContent("None yet (attach later)");
    expect(screen.getByTestId("key-form")).not.toHaveTextContent("Whole project");
    expect(screen.getByTestId("key-form")).toHaveTextContent(GCORE_ATTACHED);
  });

  it("opens a key attached to nothing as None yet, so a description edit is not refused", () => {
    const bare = inferenceKey({ id: "ci-runner", name: "ci-runner", scopes: { workloads: [] } });
    render(KeyFormDialog, { mode: "edit", key: bare, oncancel: vi.fn(), oncreated: vi.fn(), onsaved: vi.fn(), capabilities: gcoreCapabilities() });
    expect(screen.getByTestId("key-workloads-project")).toBeChecked();
  });
});
