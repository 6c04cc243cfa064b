// The read-only deployments list (LiteLLM, issue #18) with the health its platform
// reports in the same read: a Health column in words (badge text, not colour alone) with
// how many of the model's endpoints answer, each problem listed under its row, one
// sentence instead when the platform could not say, Refresh reading again, and no
// Health column where the platform reports no status.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { commands, type WorkloadRef, type WorkloadStatus } from "$lib/bindings";
import { storedProfile, withSession } from "$lib/profiles/fixtures";
import { gcoreCapabilities, liteLlmCapabilities } from "$lib/capabilities/fixtures";
import DeploymentsList from "./DeploymentsList.svelte";
import { deferred, deploymentDetail, ok } from "./fixtures";

vi.mock("$lib/bindings", () => ({
  commands: {
    listWorkloads: vi.fn(),
    listProfiles: vi.fn(),
    activeProfile: vi.fn(),
    createDeployment: vi.fn(),
    getDeployment: vi.fn(),
    deploymentChange: vi.fn(),
  },
}));

const listWorkloads = vi.mocked(commands.listWorkloads);

function deployment(id: string, name: string, upstream: string, status: WorkloadStatus | null): WorkloadRef {
  return { id, slug: name, name, model: name, upstream, created_at: null, status };
}

const healthy = (ready: number, total: number): WorkloadStatus => ({ state: "healthy", ready, total, problems: [] });
const REFUSED = "azure/gpt-4o at https://eu.example.invalid: litellm.APIConnectionError: Connection refused";

function renderList() {
  const { session, context } = withSession();
  session.active = storedProfile({ id: "prof_litellm", name: "LiteLLM", kind: "litellm", base_url: "http://127.0.0.1:4000" });
  session.capabilities = liteLlmCapabilities();
  render(DeploymentsList, { context });
  return { user: userEvent.setup() };
}

beforeEach(() => {
  listWorkloads.mockReset();
});

describe("DeploymentsList health (issue #18)", () => {
  it("shows each deployment's health in words with its endpoints, and the problems under a degraded row", async () => {
    listWorkloads.mockResolvedValue(
      ok([
        deployment("a", "gpt-4o", "openai/gpt-4o", { state: "degraded", ready: 1, total: 2, problems: [REFUSED] }),
        deployment("b", "gpt-4o-mini", "openai/gpt-4o-mini", healthy(1, 1)),
        deployment("c", "llama", "http://10.0.0.7:8000/v1", { state: "down", ready: 0, total: 1, problems: ["hosted_vllm/llama at http://10.0.0.7:8000/v1: timeout"] }),
      ]),
    );
    renderList();
    const row = await screen.findByTestId("deployment-row-gpt-4o");
    expect(screen.getAllByRole("columnheader").map((th) => th.textContent)).toEqual(["Name", "Model", "Where it forwards to", "Health"]);
    const health = within(row).getByTestId("deployment-health");
    expect(within(health).getByTestId("workload-state")).toHaveTextContent("Degraded");
    expect(health).toHaveTextContent("1 of 2 endpoints");
    expect(within(screen.getByTestId("deployment-row-gpt-4o-mini")).getByTestId("workload-state")).toHaveTextContent("Healthy");
    expect(within(screen.getByTestId("deployment-row-gpt-4o-mini")).getByTestId("deployment-health")).toHaveTextContent("1 of 1 endpoint");
    expect(within(screen.getByTestId("deployment-row-llama")).getByTestId("workload-state")).toHaveTextContent("Down");

    const problems = screen.getByTestId("deployment-problems-gpt-4o");
    expect(within(problems).getByRole("list", { name: "Problems of gpt-4o" })).toBeInTheDocument();
    expect(within(problems).getAllByRole("listitem").map((li) => li.textContent)).toEqual([REFUSED]);
    expect(screen.queryByTestId("deployment-problems-gpt-4o-mini")).not.toBeInTheDocument();
    expect(screen.getByTestId("deployment-problems-llama")).toHaveTextContent("timeout");
    expect(screen.queryByTestId("deployments-health-note")).not.toBeInTheDocument();
  });

  it("says once why health is unknown when /health failed, and still lists every deployment", async () => {
    const why = "Health is unknown: the proxy's /health did not answer (LiteLLM proxy answered HTTP 500).";
    const unknown: WorkloadStatus = { state: "unknown", ready: null, total: null, problems: [why] };
    listWorkloads.mockResolvedValue(ok([deployment("a", "gpt-4o", "openai/gpt-4o", unknown), deployment("b", "claude", "anthropic/claude", unknown)]));
    renderList();
    expect(await screen.findByTestId("deployments-health-note")).toHaveTextContent(why);
    expect(screen.getAllByTestId("workload-state").map((b) => b.textContent)).toEqual(["Unknown", "Unknown"]);
    expect(screen.queryByTestId("deployment-problems-gpt-4o")).not.toBeInTheDocument();
    expect(screen.getByTestId("deployments-table")).not.toHaveTextContent(why);
  });

  it("reads again on Refresh, keeping the list on screen meanwhile", async () => {
    listWorkloads.mockResolvedValue(ok([deployment("a", "gpt-4o", "openai/gpt-4o", { state: "down", ready: 0, total: 1, problems: [REFUSED] })]));
    const { user } = renderList();
    expect(await screen.findByTestId("deployment-problems-gpt-4o")).toBeInTheDocument();

    const again = deferred<Awaited<ReturnType<typeof commands.listWorkloads>>>();
    listWorkloads.mockReturnValue(again.promise);
    const refresh = screen.getByTestId("deployments-refresh");
    refresh.focus();
    await user.keyboard("{Enter}");
    expect(refresh).toHaveTextContent("Refreshing…");
    expect(refresh).toBeDisabled();
    expect(screen.getByTestId("deployment-row-gpt-4o")).toBeInTheDocument();

    again.resolve(ok([deployment("a", "gpt-4o", "openai/gpt-4o", healthy(1, 1))]));
    await vi.waitFor(() => expect(screen.getByTestId("workload-state")).toHaveTextContent("Healthy"));
    expect(screen.queryByTestId("deployment-problems-gpt-4o")).not.toBeInTheDocument();
    expect(refresh).toHaveTextContent("Refresh");
    expect(listWorkloads).toHaveBeenCalledTimes(2);
  });

  it("has no Health column where the platform reports no status", async () => {
    listWorkloads.mockResolvedValue(ok([deployment("a", "gpt-4o", "openai/gpt-4o", null)]));
    renderList();
    await screen.findByTestId("deployment-row-gpt-4o");
    expect(screen.getAllByRole("columnheader").map((th) => th.textContent)).toEqual(["Name", "Model", "Where it forwards to"]);
    expect(screen.queryByTestId("deployment-health")).not.toBeInTheDocument();
  });
});

