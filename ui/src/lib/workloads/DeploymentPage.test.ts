// A platform workload's page (Gcore's shape, issue #19) against mocked commands: where
// it stands and why (regions, the platform's error per region), what it runs and which
// keys are attached; an edit sends only what changed and is followed to its end; stop
// and start; a delete confirmed, followed until done, then the page leaves; a change
// that fails says the platform's words; the log on demand; actions the platform lacks
// are absent with its sentence.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { commands, type ChangeProgress } from "$lib/bindings";
import { gcoreCapabilities, liteLlmCapabilities } from "$lib/capabilities/fixtures";
import DeploymentPage from "./DeploymentPage.svelte";
import { deploymentDetail, failure, ok } from "./fixtures";

vi.mock("$lib/bindings", () => ({
  commands: {
    getDeployment: vi.fn(),
    updateDeployment: vi.fn(),
    deleteDeployment: vi.fn(),
    setDeploymentRunning: vi.fn(),
    deploymentChange: vi.fn(),
    deploymentLogs: vi.fn(),
    followDeploymentReadiness: vi.fn(),
  },
}));
vi.mock("./changes", async (original) => {
  const real = await original<typeof import("./changes")>();
  // Polls without waiting, so a change's steps play out at once.
  return { ...real, followChange: (f: string, on: (p: ChangeProgress) => void, stopped: () => boolean) => real.followChange(f, on, stopped, async () => {}) };
});

const getDeployment = vi.mocked(commands.getDeployment);
const deploymentChange = vi.mocked(commands.deploymentChange);
const progress = (state: ChangeProgress["state"], message: string | null = null): ChangeProgress => ({ follow: "task-1", state, message });

function renderPage(capabilities = gcoreCapabilities()) {
  const onback = vi.fn();
  const ondeleted = vi.fn();
  render(DeploymentPage, { workloadId: "llama-chat", capabilities, onback, ondeleted });
  return { onback, ondeleted, user: userEvent.setup() };
}

beforeEach(() => {
  for (const command of Object.values(commands)) vi.mocked(command).mockReset();
  getDeployment.mockResolvedValue(ok(deploymentDetail()));
});

