// The key page against mocked commands: every scope in words, usage honestly empty
// when nothing was counted (a flat last-24-hours line, no made-up chart), the audit
// trail newest first, each section loading and failing on its own, and the actions
// (edit, rotate → reveal, archive, revoke, back) calling the right commands, reloading
// the key and its history, and telling the owner.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { commands, type Key } from "$lib/bindings";
import { formatClock } from "$lib/format";
import KeyDetail from "./KeyDetail.svelte";
import {
  ANTHROPIC_PER_WORKSPACE,
  anthropicCapabilities,
  gcoreCapabilities,
  keywardCapabilities,
  OPENAI_PER_PROJECT,
  openAiCapabilities,
  OPENAI_ROTATE,
  OPENAI_UPDATE,
  openAiLikeCapabilities,
  liteLlmCapabilities,
  pausingCapabilities,
} from "$lib/capabilities/fixtures";
import {
  auditEvent,
  auditPage,
  createdKeyView,
  deferred,
  failure,
  inferenceKey,
  keyUsage,
  ok,
  passingKeyCheck,
  usageHours,
} from "./fixtures";

vi.mock("$lib/bindings", () => ({
  commands: {
    getKey: vi.fn(),
    projectLimits: vi.fn(),
    keyUsage: vi.fn(),
    keyAudit: vi.fn(),
    checkKeyForm: vi.fn(),
    updateKey: vi.fn(),
    rotateKey: vi.fn(),
    archiveKey: vi.fn(),
    disableKey: vi.fn(),
    revokeKey: vi.fn(),
    copyReveal: vi.fn(),
    closeReveal: vi.fn(),
    listWorkloads: vi.fn(),
  },
}));

const getKey = vi.mocked(commands.getKey);
const keyUsageCommand = vi.mocked(commands.keyUsage);
const keyAudit = vi.mocked(commands.keyAudit);
const updateKey = vi.mocked(commands.updateKey);
const rotateKey = vi.mocked(commands.rotateKey);
const archiveKey = vi.mocked(commands.archiveKey);
const revokeKey = vi.mocked(commands.revokeKey);
const disableKey = vi.mocked(commands.disableKey);
const closeReveal = vi.mocked(commands.closeReveal);

const SECRET = "kw_live_Nw4pQ8rT2vX6zB0dF3hJ5kM7nP9sU1wY3aC5";

const billing = inferenceKey({
  id: "key_7",
  name: "billing-service",
  hint: "kw_live_…9f2c",
  scopes: {
    description: "Invoices in prod",
    rpm: 60,
    tpm: null,
    token_budget: { tokens: 1_000_000, period: "day" },
    models: null,
    workloads: null,
    labels: { team: "billing", env: "prod" },
  },
  last_used_at: null,
});

function renderDetail(key: Key = billing) {
  getKey.mockResolvedValue(ok(key));
  const onback = vi.fn();
  const onchanged = vi.fn();
  const view = render(KeyDetail, { keyId: key.id, baseUrl: "http://127.0.0.1:7070", onback, onchanged });
  return { ...view, onback, onchanged, user: userEvent.setup() };
}

async function loaded() {
  return screen.findByTestId("key-detail-name");
}

beforeEach(() => {
  for (const command of Object.values(commands)) vi.mocked(command).mockReset();
  keyUsageCommand.mockResolvedValue(ok(keyUsage({ key_id: "key_7" })));
  keyAudit.mockResolvedValue(ok(auditPage([])));
  // Keyward keeps its limits on the key: no project limits.
  vi.mocked(commands.projectLimits).mockResolvedValue(ok(null));
  closeReveal.mockResolvedValue(ok(null));
  vi.mocked(commands.listWorkloads).mockResolvedValue(ok([]));
  vi.mocked(commands.checkKeyForm).mockImplementation(async (draft) => passingKeyCheck(draft));
});