// Issue #19: where Keyward drives the platform's workloads (Gcore), the list creates and
// opens them; where it only lists them (LiteLLM), it does neither.
describe("DeploymentsList on a platform Keyward drives", () => {
  function renderGcore() {
    const { session, context } = withSession();
    session.active = storedProfile({ id: "prof_gcore", name: "Gcore", kind: "gcore", base_url: "http://127.0.0.1:9" });
    session.capabilities = gcoreCapabilities();
    render(DeploymentsList, { context });
    return { user: userEvent.setup() };
  }

  it("offers New workload and opens a workload's page from its name; LiteLLM offers neither", async () => {
    listWorkloads.mockResolvedValue(ok([deployment("llama-chat", "llama-chat", "https://llama-chat-379.ai.gcore.dev", healthy(2, 2))]));
    vi.mocked(commands.getDeployment).mockResolvedValue(ok(deploymentDetail()));
    const { user } = renderGcore();
    await screen.findByTestId("deployment-row-llama-chat");
    expect(within(screen.getByTestId("deployment-row-llama-chat")).getByTestId("deployment-health")).toHaveTextContent("2 of 2 ready");
    expect(screen.getByTestId("deployments-create")).toHaveTextContent("New workload");
    await user.click(screen.getByTestId("deployment-open"));
    expect(await screen.findByTestId("deployment-page")).toBeInTheDocument();
    expect(commands.getDeployment).toHaveBeenCalledWith("llama-chat");
  });

  it("opens a created workload's page, following its task there", async () => {
    listWorkloads.mockResolvedValue(ok([]));
    vi.mocked(commands.createDeployment).mockResolvedValue(ok({ workload_id: "qwen-chat", follow: "task-1" }));
    vi.mocked(commands.getDeployment).mockResolvedValue(ok(deploymentDetail()));
    vi.mocked(commands.deploymentChange).mockResolvedValue(ok({ follow: "task-1", state: "running", message: null }));
    const { user } = renderGcore();
    expect(await screen.findByTestId("deployments-empty")).toHaveTextContent("create one with New workload");
    await user.click(screen.getByTestId("deployments-create"));
    await user.type(screen.getByTestId("deployment-name"), "qwen-chat");
    await user.click(screen.getByTestId("deployment-save"));
    expect(await screen.findByTestId("deployment-page")).toBeInTheDocument();
    await vi.waitFor(() => expect(commands.deploymentChange).toHaveBeenCalledWith("task-1"));
    expect(screen.getByTestId("deployment-change")).toHaveTextContent("Creating: In progress…");
    expect(commands.getDeployment).toHaveBeenCalledWith("qwen-chat");
  });

  it("leaves out columns no workload has (Gcore: no model, no upstream) and says no 0 of 0", async () => {
    const container = (name: string, status: WorkloadStatus): WorkloadRef => ({ id: name, slug: name, name, model: null, upstream: null, created_at: null, status });
    listWorkloads.mockResolvedValue(ok([container("llama-chat", healthy(2, 2)), container("sd-turbo", { state: "disabled", ready: 0, total: 0, problems: [] })]));
    renderGcore();
    await screen.findByTestId("deployment-row-sd-turbo");
    expect(screen.getAllByRole("columnheader").map((th) => th.textContent)).toEqual(["Name", "Health"]);
    expect(within(screen.getByTestId("deployment-row-sd-turbo")).getByTestId("deployment-health")).toHaveTextContent(/^Stopped$/);
    expect(within(screen.getByTestId("deployment-row-llama-chat")).getByTestId("deployment-health")).toHaveTextContent("Healthy 2 of 2 ready");
  });

  it("has no create or open on a platform it only lists (LiteLLM)", async () => {
    listWorkloads.mockResolvedValue(ok([deployment("a", "gpt-4o", "openai/gpt-4o", null)]));
    renderList();
    await screen.findByTestId("deployment-row-gpt-4o");
    expect(screen.queryByTestId("deployments-create")).not.toBeInTheDocument();
    expect(screen.queryByTestId("deployment-open")).not.toBeInTheDocument();
  });
});
