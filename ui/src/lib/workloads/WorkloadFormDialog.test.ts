// Workload form: the slug follows the name on create; every bad field the Rust check
// names shows under its input before any request, focus on the first; a server field
// error (duplicate slug) lands under its field; edit starts from the workload.
import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { commands, type WorkloadForm } from "$lib/bindings";
import WorkloadFormDialog from "./WorkloadFormDialog.svelte";
import { failure, ok, workload } from "./fixtures";

vi.mock("$lib/bindings", () => ({
  commands: {
    workloadChoices: vi.fn(),
    checkWorkloadForm: vi.fn(),
    createWorkload: vi.fn(),
    updateWorkload: vi.fn(),
  },
}));

const check = vi.mocked(commands.checkWorkloadForm);
const create = vi.mocked(commands.createWorkload);

beforeEach(() => {
  vi.mocked(commands.workloadChoices).mockResolvedValue({
    backends: ["ollama", "vllm", "sglang"],
    task_types: ["text2text", "embedding"],
    execution_policies: ["fixed", "autoscaling"],
  });
  check.mockReset().mockResolvedValue([]);
  create.mockReset();
});

function setup(props: Record<string, unknown> = {}) {
  const oncancel = vi.fn();
  const onsaved = vi.fn();
  render(WorkloadFormDialog, { oncancel, onsaved, ...props });
  return { user: userEvent.setup(), oncancel, onsaved };
}

describe("WorkloadFormDialog", () => {
  it("shows every problem inline before any request, and focuses the first", async () => {
    check.mockResolvedValue([
      { field: "slug", message: "slug must be 1–63 lowercase letters, digits or '-'." },
      { field: "metrics_urls", message: "metrics_urls must be an http:// or https:// URL." },
    ]);
    const { user } = setup();
    await user.type(screen.getByTestId("workload-name"), "Chat A");
    expect(screen.getByTestId("workload-slug")).toHaveValue("chat-a");
    await user.type(screen.getByTestId("workload-metrics_urls"), "nope");
    await user.click(screen.getByTestId("workload-save"));

    expect(await screen.findByTestId("field-error-slug")).toHaveTextContent("lowercase letters");
    expect(screen.getByTestId("field-error-metrics_urls")).toHaveTextContent("http://");
    expect(screen.getByTestId("workload-slug")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("workload-slug")).toHaveFocus();
    expect(create).not.toHaveBeenCalled();
    const sent = check.mock.calls[0]![0] as WorkloadForm;
    expect(sent.metrics_urls).toEqual(["nope"]);
  });

  it("creates a clean form and puts a server field error under its field", async () => {
    create.mockResolvedValueOnce(failure("This project already has a workload with slug \"chat\".", "conflict", "slug"));
    const { user, onsaved } = setup();
    await user.type(screen.getByTestId("workload-name"), "Chat");
    await user.type(screen.getByTestId("workload-model_name"), "llama");
    await user.type(screen.getByTestId("workload-upstream_url"), "http://10.0.0.5:8000");
    await user.click(screen.getByTestId("workload-save"));
    expect(await screen.findByTestId("field-error-slug")).toHaveTextContent("already has a workload");
    const sent = create.mock.calls[0]![0];
    expect(sent).toMatchObject({ name: "Chat", slug: "chat", model_name: "llama", backend: "vllm", upstream_url: "http://10.0.0.5:8000" });

    const made = workload({ slug: "chat-2" });
    create.mockResolvedValueOnce(ok(made));
    await user.clear(screen.getByTestId("workload-slug"));
    await user.type(screen.getByTestId("workload-slug"), "chat-2");
    await user.click(screen.getByTestId("workload-save"));
    await vi.waitFor(() => expect(onsaved).toHaveBeenCalledWith(made));
  });

  it("edits from the workload as it is, sending the whole form to update", async () => {
    const current = workload({ slug: "chat", name: "Chat", metrics_urls: ["http://a/metrics", "http://b/metrics"], vllm_version: "0.6.3" });
    vi.mocked(commands.updateWorkload).mockResolvedValue(ok(current));
    const { user, onsaved } = setup({ workload: current });
    expect(screen.getByTestId("workload-metrics_urls")).toHaveValue("http://a/metrics\nhttp://b/metrics");
    expect(screen.getByTestId("workload-vllm_version")).toHaveValue("0.6.3");
    await user.type(screen.getByTestId("workload-name"), " v2");
    expect(screen.getByTestId("workload-slug")).toHaveValue("chat");
    await user.click(screen.getByTestId("workload-save"));
    await vi.waitFor(() => expect(onsaved).toHaveBeenCalled());
    expect(commands.updateWorkload).toHaveBeenCalledWith(current.id, expect.objectContaining({ name: "Chat v2", metrics_urls: ["http://a/metrics", "http://b/metrics"] }));
  });

  describe("when the check itself fails (a broken IPC bridge)", () => {
    // Issue #15: the dialog awaited checkWorkloadForm in input and submit handlers
    // without catching, so a rejection escaped as an unhandled promise.
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    beforeEach(() => {
      unhandled.length = 0;
      process.on("unhandledRejection", record);
    });
    afterEach(() => {
      process.off("unhandledRejection", record);
    });

    it("says so on the form, sends nothing, and leaves no unhandled rejection", async () => {
      vi.spyOn(console, "error").mockImplementation(() => {});
      check.mockRejectedValue(new Error("IPC bridge gone"));
      const { user, onsaved } = setup();
      await user.type(screen.getByTestId("workload-name"), "Chat");
      await user.click(screen.getByTestId("workload-save"));
      expect(await screen.findByTestId("workload-form-error")).toHaveTextContent("could not check the form");
      // Typing after a first attempt rechecks on every input: each rejection handled too.
      await user.type(screen.getByTestId("workload-model_name"), "llama");
      expect(check.mock.calls.length).toBeGreaterThan(1);
      // Let any escaped rejection reach the process before looking.
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(unhandled).toEqual([]);
      expect(create).not.toHaveBeenCalled();
      expect(onsaved).not.toHaveBeenCalled();

      // The bridge is back: the next check clears the sentence and saving goes on.
      check.mockResolvedValue([]);
      create.mockResolvedValueOnce(ok(workload()));
      await user.click(screen.getByTestId("workload-save"));
      await vi.waitFor(() => expect(onsaved).toHaveBeenCalled());
      expect(screen.queryByTestId("workload-form-error")).toBeNull();
    });

    it("the choices failing to load is a sentence too", async () => {
      vi.spyOn(console, "error").mockImplementation(() => {});
      vi.mocked(commands.workloadChoices).mockRejectedValue(new Error("IPC bridge gone"));
      setup();
      expect(await screen.findByTestId("workload-form-error")).toHaveTextContent("could not check the form");
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(unhandled).toEqual([]);
    });
  });
});