describe("KeyDetail", () => {
  it("loads the key, its usage and its history in parallel, by id", async () => {
    const pending = deferred<Awaited<ReturnType<typeof commands.getKey>>>();
    getKey.mockReturnValue(pending.promise);
    render(KeyDetail, { keyId: "key_7", baseUrl: "", onback: vi.fn(), onchanged: vi.fn() });

    expect(screen.getByTestId("key-detail")).toBeInTheDocument();
    expect(screen.getByTestId("key-detail-loading")).toBeInTheDocument();
    expect(getKey).toHaveBeenCalledWith("key_7");
    expect(keyUsageCommand).toHaveBeenCalledWith("key_7");
    expect(keyAudit).toHaveBeenCalledWith("key_7");
    // The slow key does not hold back the sections that already answered.
    expect(await screen.findByTestId("key-usage-empty")).toBeInTheDocument();

    pending.resolve(ok(billing));
    expect(await loaded()).toHaveTextContent("billing-service");
  });

  it("shows every scope in words", async () => {
    renderDetail();
    await loaded();

    expect(screen.getByTestId("key-detail-masked")).toHaveTextContent("kw_live_…9f2c");
    expect(screen.getByTestId("key-detail-status")).toHaveTextContent("Active");
    expect(screen.getByTestId("key-detail-description")).toHaveTextContent("Invoices in prod");
    expect(screen.getByTestId("key-scope-rpm")).toHaveTextContent("60 requests/min");
    expect(screen.getByTestId("key-scope-tpm")).toHaveTextContent("Unlimited");
    expect(screen.getByTestId("key-scope-budget")).toHaveTextContent("1,000,000 tokens per day");
    expect(screen.getByTestId("key-scope-models")).toHaveTextContent("All models");
    expect(screen.getByTestId("key-scope-workloads")).toHaveTextContent("Whole project");
    const labels = within(screen.getByTestId("key-scope-labels"));
    expect(labels.getByText("team=billing")).toBeInTheDocument();
    expect(labels.getByText("env=prod")).toBeInTheDocument();
    expect(screen.getByTestId("key-last-used")).toHaveTextContent("Never");
    expect(screen.getByTestId("key-expires")).toHaveTextContent("Never");
  });

  // Issue #15: an unreadable scope is reported as [] and enforced as nothing; the page
  // must say so rather than show an empty list (or "All models").
  it("says a scope that could not be read is enforced as nothing", async () => {
    renderDetail(inferenceKey({ scopes: { models: [], workloads: [] }, unreadable_scopes: ["allowed_models", "workloads"] }));
    await loaded();

    const models = screen.getByTestId("key-scope-models");
    expect(models).toHaveTextContent("This key's model list could not be read; it is enforced as no models (fail closed).");
    expect(models).not.toHaveTextContent("All models");
    expect(screen.getByTestId("key-scope-workloads")).toHaveTextContent("enforced as no workloads (fail closed)");
  });

  it("lists limited models and workloads", async () => {
    renderDetail(
      inferenceKey({ scopes: { models: ["gpt-4o", "llama-3.1-8b"], workloads: ["chat-prod"], labels: {}, tpm: 90_000 } }),
    );
    await loaded();

    expect(screen.getByTestId("key-scope-models")).toHaveTextContent("gpt-4ollama-3.1-8b");
    expect(screen.getByTestId("key-scope-workloads")).toHaveTextContent("chat-prod");
    expect(screen.getByTestId("key-scope-tpm")).toHaveTextContent("90,000 tokens/min");
    expect(screen.getByTestId("key-scope-labels")).toHaveTextContent("None");
  });

  it("says no usage was recorded when every count is zero, and draws only a flat day", async () => {
    renderDetail();

    expect(await screen.findByTestId("key-usage-empty")).toHaveTextContent("No usage recorded yet");
    expect(screen.getByTestId("key-usage-requests")).toHaveTextContent("0");
    expect(screen.queryByTestId("key-usage-chart")).not.toBeInTheDocument();
    const day = within(screen.getByTestId("key-usage")).getByTestId("key-usage-sparkline");
    expect(day).toHaveAccessibleName("Last 24 hours: 0 requests, 0 tokens");
    const bars = within(day).getAllByTestId("key-usage-hour").map((hour) => hour.querySelector(".bar"));
    expect(bars).toHaveLength(24);
    expect(bars.every((bar) => bar?.getAttribute("height") === "0")).toBe(true);
  });

  it("draws tokens per model when there is usage", async () => {
    keyUsageCommand.mockResolvedValue(
      ok(
        keyUsage({
          totals: { requests: 12, input_tokens: 3000, output_tokens: 1500 },
          by_model: [
            { model: "llama-3.1-8b", totals: { requests: 2, input_tokens: 500, output_tokens: 0 } },
            { model: "gpt-4o", totals: { requests: 10, input_tokens: 2500, output_tokens: 1500 } },
          ],
          hourly: usageHours((index) => (index === 22 ? { requests: 4, input_tokens: 900, output_tokens: 300 } : {})),
        }),
      ),
    );
    renderDetail();

    const chart = await screen.findByTestId("key-usage-chart");
    expect(chart).toHaveAccessibleName("Tokens by model: gpt-4o 4,000, llama-3.1-8b 500");
    expect(chart.querySelectorAll("rect")).toHaveLength(2);
    expect(screen.getByTestId("key-usage-input")).toHaveTextContent("3,000");
    expect(screen.getAllByTestId("key-usage-model")[0]).toHaveTextContent("gpt-4o 4,000 tokens 10 requests");
    expect(screen.queryByTestId("key-usage-empty")).not.toBeInTheDocument();
    const day = screen.getByTestId("key-usage-sparkline");
    expect(day).toHaveAccessibleName("Last 24 hours: 4 requests, 1,200 tokens");
    expect(within(day).getAllByTestId("key-usage-hour")[22]?.querySelector("title")).toHaveTextContent(
      `${formatClock(new Date("2026-02-01T08:00:00Z"))}–${formatClock(new Date("2026-02-01T09:00:00Z"))}: 4 requests, 1,200 tokens`,
    );
  });

  it("shows the audit trail newest first, with who, what and old → new", async () => {
    keyAudit.mockResolvedValue(
      ok(
        auditPage([
          auditEvent({ id: "e1", at: "2025-03-14T09:26:53Z", action: "key.created", changes: { name: { old: "", new: "billing-service" } } }),
          auditEvent({
            id: "e3",
            at: "2025-03-16T10:00:00Z",
            action: "key.rotated",
            actor: "ci-owner",
            changes: { masked: { old: "kw_live_…aaaa", new: "kw_live_…9f2c" }, grace_period_seconds: { old: null, new: 3600 } },
          }),
          auditEvent({
            id: "e2",
            at: "2025-03-15T10:00:00Z",
            action: "key.updated",
            changes: { rpm: { old: null, new: 60 }, workloads: { old: "*", new: ["chat-prod"] } },
          }),
        ]),
      ),
    );
    renderDetail();

    const events = await screen.findAllByTestId("key-audit-event");
    expect(events.map((event) => event.querySelector(".action")?.textContent)).toEqual([
      "Rotated the secret",
      "Edited",
      "Created",
    ]);
    expect(events[0]).toHaveTextContent("ci-owner");
    expect(events[0]).toHaveTextContent("Key kw_live_…aaaa → changed to kw_live_…9f2c");
    expect(events[0]).toHaveTextContent("Grace period — → changed to 1 hour");
    expect(events[1]).toHaveTextContent("Requests/min Unlimited → changed to 60");
    expect(events[1]).toHaveTextContent("Workloads Whole project → changed to chat-prod");
    expect(events[2]).toHaveTextContent("Name billing-service");
    expect(events[2]).not.toHaveTextContent("→");
  });

  it("loads and fails each section on its own, with a retry", async () => {
    keyAudit.mockResolvedValueOnce(failure("The audit log is not available.", "unavailable"));
    keyAudit.mockResolvedValueOnce(ok(auditPage([])));
    keyUsageCommand.mockReturnValue(new Promise(() => {}));
    const { user } = renderDetail();

    expect(await screen.findByTestId("key-audit-error")).toHaveTextContent("The audit log is not available.");
    expect(screen.getByTestId("key-usage-loading")).toBeInTheDocument();
    expect(await loaded()).toBeInTheDocument();

    await user.click(within(screen.getByTestId("key-audit")).getByRole("button", { name: "Retry" }));
    expect(await screen.findByTestId("key-audit-empty")).toBeInTheDocument();
  });

  it("says why the key cannot be shown, and retries", async () => {
    getKey.mockResolvedValueOnce(failure("No key with id key_7.", "not_found"));
    getKey.mockResolvedValueOnce(ok(billing));
    const user = userEvent.setup();
    render(KeyDetail, { keyId: "key_7", baseUrl: "", onback: vi.fn(), onchanged: vi.fn() });

    expect(await screen.findByTestId("key-detail-error")).toHaveTextContent("No key with id key_7.");
    await user.click(screen.getByTestId("key-detail-retry"));
    expect(await loaded()).toBeInTheDocument();
    expect(screen.queryByTestId("key-detail-error")).not.toBeInTheDocument();
  });

  it("goes back by button and by Escape, but Escape in a dialog is the dialog's", async () => {
    const { user, onback } = renderDetail();
    await loaded();
    await user.click(screen.getByTestId("key-detail-back"));
    expect(onback).toHaveBeenCalledTimes(1);

    await user.click(screen.getByTestId("key-rotate"));
    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("rotate-dialog")).not.toBeInTheDocument();
    expect(onback).toHaveBeenCalledTimes(1);

    await user.keyboard("{Escape}");
    expect(onback).toHaveBeenCalledTimes(2);
  });

  it("edits through the key form, then reloads the key and its history and tells the owner", async () => {
    const updated = { ...billing, scopes: { ...billing.scopes, rpm: 120 } };
    updateKey.mockResolvedValue(ok(updated));
    const { user, onchanged } = renderDetail();
    await loaded();
    getKey.mockResolvedValue(ok(updated));

    await user.click(screen.getByTestId("key-edit"));
    const form = screen.getByTestId("key-form");
    expect(within(form).getByTestId("key-name")).toHaveValue("billing-service");
    await user.clear(within(form).getByTestId("key-rpm"));
    await user.type(within(form).getByTestId("key-rpm"), "120");
    await user.click(within(form).getByTestId("key-form-save"));

    expect(updateKey).toHaveBeenCalledWith("key_7", expect.objectContaining({ rpm: 120, expiry: { kind: "keep" } }));
    expect(onchanged).toHaveBeenCalledWith(updated);
    expect(screen.queryByTestId("key-form")).not.toBeInTheDocument();
    expect(screen.getByTestId("key-scope-rpm")).toHaveTextContent("120 requests/min");
    await vi.waitFor(() => expect(getKey).toHaveBeenCalledTimes(2));
    expect(keyAudit).toHaveBeenCalledTimes(2);
    expect(keyUsageCommand).toHaveBeenCalledTimes(1);
  });

  it("rotates: the new secret is revealed as rotated, then closed in Rust and dropped", async () => {
    const view = createdKeyView({ ...billing, hint: "kw_live_…wY3a" }, SECRET);
    rotateKey.mockResolvedValue(ok(view));
    const { user, onchanged } = renderDetail();
    await loaded();
    getKey.mockResolvedValue(ok(view.key));

    await user.click(screen.getByTestId("key-rotate"));
    await user.click(screen.getByLabelText("After 5 minutes"));
    await user.click(screen.getByTestId("rotate-confirm"));

    expect(rotateKey).toHaveBeenCalledWith("key_7", 300);
    expect(onchanged).toHaveBeenCalledWith(view.key);
    const panel = screen.getByRole("dialog", { name: "Copy the new secret" });
    expect(within(panel).getByTestId("reveal-secret")).toHaveTextContent(SECRET);
    expect(within(panel).getByTestId("reveal-snippet")).toHaveTextContent("http://127.0.0.1:7070/v1/chat/completions");
    expect(screen.getByTestId("key-detail-masked")).toHaveTextContent("kw_live_…wY3a");

    await user.click(screen.getByTestId("reveal-done"));
    await user.click(screen.getByTestId("reveal-discard"));

    expect(closeReveal).toHaveBeenCalledExactlyOnceWith(view.reveal.id);
    expect(screen.queryByTestId("reveal-panel")).not.toBeInTheDocument();
    expect(document.body).not.toHaveTextContent(SECRET);
  });

  it("closes an open reveal in Rust when the page goes", async () => {
    rotateKey.mockResolvedValue(ok(createdKeyView(billing, SECRET)));
    const { user, unmount } = renderDetail();
    await loaded();
    await user.click(screen.getByTestId("key-rotate"));
    await user.click(screen.getByTestId("rotate-confirm"));
    expect(screen.getByTestId("reveal-panel")).toBeInTheDocument();

    unmount();

    expect(closeReveal).toHaveBeenCalledExactlyOnceWith("rev_key_7");
  });

  it("revokes an active key after confirmation, and then offers archiving instead", async () => {
    const revoked = { ...billing, state: "revoked" as const, revoked_at: "2025-03-20T10:00:00Z" };
    revokeKey.mockResolvedValue(ok(revoked));
    const { user, onchanged } = renderDetail();
    await loaded();
    expect(screen.queryByTestId("key-archive")).not.toBeInTheDocument();
    getKey.mockResolvedValue(ok(revoked));

    await user.click(screen.getByTestId("key-detail-revoke"));
    await user.click(screen.getByTestId("revoke-confirm"));

    expect(revokeKey).toHaveBeenCalledWith("key_7");
    expect(onchanged).toHaveBeenCalledWith(revoked);
    expect(screen.getByTestId("key-detail-status")).toHaveTextContent("Revoked");
    expect(screen.queryByTestId("key-detail-revoke")).not.toBeInTheDocument();
    expect(screen.queryByTestId("key-rotate")).not.toBeInTheDocument();
    expect(screen.queryByTestId("key-edit")).not.toBeInTheDocument();
    expect(screen.getByTestId("key-archive")).toHaveTextContent("Archive");
  });

  it.each([
    ["revoked", true, "Archive"],
    ["expired", true, "Archive"],
    ["archived", false, "Unarchive"],
  ] as const)("a %s key can be archived or unarchived (archive=%s)", async (status, archive, label) => {
    const key = inferenceKey({ id: "key_old", state: status });
    const after = inferenceKey({ id: "key_old", state: archive ? "archived" : "revoked" });
    archiveKey.mockResolvedValue(ok(after));
    const { user, onchanged } = renderDetail(key);
    await loaded();
    expect(screen.queryByTestId("key-detail-revoke")).not.toBeInTheDocument();

    const button = screen.getByTestId("key-archive");
    expect(button).toHaveTextContent(label);
    await user.click(button);

    expect(archiveKey).toHaveBeenCalledExactlyOnceWith("key_old", archive);
    expect(onchanged).toHaveBeenCalledWith(after);
  });

  it("shows an action's refusal without losing the page", async () => {
    archiveKey.mockResolvedValue(failure("Only revoked or expired keys can be archived.", "conflict"));
    const { user, onchanged } = renderDetail(inferenceKey({ state: "revoked" }));
    await loaded();
    await user.click(screen.getByTestId("key-archive"));

    expect(screen.getByTestId("key-detail-action-error")).toHaveTextContent("Only revoked or expired keys can be archived.");
    expect(screen.getByTestId("key-detail-name")).toBeInTheDocument();
    expect(onchanged).not.toHaveBeenCalled();
  });
});

