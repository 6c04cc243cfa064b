// Workloads screen against mocked commands: the list with badges, reasons and the
// issue's columns; filter by status; sort by a column (aria-sort); loading, empty and
// error states; the event log; delete naming the keys that lose the workload; the
// readiness view after create; a workload's page and back.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { commands, type Capabilities, type Workload, type WorkloadRef } from "$lib/bindings";
import { storedProfile, withSession } from "$lib/profiles/fixtures";
import { keywardCapabilities, openAiLikeCapabilities } from "$lib/capabilities/fixtures";
import WorkloadsScreen from "./WorkloadsScreen.svelte";
import {
  deferred,
  failure,
  healthView,
  keyRef,
  ok,
  statusChange,
  summary,
  workload,
  workloadKeys,
  workloadRef,
} from "./fixtures";

vi.mock("$lib/bindings", () => ({
  commands: {
    listWorkloads: vi.fn(),
    listGatewayWorkloads: vi.fn(),
    getWorkload: vi.fn(),
    workloadSummary: vi.fn(),
    workloadEvents: vi.fn(),
    workloadKeys: vi.fn(),
    deleteWorkload: vi.fn(),
    workloadCharts: vi.fn(),
    workloadUsage: vi.fn(),
    workloadChoices: vi.fn(),
    checkWorkloadForm: vi.fn(),
    createWorkload: vi.fn(),
    updateWorkload: vi.fn(),
    followReadiness: vi.fn(),
    listProfiles: vi.fn(),
    activeProfile: vi.fn(),
  },
}));
vi.mock("$lib/platform/channel", () => ({ openChannel: vi.fn(() => ({})) }));

const chat = workload({ slug: "chat", name: "Chat", model_name: "llama-3-8b" });
const embed = workload({ slug: "embed", name: "Embeddings", model_name: "bge-m3", task_type: "embedding" });
const batch = workload({ slug: "batch", name: "Batch", model_name: "qwen" });

/** The gateway holds `workloads`, listed in full in one answer (or by name, and one by one). */
function serve(workloads: Workload[]) {
  vi.mocked(commands.listGatewayWorkloads).mockResolvedValue(ok(workloads));
  vi.mocked(commands.listWorkloads).mockResolvedValue(ok(workloads.map((full) => workloadRef(full))));
  vi.mocked(commands.getWorkload).mockImplementation(async (id) => {
    const found = workloads.find((full) => full.id === id);
    return found ? ok(found) : failure(`Workload ${id} was not found.`, "not_found");
  });
}

function healthy() {
  serve([chat, embed, batch]);
  vi.mocked(commands.workloadSummary).mockResolvedValue(
    ok({
      workloads: [
        summary({ slug: "chat", status: "degraded", reason: "KV cache 99% for 5 min.", kv_cache: 0.99 }),
        summary({ slug: "embed", status: "healthy" }),
        summary({ slug: "batch", status: "down", reason: "Engine dead: GET /health answered 503.", gpus: 0, running: null, waiting: null, kv_cache: null, e2e_p95: null }),
      ],
    }),
  );
}

function renderScreen() {
  const { session, context } = withSession();
  return { session, user: userEvent.setup(), ...render(WorkloadsScreen, { context }) };
}

function slugs(): string[] {
  return screen.getAllByTestId(/^workload-row-/).map((row) => row.dataset.testid!.replace("workload-row-", ""));
}

beforeEach(() => {
  vi.mocked(commands.workloadEvents).mockResolvedValue([]);
  healthy();
});

