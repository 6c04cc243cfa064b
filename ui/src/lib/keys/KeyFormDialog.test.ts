// The key form: every field is checked before any request and its problem named under
// it; the backend's field errors land under their field too; create sends the whole
// KeyForm (null models = all, "*" = whole project, labels, each expiry kind); edit
// starts from the key and keeps its expiry unless told otherwise; the dialog cannot be
// dismissed while a request is in flight; the project's workloads, read once, are
// offered as models and slugs without ever limiting what can be typed.
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { commands, type InferenceKey, type KeyForm } from "$lib/bindings";
import KeyFormDialog from "./KeyFormDialog.svelte";
import { createdKeyView, deferred, failure, inferenceKey, ok, workload } from "./fixtures";

vi.mock("$lib/bindings", () => ({ commands: { createKey: vi.fn(), updateKey: vi.fn(), listWorkloads: vi.fn() } }));

const createKey = vi.mocked(commands.createKey);
const updateKey = vi.mocked(commands.updateKey);
const listWorkloads = vi.mocked(commands.listWorkloads);

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

function setup(props: { mode?: "create" | "edit"; key?: InferenceKey } = {}) {
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
  listWorkloads.mockResolvedValue(ok({ workloads: [] }));
});

describe("KeyFormDialog validation", () => {
  it("names every field in trouble, under the field, before any request", async () => {
    const { user } = setup();
    await user.click(byTestId("key-description"));
    await user.paste("d".repeat(1001));
    await user.type(byTestId("key-rpm"), "fast");
    await user.type(byTestId("key-tpm"), "0");
    await user.type(byTestId("key-token-limit"), "5000");
    await user.type(chipInput("key-models"), `${"m".repeat(201)}{Enter}`);
    await user.click(byTestId("key-workloads-only"));
    await user.type(chipInput("key-workloads"), "Chat_Prod{Enter}");
    await user.click(screen.getByTestId("label-add"));
    await user.type(screen.getByTestId("label-value"), "billing");
    await user.click(byTestId("key-expiry-in-days"));
    await user.clear(byTestId("key-expiry-days"));
    await user.type(byTestId("key-expiry-days"), "4000");
    await user.click(screen.getByTestId("create-submit"));

    expect(screen.getByTestId("key-name-error")).toHaveTextContent("Name is required.");
    expect(screen.getByTestId("field-error-description")).toHaveTextContent("at most 1000 characters");
    expect(screen.getByTestId("field-error-rpm")).toHaveTextContent("Enter a whole number");
    expect(screen.getByTestId("field-error-tpm")).toHaveTextContent("from 1 to 1,000,000,000,000");
    expect(screen.getByTestId("field-error-token_limit_period")).toHaveTextContent("Choose the period");
    expect(screen.getByTestId("field-error-allowed_models")).toHaveTextContent("at most 200 characters");
    expect(screen.getByTestId("field-error-workloads")).toHaveTextContent("“Chat_Prod” is not a workload slug");
    expect(screen.getByTestId("field-error-labels")).toHaveTextContent("Every label needs a name.");
    expect(screen.getByTestId("field-error-expires_at")).toHaveTextContent("from 1 to 3650");
    expect(byTestId("key-rpm")).toHaveAttribute("aria-invalid", "true");
    expect(byTestId("key-rpm")).toHaveAccessibleDescription("Enter a whole number, or leave it empty for no limit.");
    expect(byTestId("key-name")).toHaveFocus();
    expect(createKey).not.toHaveBeenCalled();
  });

  it("wants a budget with a period, and a period with a budget", async () => {
    const { user } = setup();
    await user.type(byTestId("key-name"), "ci");
    await user.selectOptions(byTestId("key-token-period"), "day");
    await user.click(screen.getByTestId("create-submit"));

    expect(screen.getByTestId("field-error-token_limit")).toHaveTextContent("Enter the token budget");
    expect(byTestId("key-token-limit")).toHaveFocus();
    expect(createKey).not.toHaveBeenCalled();
  });

  it("refuses an expiry date that has passed, and a name with control characters", async () => {
    const { user } = setup();
    await user.click(byTestId("key-name"));
    await user.paste("ci\u0007");
    await user.click(byTestId("key-expiry-on-date"));
    await fireEvent.input(byTestId("key-expiry-date"), { target: { value: "2001-01-01" } });
    await user.click(screen.getByTestId("create-submit"));

    expect(screen.getByTestId("key-name-error")).toHaveTextContent("Name must not contain control characters.");
    expect(screen.getByTestId("field-error-expires_at")).toHaveTextContent("The date has passed");
    expect(createKey).not.toHaveBeenCalled();
  });

  it("wants label names unique and workloads listed when limited to some", async () => {
    const { user } = setup();
    await user.type(byTestId("key-name"), "ci");
    await user.click(byTestId("key-workloads-only"));
    await user.click(screen.getByTestId("label-add"));
    await user.type(screen.getAllByTestId("label-key")[0]!, "team");
    await user.click(screen.getByTestId("label-add"));
    await user.type(screen.getAllByTestId("label-key")[1]!, "team");
    await user.click(screen.getByTestId("create-submit"));

    expect(screen.getByTestId("field-error-workloads")).toHaveTextContent("Add at least one workload, or choose Whole project.");
    expect(screen.getByTestId("field-error-labels")).toHaveTextContent("Label “team” is set twice.");
    expect(chipInput("key-workloads")).toHaveFocus();
    expect(createKey).not.toHaveBeenCalled();
  });

  it("clears a field's message once it is fixed", async () => {
    const { user } = setup();
    await user.type(byTestId("key-rpm"), "0");
    await user.click(screen.getByTestId("create-submit"));
    expect(screen.getByTestId("field-error-rpm")).toBeInTheDocument();

    await user.clear(byTestId("key-rpm"));
    await user.type(byTestId("key-rpm"), "60");

    expect(screen.queryByTestId("field-error-rpm")).not.toBeInTheDocument();
    expect(screen.getByTestId("key-name-error")).toBeInTheDocument();
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

    expect(screen.getByTestId("field-error-workloads")).toHaveTextContent("workloads entry “gone” does not exist.");
    expect(screen.queryByTestId("key-form-error")).not.toBeInTheDocument();
    expect(oncreated).not.toHaveBeenCalled();
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
    description: "Invoices",
    rpm: 60,
    tpm: null,
    token_limit: 1_000_000,
    token_limit_period: "month",
    allowed_models: ["gpt-4o"],
    workloads: ["chat-prod", "batch"],
    labels: { team: "billing" },
    expires_at: "2030-06-01T00:00:00Z",
  });

  it("starts from the key and sends it back with the expiry kept", async () => {
    const updated = { ...key, rpm: 120 };
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
    listWorkloads.mockResolvedValue(ok({ workloads: project }));
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
    expect(options()).toEqual(["llama-3-8b Chat (prod), Chat (staging)"]);

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

  it("adds exactly what was typed on Enter, and Escape closes the list, not the dialog", async () => {
    const { user, oncancel } = setup();
    const models = chipInput("key-models");
    await user.type(models, "bge");
    expect(options()).toEqual(["bge-m3 Embeddings"]);
    await user.keyboard("{Enter}");
    expect(chips("key-models")).toEqual(["bge"]);

    await user.keyboard("{ArrowDown}{ArrowDown}{ArrowUp}");
    expect(within(listbox()).getByRole("option", { name: /bge-m3/ })).toHaveAttribute("aria-selected", "true");
    await user.keyboard("{Escape}");
    expect(models).toHaveAttribute("aria-expanded", "false");
    expect(screen.queryByRole("listbox")).not.toBeInTheDocument();
    expect(oncancel).not.toHaveBeenCalled();

    await user.keyboard("{Escape}");
    expect(oncancel).toHaveBeenCalledOnce();
  });

  it("says gently when no workload serves a model, and still sends it", async () => {
    createKey.mockResolvedValue(ok(createdKeyView()));
    const { user } = setup();
    await user.type(byTestId("key-name"), "ci");
    await user.type(chipInput("key-models"), "mistral-7b{Enter}llama-3-8b{Enter}");

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

    pending.resolve(ok({ workloads: project }));
    expect(await screen.findByTestId("key-models-unserved")).toHaveTextContent("mistral-7b");
  });
});