describe("KeyDetail on platforms that delete revoked keys and keep no per-key history", () => {
  it("keeps showing the revoked key the platform answered, without reading a deleted key back (no 404 banner)", async () => {
    const capabilities = openAiLikeCapabilities();
    capabilities.keys.revoke = { supported: true, instead: null };
    capabilities.keys.revoke_removes_record = true;
    getKey.mockResolvedValueOnce(ok(billing));
    const revoked = { ...billing, state: "revoked" as const };
    revokeKey.mockResolvedValue(ok(revoked));
    const user = userEvent.setup();
    render(KeyDetail, { keyId: billing.id, baseUrl: "", onback: vi.fn(), onchanged: vi.fn(), capabilities });
    await user.click(await screen.findByTestId("key-detail-revoke"));
    getKey.mockResolvedValue(failure("Not found on OpenAI (404: no such key).", "not_found"));
    await user.click(screen.getByTestId("revoke-confirm"));
    expect(await screen.findByText("Revoked", { selector: "[data-testid='key-detail-status'] *, [data-testid='key-detail-status']" })).toBeInTheDocument();
    expect(getKey).toHaveBeenCalledTimes(1);
    expect(screen.queryByText(/404/)).not.toBeInTheDocument();
  });

  it("says what the platform does not keep per key as a note, not an error with a retry", async () => {
    getKey.mockResolvedValue(ok(billing));
    keyUsageCommand.mockResolvedValue(failure("OpenRouter does not offer usage per key.", "unsupported"));
    keyAudit.mockResolvedValue(failure("OpenRouter keeps no audit trail of key changes in its API.", "unsupported"));
    render(KeyDetail, { keyId: billing.id, baseUrl: "", onback: vi.fn(), onchanged: vi.fn() });
    expect(await screen.findByTestId("key-usage-unsupported")).toHaveTextContent("does not offer usage per key");
    expect(await screen.findByTestId("key-audit-unsupported")).toHaveTextContent("no audit trail");
    expect(screen.queryByTestId("key-usage-error")).not.toBeInTheDocument();
    expect(screen.queryByTestId("key-audit-error")).not.toBeInTheDocument();
    expect(within(screen.getByTestId("key-usage")).queryByRole("button", { name: "Retry" })).not.toBeInTheDocument();
  });
});