describe("WorkloadsScreen", () => {
  it("lists every workload with its status badge, reason and last probe numbers, trouble first", async () => {
    renderScreen();
    const row = await screen.findByTestId("workload-row-chat");
    expect(slugs()).toEqual(["batch", "chat", "embed"]);
    const cells = within(row);
    expect(cells.getByTestId("status-badge")).toHaveTextContent("Degraded");
    expect(cells.getByTestId("reason-chat")).toHaveTextContent("KV cache 99% for 5 min.");
    expect(cells.getByTestId("kv-chat")).toHaveTextContent("99 %");
    expect(row).toHaveTextContent("llama-3-8b");
    expect(row).toHaveTextContent("850 ms");
    const down = within(screen.getByTestId("workload-row-batch"));
    expect(down.getByTestId("status-badge")).toHaveAttribute("data-status", "down");
    expect(down.getByTestId("kv-batch")).toHaveTextContent("—");
    for (const name of ["Name", "Slug", "Model", "Backend / task", "Status", "GPUs", "Running", "Waiting", "KV cache", "p95", "Last probe"]) {
      expect(screen.getByRole("columnheader", { name: new RegExp(name) })).toBeInTheDocument();
    }
  });

  it("offers a viewer the list and its health, and nothing that changes a workload", async () => {
    const { session } = renderScreen();
    session.role = "viewer";
    await screen.findByTestId("workload-row-chat");
    expect(screen.queryByTestId("create-workload")).not.toBeInTheDocument();
    expect(screen.getByTestId("workloads-read-only")).toHaveTextContent("Read-only (viewer)");
  });

  it("filters by status with counts, and sorts by a column both ways", async () => {
    const { user } = renderScreen();
    await screen.findByTestId("workload-row-chat");
    expect(screen.getByTestId("workloads-filter-down").closest("label")).toHaveTextContent("Down 1");
    await user.click(screen.getByTestId("workloads-filter-healthy"));
    expect(slugs()).toEqual(["embed"]);
    await user.click(screen.getByTestId("workloads-filter-unknown"));
    expect(screen.getByTestId("workloads-no-match")).toBeInTheDocument();
    await user.click(screen.getByTestId("workloads-filter-all"));

    await user.click(screen.getByTestId("sort-name"));
    expect(slugs()).toEqual(["batch", "chat", "embed"]);
    expect(screen.getByTestId("sort-name").closest("th")).toHaveAttribute("aria-sort", "ascending");
    await user.click(screen.getByTestId("sort-name"));
    expect(slugs()).toEqual(["embed", "chat", "batch"]);
    expect(screen.getByTestId("sort-name").closest("th")).toHaveAttribute("aria-sort", "descending");
  });

  it("shows loading, then an error with retry; and the empty state", async () => {
    const first = deferred<Awaited<ReturnType<typeof commands.listGatewayWorkloads>>>();
    vi.mocked(commands.listGatewayWorkloads).mockReturnValueOnce(first.promise);
    const { user } = renderScreen();
    expect(screen.getByTestId("workloads-loading")).toBeInTheDocument();
    first.resolve(failure("Cannot reach http://127.0.0.1:1.", "unavailable"));
    expect(await screen.findByTestId("workloads-error")).toHaveTextContent("Cannot reach");
    serve([]);
    await user.click(screen.getByTestId("workloads-retry"));
    expect(await screen.findByTestId("workloads-empty")).toHaveTextContent("No workloads yet");
    expect(screen.queryByTestId("workloads-error")).not.toBeInTheDocument();
  });

  it("shows the status changes the watch logged, and which were notified", async () => {
    vi.mocked(commands.workloadEvents).mockResolvedValue([
      statusChange(),
      statusChange({ from: "degraded", to: "down", reason: "Engine dead", notified: false }),
    ]);
    renderScreen();
    const log = await screen.findByTestId("event-log");
    await vi.waitFor(() => expect(within(log).getAllByTestId("event")).toHaveLength(2));
    const [first, second] = within(log).getAllByTestId("event");
    expect(first).toHaveTextContent("KV cache 99% for 5 min.");
    expect(first).toHaveTextContent("notified");
    expect(second).not.toHaveTextContent("notified");
  });

  it("names the keys that lose a workload before deleting it, and reports what changed", async () => {
    vi.mocked(commands.workloadKeys).mockResolvedValue(
      ok(workloadKeys([keyRef({ name: "chat-frontend" }), keyRef({ id: "key_2", name: "everything", project_wide: true })])),
    );
    vi.mocked(commands.deleteWorkload).mockResolvedValue(
      ok({ deleted: true, workload: chat, affected_keys: [{ id: "key_1", name: "chat-frontend", remaining_workloads: [] }] }),
    );
    vi.mocked(commands.workloadCharts).mockResolvedValue(ok(healthView()));
    vi.mocked(commands.workloadUsage).mockResolvedValue(ok({ requests: 0, errors: 0, input_tokens: 0, output_tokens: 0 }));
    const { user } = renderScreen();
    await user.click(await screen.findByTestId("open-chat"));
    await user.click(await screen.findByTestId("workload-delete"));
    const dialog = await screen.findByTestId("delete-workload");
    expect(await within(dialog).findByTestId("affected-keys")).toHaveTextContent("chat-frontend");
    expect(dialog).toHaveTextContent("1 key with project-wide access");
    await user.click(within(dialog).getByTestId("confirm-delete-workload"));
    expect(commands.deleteWorkload).toHaveBeenCalledWith(chat.id);
    expect(await screen.findByTestId("workloads-notice")).toHaveTextContent("Removed from the scope of 1 key: chat-frontend.");
    expect(screen.queryByTestId("workload-page")).not.toBeInTheDocument();
  });

  it("opens a workload's page and comes back to the list", async () => {
    vi.mocked(commands.workloadCharts).mockResolvedValue(ok(healthView()));
    vi.mocked(commands.workloadKeys).mockResolvedValue(ok(workloadKeys([])));
    vi.mocked(commands.workloadUsage).mockResolvedValue(ok({ requests: 0, errors: 0, input_tokens: 0, output_tokens: 0 }));
    const { user } = renderScreen();
    await user.click(await screen.findByTestId("open-chat"));
    expect(await screen.findByTestId("workload-page")).toHaveTextContent("Chat");
    await user.click(screen.getByTestId("workload-back"));
    expect(await screen.findByTestId("workload-row-chat")).toBeInTheDocument();
  });

  it("after an edit from its own page, shows the saved workload and asks under its new slug", async () => {
    // Issue #15: saved() reread the list but the page kept the workload it was opened
    // with: old name, upstream and metrics URLs, and requests aimed at the old slug.
    vi.mocked(commands.workloadCharts).mockResolvedValue(ok(healthView()));
    vi.mocked(commands.workloadKeys).mockResolvedValue(ok(workloadKeys([keyRef({ name: "chat-frontend" })])));
    vi.mocked(commands.workloadUsage).mockResolvedValue(ok({ requests: 0, errors: 0, input_tokens: 0, output_tokens: 0 }));
    vi.mocked(commands.workloadChoices).mockResolvedValue({ backends: ["vllm"], task_types: ["text2text"], execution_policies: [] });
    vi.mocked(commands.checkWorkloadForm).mockResolvedValue([]);
    vi.mocked(commands.followReadiness).mockReturnValue(new Promise(() => {}));
    const edited = {
      ...chat,
      name: "Chat v2",
      slug: "chat-v2",
      upstream_url: "http://10.0.0.9:8000",
      metrics_urls: ["http://10.0.0.9:8000/metrics", "http://10.0.0.9:9400/metrics"],
      updated_at: "2025-03-02T08:00:00Z",
    };
    vi.mocked(commands.updateWorkload).mockResolvedValue(ok(edited));
    const { user } = renderScreen();
    await user.click(await screen.findByTestId("open-chat"));
    const page = await screen.findByTestId("workload-page");
    await within(page).findByTestId("workload-keys");
    expect(commands.workloadKeys).toHaveBeenLastCalledWith("chat");
    // A list answer that still has the older version must not bring it back.
    await user.click(screen.getByTestId("workload-edit"));
    await user.click(await screen.findByTestId("workload-save"));
    await vi.waitFor(() => expect(within(page).getByRole("heading", { level: 1 })).toHaveTextContent("Chat v2"));
    expect(page).toHaveTextContent("chat-v2");
    expect(page).toHaveTextContent("http://10.0.0.9:8000");
    expect(page).toHaveTextContent("http://10.0.0.9:9400/metrics");
    await vi.waitFor(() => expect(commands.workloadKeys).toHaveBeenLastCalledWith("chat-v2"));
    expect(commands.workloadUsage).toHaveBeenLastCalledWith("chat-v2", "hour");
  });
});

