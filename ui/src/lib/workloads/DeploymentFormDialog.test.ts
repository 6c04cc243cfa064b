// The platform workload form (issue #19): it asks only for the members the platform's
// form has, sends a create as the neutral spec (regions with their scale, environment
// lines as a map), says a line it cannot read under its field without sending, and puts
// the adapter's refusal under the field it names.
import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { commands, type WorkloadField } from "$lib/bindings";
import DeploymentFormDialog from "./DeploymentFormDialog.svelte";
import { failure, ok } from "./fixtures";

vi.mock("$lib/bindings", () => ({ commands: { createDeployment: vi.fn(), updateDeployment: vi.fn() } }));

const GCORE: WorkloadField[] = ["name", "description", "image", "flavor", "port", "regions", "env", "command", "auth_enabled", "probes"];
const INFERENCEKEY: WorkloadField[] = ["name", "slug", "description", "model", "backend", "task_type", "command"];

function renderForm(fields: WorkloadField[]) {
  const onsaved = vi.fn();
  render(DeploymentFormDialog, { fields, platform: "Gcore", oncancel: vi.fn(), onsaved });
  return { onsaved, user: userEvent.setup() };
}

beforeEach(() => {
  vi.mocked(commands.createDeployment).mockReset();
});

describe("DeploymentFormDialog", () => {
  it("asks only for what the platform's form has", () => {
    renderForm(INFERENCEKEY);
    for (const id of ["deployment-model", "deployment-backend", "deployment-task_type", "deployment-slug"]) expect(screen.getByTestId(id)).toBeInTheDocument();
    for (const id of ["deployment-image", "deployment-flavor", "deployment-port", "deployment-regions", "deployment-env", "deployment-auth"]) {
      expect(screen.queryByTestId(id)).not.toBeInTheDocument();
    }
  });

  it("creates a Gcore deployment from an image, a flavour, a port, two regions and environment lines", async () => {
    vi.mocked(commands.createDeployment).mockResolvedValue(ok({ workload_id: "llama-chat", follow: "task-9" }));
    const { user, onsaved } = renderForm(GCORE);
    await user.type(screen.getByTestId("deployment-name"), "llama-chat");
    await user.type(screen.getByTestId("deployment-image"), "vllm/vllm-openai:v0.6.3");
    await user.type(screen.getByTestId("deployment-flavor"), "inference-1xl40s-48gb");
    await user.type(screen.getByTestId("deployment-port"), "8000");
    await user.type(screen.getAllByTestId("deployment-region")[0]!, "76");
    await user.click(screen.getByTestId("deployment-add-region"));
    await user.type(screen.getAllByTestId("deployment-region")[1]!, "38");
    const max = screen.getAllByTestId("deployment-region-max")[1]!;
    await user.clear(max);
    await user.type(max, "3");
    await user.type(screen.getByTestId("deployment-env"), "HF_HOME=/data{Enter}TOKEN=a=b");
    await user.click(screen.getByTestId("deployment-save"));

    expect(commands.createDeployment).toHaveBeenCalledExactlyOnceWith({
      name: "llama-chat",
      slug: null,
      description: null,
      model: null,
      backend: null,
      task_type: null,
      image: "vllm/vllm-openai:v0.6.3",
      flavor: "inference-1xl40s-48gb",
      port: 8000,
      regions: [
        { region: "76", min: 1, max: 1 },
        { region: "38", min: 1, max: 3 },
      ],
      env: { HF_HOME: "/data", TOKEN: "a=b" },
      command: null,
      auth_enabled: true,
      probes: null,
    });
    expect(onsaved).toHaveBeenCalledWith({ workload_id: "llama-chat", follow: "task-9" }, "llama-chat");
  });

  it("says an environment line it cannot read, and a port out of range, without sending", async () => {
    const { user } = renderForm(GCORE);
    await user.type(screen.getByTestId("deployment-name"), "llama-chat");
    await user.type(screen.getByTestId("deployment-port"), "70000");
    await user.type(screen.getByTestId("deployment-env"), "HF_HOME");
    await user.click(screen.getByTestId("deployment-save"));
    expect(screen.getByTestId("field-error-port")).toHaveTextContent("Port must be a whole number from 0 to 65535.");
    expect(screen.getByTestId("field-error-env")).toHaveTextContent("Line 1 is not NAME=value.");
    expect(commands.createDeployment).not.toHaveBeenCalled();
    expect(screen.getByTestId("deployment-port")).toHaveFocus();
  });

  it("puts the platform's refusal under the field it names", async () => {
    vi.mocked(commands.createDeployment).mockResolvedValue(
      failure("A deployment name is 4 to 30 lower-case letters, digits and '-', starting and ending with a letter or digit.", "invalid_input", "name"),
    );
    const { user, onsaved } = renderForm(GCORE);
    await user.type(screen.getByTestId("deployment-name"), "Llama");
    await user.click(screen.getByTestId("deployment-save"));
    expect(await screen.findByTestId("field-error-name")).toHaveTextContent("A deployment name is 4 to 30 lower-case letters");
    expect(screen.getByTestId("deployment-name")).toHaveFocus();
    expect(onsaved).not.toHaveBeenCalled();
  });
});