describe("KeyDetail renders from the platform's capabilities (issue #16)", () => {
  it("offers only the actions the platform has, and says what it offers instead of the others", async () => {
    getKey.mockResolvedValue(ok(billing));
    render(KeyDetail, {
      keyId: billing.id,
      baseUrl: "http://127.0.0.1:7070",
      onback: vi.fn(),
      onchanged: vi.fn(),
      capabilities: openAiLikeCapabilities(),
    });
    expect(await screen.findByTestId("key-detail-revoke")).toBeInTheDocument();
    expect(screen.queryByTestId("key-edit")).not.toBeInTheDocument();
    expect(screen.queryByTestId("key-rotate")).not.toBeInTheDocument();
    expect(screen.getByTestId("key-edit-instead")).toHaveTextContent(OPENAI_UPDATE);
    expect(screen.getByTestId("key-rotate-instead")).toHaveTextContent(OPENAI_ROTATE);
  });

  it("offers every action with no sentence when capabilities are not known yet", async () => {
    renderDetail();
    expect(await screen.findByTestId("key-rotate")).toBeInTheDocument();
    expect(screen.getByTestId("key-edit")).toBeInTheDocument();
    expect(screen.queryByTestId("key-rotate-instead")).not.toBeInTheDocument();
  });

  it("offers no Disable on the Keyward gateway, which cannot pause a key", async () => {
    renderWith(billing, keywardCapabilities());
    expect(await screen.findByTestId("key-detail-revoke")).toBeInTheDocument();
    expect(screen.queryByTestId("key-disable")).not.toBeInTheDocument();
    expect(screen.queryByTestId("key-enable")).not.toBeInTheDocument();
  });

  it("offers no Disable while capabilities are unknown: most platforms cannot pause", async () => {
    renderDetail();
    expect(await screen.findByTestId("key-rotate")).toBeInTheDocument();
    expect(screen.queryByTestId("key-disable")).not.toBeInTheDocument();
  });

  it("disables a key after a confirmation, where the platform can pause it", async () => {
    const paused = inferenceKey({ ...billing, state: "disabled" });
    disableKey.mockResolvedValue(ok(paused));
    const { user, onchanged } = renderWith(billing, pausingCapabilities());
    await user.click(await screen.findByTestId("key-disable"));

    const dialog = screen.getByTestId("disable-dialog");
    expect(dialog).toHaveTextContent('Disable "billing-service"? OpenRouter refuses its requests until it is enabled again');
    expect(disableKey).not.toHaveBeenCalled();
    getKey.mockResolvedValue(ok(paused));
    await user.click(within(dialog).getByTestId("disable-confirm"));

    expect(disableKey).toHaveBeenCalledExactlyOnceWith("key_7", true);
    expect(onchanged).toHaveBeenCalledWith(paused);
    expect(screen.queryByTestId("disable-dialog")).not.toBeInTheDocument();
    expect(screen.getByTestId("key-detail-status")).toHaveTextContent("Disabled");
    expect(screen.getByTestId("key-enable")).toHaveTextContent("Enable");
    expect(screen.queryByTestId("key-rotate")).not.toBeInTheDocument();
  });

  it("keeps the key as it was when Disable is cancelled or refused", async () => {
    disableKey.mockResolvedValue(failure("OpenRouter did not answer.", "unavailable"));
    const { user, onchanged } = renderWith(billing, pausingCapabilities());
    await user.click(await screen.findByTestId("key-disable"));
    await user.click(screen.getByTestId("disable-confirm"));
    expect(await screen.findByTestId("disable-error")).toHaveTextContent("OpenRouter did not answer.");
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.queryByTestId("disable-dialog")).not.toBeInTheDocument();
    expect(screen.getByTestId("key-detail-status")).toHaveTextContent("Active");
    expect(onchanged).not.toHaveBeenCalled();
  });

  it("enables a paused key at once, without a confirmation", async () => {
    const paused = inferenceKey({ ...billing, state: "disabled" });
    disableKey.mockResolvedValue(ok(billing));
    const { user, onchanged } = renderWith(paused, pausingCapabilities());
    expect(await screen.findByTestId("key-detail-status")).toHaveTextContent("Disabled");
    expect(screen.queryByTestId("key-disable")).not.toBeInTheDocument();
    getKey.mockResolvedValue(ok(billing));
    await user.click(screen.getByTestId("key-enable"));

    expect(disableKey).toHaveBeenCalledExactlyOnceWith("key_7", false);
    expect(screen.queryByTestId("disable-dialog")).not.toBeInTheDocument();
    expect(onchanged).toHaveBeenCalledWith(billing);
    expect(screen.getByTestId("key-detail-status")).toHaveTextContent("Active");
  });

  it("shows a money budget and an owner where the platform has them", async () => {
    renderWith(
      inferenceKey({
        ...billing,
        owner: "svc-billing@example.com",
        scopes: { ...billing.scopes, money_budget: { micros: 50000000, currency: "USD", reset: "month" } },
      }),
      spendingCapabilities(),
    );
    expect(await screen.findByTestId("key-scope-money")).toHaveTextContent("$50.00 / month");
    expect(screen.getByTestId("key-owner")).toHaveTextContent("svc-billing@example.com");
  });

  it("shows what the key spent per period and its guardrail, read-only, where the platform keeps them", async () => {
    renderWith(
      inferenceKey({
        ...billing,
        money_used: { currency: "USD", day: 250_000, week: 1_750_000, month: 3_200_000, total: 41_000_000 },
        guardrail: {
          id: "gr_1",
          name: "Approved models",
          allowed_models: ["openai/gpt-4o", "anthropic/claude-3.5-sonnet"],
          money_budget: { micros: 25_000_000, currency: "USD", reset: "week" },
        },
      }),
      spendingCapabilities(),
    );
    const spent = await screen.findAllByTestId("key-spent");
    expect(spent.map((dd) => [dd.previousElementSibling?.textContent, dd.textContent])).toEqual([
      ["Spent today (UTC)", "$0.25"],
      ["Spent this week (UTC, from Monday)", "$1.75"],
      ["Spent this month (UTC)", "$3.20"],
      ["Spent since created", "$41.00"],
    ]);
    const guardrail = screen.getByTestId("key-guardrail");
    expect(guardrail).toHaveTextContent("Approved models (read-only)");
    expect(within(guardrail).getByTestId("key-guardrail-models")).toHaveTextContent("openai/gpt-4oanthropic/claude-3.5-sonnet");
    expect(within(guardrail).getByTestId("key-guardrail-budget")).toHaveTextContent("$25.00 / week");
    // Nothing on the guardrail is a control.
    expect(within(guardrail).queryByRole("button")).not.toBeInTheDocument();
    expect(within(guardrail).queryByRole("textbox")).not.toBeInTheDocument();
  });

  it("says each step of a revoke that took several (Gcore: detach, then delete)", async () => {
    const attached = inferenceKey({ ...billing, id: "ci-runner", name: "ci-runner", scopes: { ...billing.scopes, workloads: ["llama-chat"] } });
    const revoked = {
      ...attached,
      state: "revoked" as const,
      revoked_at: "2026-12-05T10:00:00Z",
      steps: ["Detached from deployment “llama-chat”.", "Deleted key “ci-runner”."],
    };
    revokeKey.mockResolvedValue(ok(revoked));
    const { user } = renderWith(attached, gcoreCapabilities());
    await user.click(await screen.findByTestId("key-detail-revoke"));
    await user.click(screen.getByTestId("revoke-confirm"));

    const steps = await screen.findByTestId("key-steps");
    expect(within(steps).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "Detached from deployment “llama-chat”.",
      "Deleted key “ci-runner”.",
    ]);
    expect(screen.getByTestId("key-detail-status")).toHaveTextContent("Revoked");
    // Gcore deletes the key: nothing is read back (no 404 banner).
    expect(getKey).toHaveBeenCalledTimes(1);
  });

  it("leaves out the money budget and owner where the platform has none", async () => {
    renderDetail();
    await loaded();
    expect(screen.queryByTestId("key-scope-money")).not.toBeInTheDocument();
    expect(screen.queryByTestId("key-owner")).not.toBeInTheDocument();
    expect(screen.queryByTestId("key-spent")).not.toBeInTheDocument();
    expect(screen.queryByTestId("key-guardrail")).not.toBeInTheDocument();
  });
});

