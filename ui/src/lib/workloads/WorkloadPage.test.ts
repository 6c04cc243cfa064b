// Workload page: status and reason, Rust-drawn charts shown as data-URL images (never
// inserted as markup), a tooltip from the hover points (pointer and arrow keys), the
// period picker asking for that period, the keys allowed to call it and its usage.
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { commands } from "$lib/bindings";
import WorkloadPage from "./WorkloadPage.svelte";
import { healthView, keyRef, ok, workload, workloadKeys } from "./fixtures";

vi.mock("$lib/bindings", () => ({
  commands: { workloadCharts: vi.fn(), workloadKeys: vi.fn(), workloadUsage: vi.fn() },
}));

const chat = workload({ slug: "chat", name: "Chat" });

beforeEach(() => {
  vi.mocked(commands.workloadCharts).mockReset().mockResolvedValue(
    ok(healthView({ status: "degraded", reason: "KV cache 99% for 5 min." })),
  );
  vi.mocked(commands.workloadKeys).mockResolvedValue(
    ok(workloadKeys([keyRef({ name: "chat-frontend" }), keyRef({ id: "key_2", name: "everything", project_wide: true })])),
  );
  vi.mocked(commands.workloadUsage).mockResolvedValue(ok({ requests: 1234, errors: 5, input_tokens: 56000, output_tokens: 78000 }));
});

describe("WorkloadPage", () => {
  it("shows status, charts as images with a tooltip, keys and usage", async () => {
    render(WorkloadPage, { workload: chat, onback: vi.fn(), onedit: vi.fn(), ondelete: vi.fn() });
    expect(await screen.findByTestId("workload-reason")).toHaveTextContent("KV cache 99% for 5 min.");
    expect(screen.getByTestId("status-badge")).toHaveAttribute("data-status", "degraded");
    const chart = await screen.findByTestId("chart-latency");
    const img = chart.querySelector("img")!;
    expect(img.getAttribute("src")).toMatch(/^data:image\/svg\+xml;charset=utf-8,%3Csvg/);
    expect(chart.querySelector("svg")).toBeNull();
    expect(commands.workloadCharts).toHaveBeenCalledWith(chat.id, "hour", expect.stringMatching(/light|dark/), expect.any(Number), expect.any(String));

    const frame = within(chart).getByRole("img");
    frame.focus();
    await fireEvent.keyDown(frame, { key: "ArrowRight" });
    expect(within(chart).getByTestId("chart-tooltip")).toHaveTextContent("11:00");
    await fireEvent.keyDown(frame, { key: "ArrowRight" });
    expect(within(chart).getByTestId("chart-tooltip")).toHaveTextContent("1.2 s");

    expect(await screen.findByTestId("workload-keys")).toHaveTextContent("chat-frontend");
    expect(screen.getByText(/project-wide access: everything/)).toBeInTheDocument();
    expect(await screen.findByTestId("workload-usage")).toHaveTextContent(new Intl.NumberFormat().format(1234));
  });

  it("offers a viewer no edit or delete", async () => {
    render(WorkloadPage, { workload: chat, onback: vi.fn(), onedit: vi.fn(), ondelete: vi.fn(), canWrite: false });
    expect(await screen.findByTestId("workload-reason")).toBeInTheDocument();
    expect(screen.queryByTestId("workload-edit")).not.toBeInTheDocument();
    expect(screen.queryByTestId("workload-delete")).not.toBeInTheDocument();
  });

  it("asks for the chosen period", async () => {
    const user = userEvent.setup();
    render(WorkloadPage, { workload: chat, onback: vi.fn(), onedit: vi.fn(), ondelete: vi.fn() });
    await screen.findByTestId("chart-latency");
    await user.click(screen.getByTestId("period-day"));
    expect(screen.getByTestId("period-day")).toHaveAttribute("aria-checked", "true");
    await vi.waitFor(() => expect(commands.workloadCharts).toHaveBeenLastCalledWith(chat.id, "day", expect.any(String), expect.any(Number), expect.any(String)));
    expect(commands.workloadUsage).toHaveBeenLastCalledWith("chat", "day");
  });
});
