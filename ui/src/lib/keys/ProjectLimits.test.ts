// Project limits (issue #17): what OpenAI limits per project is shown read-only on a
// key's page — rate limits per model, the model rule, the monthly spend cap; a
// platform that keeps none answers null and nothing is shown; a failure is said inline
// with a retry.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { tick } from "svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { commands, type ProjectLimits as Limits } from "$lib/bindings";
import { deferred, failure, ok } from "./fixtures";
import ProjectLimits from "./ProjectLimits.svelte";

vi.mock("$lib/bindings", () => ({ commands: { projectLimits: vi.fn() } }));

const projectLimits = vi.mocked(commands.projectLimits);

const limits: Limits = {
  project_id: "proj_billing",
  rate_limits: [
    { model: "gpt-4o", requests_per_minute: 500, tokens_per_minute: 30000, requests_per_day: null },
    { model: "gpt-4o-mini", requests_per_minute: 1000, tokens_per_minute: 200000, requests_per_day: 10000 },
  ],
  models: { allow: false, models: ["o1", "o3"] },
  monthly_spend_cap: { micros: 250000000, currency: "USD", reset: "month" },
};

beforeEach(() => projectLimits.mockReset());

describe("ProjectLimits", () => {
  it("shows the project's per-model rate limits, its model rule and its monthly spend cap", async () => {
    projectLimits.mockResolvedValue(ok(limits));
    render(ProjectLimits, { projectId: "proj_billing", platform: "OpenAI" });

    const section = await screen.findByTestId("project-limits");
    expect(projectLimits).toHaveBeenCalledExactlyOnceWith("proj_billing");
    expect(within(section).getByRole("heading")).toHaveTextContent("Project limits (set in OpenAI)");
    const rows = within(section)
      .getAllByTestId("project-rate-limit")
      .map((tr) => [...tr.children].map((cell) => cell.textContent?.trim()));
    expect(rows).toEqual([
      ["gpt-4o", "500", "30,000", "—"],
      ["gpt-4o-mini", "1,000", "200,000", "10,000"],
    ]);
    expect(within(section).getByTestId("project-models")).toHaveTextContent("Every model but o1, o3");
    expect(within(section).getByTestId("project-spend-cap")).toHaveTextContent(/250\.00.*\/ month/);
  });

  it("says an allow list as the only models, and no rule as every model", async () => {
    projectLimits.mockResolvedValue(
      ok({ ...limits, rate_limits: [], models: { allow: true, models: ["gpt-4o"] }, monthly_spend_cap: null }),
    );
    render(ProjectLimits, { projectId: "proj_billing", platform: "OpenAI" });
    expect(await screen.findByTestId("project-models")).toHaveTextContent("Only gpt-4o");
    expect(screen.getByTestId("project-rate-limits-none")).toBeInTheDocument();
    expect(screen.getByTestId("project-spend-cap")).toHaveTextContent("None");
  });

  it("shows nothing where the platform keeps no project limits", async () => {
    projectLimits.mockResolvedValue(ok(null));
    const { container } = render(ProjectLimits, { projectId: "proj_local", platform: "Keyward gateway" });
    await vi.waitFor(() => expect(projectLimits).toHaveBeenCalled());
    // The answer is in once the call's promise has settled and Svelte has flushed.
    await projectLimits.mock.results[0]!.value;
    await tick();
    expect(container.textContent).toBe("");
    expect(screen.queryByTestId("project-limits")).not.toBeInTheDocument();
  });

  it("says it is loading when the answer is slow", async () => {
    const pending = deferred<Awaited<ReturnType<typeof commands.projectLimits>>>();
    projectLimits.mockReturnValue(pending.promise);
    render(ProjectLimits, { projectId: "proj_billing", platform: "OpenAI" });
    expect(await screen.findByTestId("project-limits-loading")).toHaveTextContent("Loading the project's limits…");
    pending.resolve(ok(limits));
    await vi.waitFor(() => expect(screen.queryByTestId("project-limits-loading")).not.toBeInTheDocument());
    expect(screen.getAllByTestId("project-rate-limit")).toHaveLength(2);
  });

  it("says why the limits could not be read, and Retry reads them again", async () => {
    projectLimits.mockResolvedValueOnce(failure("OpenAI could not be reached: timed out after 10 s.", "timeout"));
    projectLimits.mockResolvedValueOnce(ok(limits));
    render(ProjectLimits, { projectId: "proj_billing", platform: "OpenAI" });

    const error = await screen.findByTestId("project-limits-error");
    expect(error).toHaveTextContent("OpenAI could not be reached: timed out after 10 s.");
    await userEvent.setup().click(within(error).getByRole("button", { name: "Retry" }));
    expect(await screen.findAllByTestId("project-rate-limit")).toHaveLength(2);
    expect(projectLimits).toHaveBeenCalledTimes(2);
  });
});