/** A platform that budgets money per key (OpenRouter's credit limit). */
function spendingCapabilities() {
  const base = pausingCapabilities();
  return { ...base, scopes: { ...base.scopes, money_budget: { supported: true, instead: null } } };
}

function renderWith(key: Key, capabilities: ReturnType<typeof keywardCapabilities>) {
  getKey.mockResolvedValue(ok(key));
  const onchanged = vi.fn();
  render(KeyDetail, { keyId: key.id, baseUrl: "http://127.0.0.1:7070", onback: vi.fn(), onchanged, capabilities });
  return { onchanged, user: userEvent.setup() };
}

describe("KeyDetail history when the platform does or does not count it", () => {
  it("says it shows the newest events only when the platform counts more", async () => {
    keyAudit.mockResolvedValue(ok({ entries: [auditEvent({ id: "e1" }), auditEvent({ id: "e2" })], total: 60 }));
    renderDetail();
    expect(await screen.findByTestId("key-audit-truncated")).toHaveTextContent("Showing the newest 2 of 60 events.");
  });

  it("claims no count the platform did not give", async () => {
    keyAudit.mockResolvedValue(ok({ entries: [auditEvent({ id: "e1" })], total: null }));
    renderDetail();
    expect(await screen.findAllByTestId("key-audit-event")).toHaveLength(1);
    expect(screen.queryByTestId("key-audit-truncated")).not.toBeInTheDocument();
  });
});