describe("WorkloadsScreen renders from the platform's capabilities (issue #16)", () => {
  const ELSEWHERE = "Deployments are created and changed in the platform's own console; Keyward lists them and their health.";

  it("lists workloads but offers no New, Edit or Delete where the platform only lists them, saying so", async () => {
    vi.mocked(commands.workloadCharts).mockResolvedValue(ok(healthView()));
    vi.mocked(commands.workloadKeys).mockResolvedValue(ok(workloadKeys([])));
    vi.mocked(commands.workloadUsage).mockResolvedValue(ok({ requests: 0, errors: 0, input_tokens: 0, output_tokens: 0 }));
    const { session, user } = renderScreen();
    const capabilities = keywardCapabilities();
    const no = { supported: false, instead: ELSEWHERE };
    session.capabilities = { ...capabilities, workloads: { ...capabilities.workloads, create: no, update: no, delete: no } };
    await screen.findByTestId("workload-row-chat");
    expect(screen.queryByTestId("create-workload")).not.toBeInTheDocument();
    expect(screen.getByTestId("create-workload-instead")).toHaveTextContent(ELSEWHERE);
    await user.click(screen.getByTestId("open-chat"));
    await screen.findByTestId("workload-page");
    expect(screen.queryByTestId("workload-edit")).not.toBeInTheDocument();
    expect(screen.queryByTestId("workload-delete")).not.toBeInTheDocument();
    expect(screen.getByTestId("workload-edit-instead")).toHaveTextContent(ELSEWHERE);
  });

  it("asks nothing where the platform has no workloads, and says what it offers instead", async () => {
    vi.mocked(commands.listWorkloads).mockClear();
    vi.mocked(commands.listGatewayWorkloads).mockClear();
    const { session, context } = withSession();
    session.capabilities = openAiLikeCapabilities();
    render(WorkloadsScreen, { context });
    expect(await screen.findByTestId("workloads-not-offered")).toHaveTextContent("OpenAI serves its own models");
    expect(commands.listWorkloads).not.toHaveBeenCalled();
    expect(commands.listGatewayWorkloads).not.toHaveBeenCalled();
  });

  // Issue #17: the list was one listWorkloads and then one getWorkload per workload.
  it("reads every workload in full with one listGatewayWorkloads on load, and none one by one", async () => {
    vi.mocked(commands.listGatewayWorkloads).mockClear();
    vi.mocked(commands.getWorkload).mockClear();
    vi.mocked(commands.listWorkloads).mockClear();
    renderScreen();
    await vi.waitFor(() => expect(slugs()).toHaveLength(3));

    expect(commands.listGatewayWorkloads).toHaveBeenCalledOnce();
    expect(commands.getWorkload).not.toHaveBeenCalled();
    expect(commands.listWorkloads).not.toHaveBeenCalled();
  });
});