describe("DeploymentPage", () => {
  it("shows where the workload stands, what it runs, its regions and the keys attached", async () => {
    renderPage();
    expect(await screen.findByRole("heading", { name: "llama-chat" })).toBeInTheDocument();
    expect(screen.getByTestId("workload-state")).toHaveTextContent("Healthy");
    expect(screen.getByTestId("deployment-ready")).toHaveTextContent("2 of 2 ready");
    expect(screen.getByTestId("deployment-shows-image")).toHaveTextContent("vllm/vllm-openai:v0.6.3");
    expect(screen.getByTestId("deployment-address")).toHaveTextContent("https://llama-chat-379.ai.gcore.dev");
    expect(screen.getAllByTestId("deployment-region-row").map((r) => r.textContent)).toEqual([
      expect.stringContaining("761 of 1"),
      expect.stringContaining("381 of 1"),
    ]);
    expect(screen.getByTestId("deployment-keys")).toHaveTextContent("ci-runner");
    expect(getDeployment).toHaveBeenCalledWith("llama-chat");
  });

  it("says what is wrong in a partly deployed workload, region by region", async () => {
    getDeployment.mockResolvedValue(
      ok(
        deploymentDetail({
          workload: {
            ...deploymentDetail().workload,
            status: { state: "degraded", ready: 1, total: 2, problems: ["region 38: image pull failed"] },
          },
          regions: [
            { region: "76", ready: 1, total: 1, address: null, error: null },
            { region: "38", ready: 0, total: 1, address: null, error: "image pull failed" },
          ],
        }),
      ),
    );
    renderPage();
    expect(await screen.findByTestId("deployment-problems")).toHaveTextContent("region 38: image pull failed");
    expect(screen.getByTestId("workload-state")).toHaveTextContent("Degraded");
    expect(screen.getAllByTestId("deployment-region-row")[1]).toHaveTextContent("0 of 1");
  });

  it("stops a running workload and follows the change until it is done", async () => {
    vi.mocked(commands.setDeploymentRunning).mockResolvedValue(ok({ workload_id: "llama-chat", follow: "task-1" }));
    deploymentChange.mockResolvedValueOnce(ok(progress("queued"))).mockResolvedValueOnce(ok(progress("running"))).mockResolvedValueOnce(ok(progress("done")));
    const { user } = renderPage();
    const button = await screen.findByTestId("deployment-start-stop");
    expect(button).toHaveTextContent("Stop");
    getDeployment.mockResolvedValue(ok(deploymentDetail({ workload: { ...deploymentDetail().workload, status: { state: "disabled", ready: 0, total: 0, problems: [] } } })));
    await user.click(button);

    expect(commands.setDeploymentRunning).toHaveBeenCalledExactlyOnceWith("llama-chat", false);
    expect(await screen.findByText("Stopping: Done.")).toBeInTheDocument();
    expect(deploymentChange).toHaveBeenCalledTimes(3);
    expect(screen.getByTestId("workload-state")).toHaveTextContent("Stopped");
    expect(screen.getByTestId("deployment-start-stop")).toHaveTextContent("Start");
  });

  it("says a change that failed in the platform's words", async () => {
    vi.mocked(commands.setDeploymentRunning).mockResolvedValue(ok({ workload_id: "llama-chat", follow: "task-1" }));
    deploymentChange.mockResolvedValueOnce(ok(progress("running"))).mockResolvedValueOnce(ok(progress("failed", "No capacity for inference-1xl40s-48gb in region 38")));
    const { user } = renderPage();
    await user.click(await screen.findByTestId("deployment-start-stop"));
    const said = await screen.findByTestId("deployment-change");
    await vi.waitFor(() => expect(said).toHaveTextContent("Stopping failed: No capacity for inference-1xl40s-48gb in region 38"));
    expect(said).toHaveClass("alert-error");
  });

  it("deletes after a confirmation, follows the platform until it is gone, then leaves", async () => {
    vi.mocked(commands.deleteDeployment).mockResolvedValue(ok({ workload_id: "llama-chat", follow: "task-1" }));
    deploymentChange.mockResolvedValueOnce(ok(progress("running"))).mockResolvedValueOnce(ok(progress("done")));
    const { user, ondeleted } = renderPage();
    await user.click(await screen.findByTestId("deployment-delete"));
    const dialog = screen.getByTestId("deployment-delete-dialog");
    expect(dialog).toHaveTextContent("Keys attached to it stay");
    expect(commands.deleteDeployment).not.toHaveBeenCalled();
    getDeployment.mockResolvedValue(failure("Gcore has no deployment llama-chat.", "not_found"));
    await user.click(within(dialog).getByTestId("deployment-delete-confirm"));

    expect(commands.deleteDeployment).toHaveBeenCalledExactlyOnceWith("llama-chat");
    await vi.waitFor(() => expect(ondeleted).toHaveBeenCalledWith("llama-chat"));
  });

  it("keeps the page and says why when the platform refuses an action", async () => {
    vi.mocked(commands.deleteDeployment).mockResolvedValue(failure("This token may not delete deployments in project 379.", "forbidden"));
    const { user, ondeleted } = renderPage();
    await user.click(await screen.findByTestId("deployment-delete"));
    await user.click(screen.getByTestId("deployment-delete-confirm"));
    expect(await screen.findByTestId("deployment-action-error")).toHaveTextContent("This token may not delete deployments in project 379.");
    expect(ondeleted).not.toHaveBeenCalled();
    expect(screen.getByRole("heading", { name: "llama-chat" })).toBeInTheDocument();
  });

  it("edits: only what changed is sent, then the change is followed", async () => {
    vi.mocked(commands.updateDeployment).mockResolvedValue(ok({ workload_id: "llama-chat", follow: "task-1" }));
    deploymentChange.mockResolvedValue(ok(progress("done")));
    const { user } = renderPage();
    await user.click(await screen.findByTestId("deployment-edit"));
    const image = screen.getByTestId("deployment-image") as HTMLInputElement;
    expect(image.value).toBe("vllm/vllm-openai:v0.6.3");
    await user.clear(image);
    await user.type(image, "vllm/vllm-openai:v0.7.0");
    await user.click(screen.getByTestId("deployment-save"));

    expect(commands.updateDeployment).toHaveBeenCalledExactlyOnceWith("llama-chat", {
      name: "llama-chat",
      slug: null,
      description: null,
      model: null,
      backend: null,
      task_type: null,
      image: "vllm/vllm-openai:v0.7.0",
      flavor: null,
      port: null,
      regions: [],
      env: null,
      command: null,
      auth_enabled: null,
      probes: null,
    });
    expect(await screen.findByText("Saving: Done.")).toBeInTheDocument();
  });

  it("reads the log on demand", async () => {
    vi.mocked(commands.deploymentLogs).mockResolvedValue(ok([{ at: "2026-12-05T10:00:00Z", source: "76", message: "INFO: Uvicorn running on :8000" }]));
    const { user } = renderPage();
    await user.click(await screen.findByTestId("deployment-logs-read"));
    expect(commands.deploymentLogs).toHaveBeenCalledWith("llama-chat", 200);
    expect(await screen.findByTestId("deployment-logs")).toHaveTextContent("[76] INFO: Uvicorn running on :8000");
  });

  it("offers only what the platform can do, with its sentence for the log", async () => {
    renderPage(liteLlmCapabilities());
    await screen.findByRole("heading", { name: "llama-chat" });
    for (const id of ["deployment-edit", "deployment-start-stop", "deployment-delete", "deployment-logs-read", "deployment-readiness-follow"]) {
      expect(screen.queryByTestId(id)).not.toBeInTheDocument();
    }
    expect(screen.getByTestId("deployment-logs-instead")).toHaveTextContent("The proxy keeps no per-deployment log in its API.");
  });
});