// Issue #17: a scope row only where the platform's keys have the scope; the rest summed
// up once in the platform's sentences, not as rows of "Unlimited".
describe("KeyDetail shows only the scopes the key's platform has", () => {
  const SCOPE_ROWS = ["key-scope-rpm", "key-scope-tpm", "key-scope-budget", "key-scope-money", "key-scope-models", "key-scope-workloads", "key-scope-labels"];
  const platformKey = (hint: string) =>
    inferenceKey({ id: "proj_03.key_x", name: "search-4", hint, project: "proj_03", owner: "Ada Lovelace" });

  beforeEach(() => {
    vi.mocked(commands.projectLimits).mockResolvedValue(ok(null));
  });

  it("has no scope rows for an OpenAI key, and says once that OpenAI limits projects", async () => {
    renderWith(platformKey("sk-proj-****...AbCd"), openAiCapabilities());
    const summary = await screen.findByTestId("key-scopes-instead");
    for (const id of SCOPE_ROWS) expect(screen.queryByTestId(id)).not.toBeInTheDocument();
    const sentences = within(summary).getAllByRole("listitem").map((li) => li.textContent);
    expect(sentences.filter((s) => s === OPENAI_PER_PROJECT)).toHaveLength(1);
    expect(sentences).toEqual([
      OPENAI_PER_PROJECT,
      "OpenAI serves its models itself; there are no workloads to attach.",
      "OpenAI keys have a name only.",
      "OpenAI project keys do not expire; revoke a key when it is no longer needed.",
    ]);
    expect(screen.getByTestId("key-scopes")).not.toHaveTextContent("Unlimited");
    expect(screen.queryByTestId("key-expires")).not.toBeInTheDocument();
    expect(screen.getByTestId("key-owner")).toHaveTextContent("Ada Lovelace");
  });

  it("has no scope rows for an Anthropic key, but shows the expiry the key was made with", async () => {
    renderWith({ ...platformKey("sk-ant-api03-R2D...igAA"), expires_at: "2026-09-01T00:00:00Z" }, anthropicCapabilities());
    const summary = await screen.findByTestId("key-scopes-instead");
    for (const id of SCOPE_ROWS) expect(screen.queryByTestId(id)).not.toBeInTheDocument();
    expect(summary).toHaveTextContent(ANTHROPIC_PER_WORKSPACE);
    expect(summary).not.toHaveTextContent("expiry");
    expect(screen.getByTestId("key-expires").querySelector("time")).toHaveAttribute("datetime", "2026-09-01T00:00:00Z");
  });

  it("keeps every row and says nothing instead on the Keyward gateway, or while capabilities are unknown", async () => {
    for (const capabilities of [keywardCapabilities(), null]) {
      getKey.mockResolvedValue(ok(billing));
      const view = render(KeyDetail, { keyId: billing.id, baseUrl: "http://127.0.0.1:7070", onback: vi.fn(), onchanged: vi.fn(), capabilities });
      expect(await screen.findByTestId("key-scope-rpm")).toHaveTextContent("60 requests/min");
      for (const id of ["key-scope-tpm", "key-scope-budget", "key-scope-models", "key-scope-workloads", "key-scope-labels", "key-expires"]) {
        expect(screen.getByTestId(id)).toBeInTheDocument();
      }
      expect(screen.queryByTestId("key-scopes-instead")).not.toBeInTheDocument();
      view.unmount();
    }
  });
});