// Issue #18: LiteLLM lists its model deployments read-only and refuses the gateway's
// full workloads; the screen lists the neutral refs and offers nothing to change.
describe("WorkloadsScreen on a platform that lists its deployments read-only (issue #18)", () => {
  const LISTED = "Workloads are the proxy's model deployments, listed read-only.";
  const ELSEWHERE = "Keyward lists the proxy's model deployments read-only; add, change or remove them in the proxy's config or its admin UI.";

  /** LiteLLM's workloads as its adapter describes them (keyward_core::platform::litellm). */
  function liteLlmCapabilities(): Capabilities {
    const base = keywardCapabilities();
    const no = { supported: false, instead: ELSEWHERE };
    return {
      ...base,
      platform: "LiteLLM",
      workloads: { list: { supported: true, instead: LISTED }, create: no, update: no, delete: no, readiness: no, health: no, start_stop: no, logs: no, fields: [] },
    };
  }

  const gpt: WorkloadRef = { id: "gpt-4o-prod", slug: "gpt-4o-prod", name: "gpt-4o", model: "openai/gpt-4o", upstream: "https://api.openai.com/v1", created_at: null, status: null };
  const local: WorkloadRef = { id: "llama-local", slug: "llama-local", name: "llama-3-8b", model: "hosted_vllm/llama-3-8b", upstream: null, created_at: null, status: null };

  function renderLiteLlm() {
    vi.mocked(commands.listWorkloads).mockClear();
    vi.mocked(commands.listGatewayWorkloads).mockClear();
    vi.mocked(commands.workloadSummary).mockClear();
    vi.mocked(commands.workloadEvents).mockClear();
    const { session, context } = withSession();
    session.active = storedProfile({ id: "prof_litellm", name: "LiteLLM", kind: "litellm", base_url: "http://127.0.0.1:4000" });
    session.capabilities = liteLlmCapabilities();
    render(WorkloadsScreen, { context });
    return session;
  }

  it("lists the deployments with listWorkloads, read-only under the platform's sentence, and asks the gateway nothing", async () => {
    vi.mocked(commands.listWorkloads).mockResolvedValue(ok([gpt, local]));
    renderLiteLlm();

    const row = await screen.findByTestId("deployment-row-gpt-4o-prod");
    expect(within(row).getAllByRole("cell").map((td) => td.textContent)).toEqual(["gpt-4o", "openai/gpt-4o", "https://api.openai.com/v1"]);
    expect(screen.getByTestId("deployment-row-llama-local")).toHaveTextContent("hosted_vllm/llama-3-8b");
    expect(screen.getAllByRole("columnheader").map((th) => th.textContent)).toEqual(["Name", "Model", "Where it forwards to"]);
    expect(screen.getByTestId("deployments-sentence")).toHaveTextContent(LISTED);
    expect(commands.listWorkloads).toHaveBeenCalledOnce();
    expect(commands.listGatewayWorkloads).not.toHaveBeenCalled();
    expect(commands.workloadSummary).not.toHaveBeenCalled();
    expect(commands.workloadEvents).not.toHaveBeenCalled();
    expect(screen.queryByRole("button", { name: /new workload/i })).not.toBeInTheDocument();
    expect(screen.queryByTestId("create-workload")).not.toBeInTheDocument();
    expect(screen.queryByTestId("workloads-table")).not.toBeInTheDocument();
  });

  it("shows loading, then an error with retry; and an empty list", async () => {
    const answer = deferred<Awaited<ReturnType<typeof commands.listWorkloads>>>();
    vi.mocked(commands.listWorkloads).mockReturnValue(answer.promise);
    renderLiteLlm();
    expect(await screen.findByTestId("deployments-loading")).toBeInTheDocument();

    answer.resolve(failure("The LiteLLM proxy did not answer: check its URL and that it is running."));
    expect(await screen.findByTestId("deployments-error")).toHaveTextContent("did not answer");
    expect(screen.queryByTestId("deployments-loading")).not.toBeInTheDocument();

    vi.mocked(commands.listWorkloads).mockResolvedValue(ok([]));
    await userEvent.setup().click(screen.getByTestId("deployments-retry"));
    expect(await screen.findByTestId("deployments-empty")).toHaveTextContent("LiteLLM lists no workloads for this profile.");
    expect(screen.queryByTestId("deployments-error")).not.toBeInTheDocument();
    expect(commands.listGatewayWorkloads).not.toHaveBeenCalled();
  });

  it("keeps the gateway's screen for a Keyward profile", async () => {
    vi.mocked(commands.listWorkloads).mockClear();
    vi.mocked(commands.listGatewayWorkloads).mockClear();
    const { session, context } = withSession();
    session.active = storedProfile();
    session.capabilities = keywardCapabilities();
    render(WorkloadsScreen, { context });

    await vi.waitFor(() => expect(slugs()).toHaveLength(3));
    expect(screen.getByTestId("create-workload")).toBeInTheDocument();
    expect(commands.listGatewayWorkloads).toHaveBeenCalledOnce();
    expect(commands.listWorkloads).not.toHaveBeenCalled();
    expect(screen.queryByTestId("deployments")).not.toBeInTheDocument();
  });
});