// Issue #18: a LiteLLM key's parallel and per-model limits, read back from the proxy.
describe("KeyDetail on LiteLLM: parallel requests and per-model limits", () => {
  beforeEach(() => {
    vi.mocked(commands.projectLimits).mockResolvedValue(ok(null));
  });

  it("shows the cap and each model's rpm, tpm and budget in the key's words", async () => {
    const key = inferenceKey({
      scopes: {
        max_parallel: 4,
        model_limits: [
          { model: "gpt-4o", rpm: 1000, tpm: null, money_budget: { micros: 2_500_000, currency: "USD", reset: "week" } },
          { model: "gpt-4o-mini", rpm: null, tpm: 50000, money_budget: null },
        ],
      },
    });
    renderWith(key, liteLlmCapabilities());
    expect(await screen.findByTestId("key-scope-parallel")).toHaveTextContent("4 at once");
    const rows = screen.getAllByTestId("key-model-limit").map((li) => li.textContent?.replace(/\s+/g, " ").trim());
    expect(rows).toEqual(["gpt-4o 1,000 requests/min · $2.50 / week", "gpt-4o-mini 50,000 tokens/min"]);
  });

  it("says unlimited and none when the key has neither, and that unreadable limits are kept", async () => {
    renderWith(inferenceKey(), liteLlmCapabilities());
    expect(await screen.findByTestId("key-scope-parallel")).toHaveTextContent("Unlimited");
    expect(screen.getByTestId("key-scope-per-model")).toHaveTextContent("None");
  });

  it("says per-model limits it could not read are enforced as the proxy has them", async () => {
    renderWith(inferenceKey({ unreadable_scopes: ["model_limits"] }), liteLlmCapabilities());
    expect(await screen.findByTestId("key-scope-per-model-unreadable")).toHaveTextContent("could not read");
  });

  it("has no such rows on platforms without them", async () => {
    renderWith(inferenceKey(), keywardCapabilities());
    await screen.findByTestId("key-scope-rpm");
    expect(screen.queryByTestId("key-scope-parallel")).not.toBeInTheDocument();
    expect(screen.queryByTestId("key-scope-per-model")).not.toBeInTheDocument();
  });
});
