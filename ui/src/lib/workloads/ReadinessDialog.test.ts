// Readiness view: the phases stream in through the channel (each marked done or
// current with when it was reached), the elapsed time, and the final state.
import { render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { commands, type ReadinessEvent } from "$lib/bindings";
import { openChannel } from "$lib/platform/channel";
import ReadinessDialog from "./ReadinessDialog.svelte";
import { deferred, ok, workload } from "./fixtures";

vi.mock("$lib/bindings", () => ({ commands: { followReadiness: vi.fn() } }));
vi.mock("$lib/platform/channel", () => ({ openChannel: vi.fn() }));

function phase(id: string): HTMLElement {
  return screen.getByTestId("readiness-phases").querySelector(`[data-phase="${id}"]`)!;
}

describe("ReadinessDialog", () => {
  it("follows the phases to ready with elapsed times", async () => {
    let send!: (event: ReadinessEvent) => void;
    vi.mocked(openChannel).mockImplementation((onmessage) => {
      send = onmessage as (event: ReadinessEvent) => void;
      return {} as never;
    });
    const end = deferred<Awaited<ReturnType<typeof commands.followReadiness>>>();
    vi.mocked(commands.followReadiness).mockReturnValue(end.promise);
    render(ReadinessDialog, { workload: workload({ slug: "chat" }), onclose: vi.fn() });
    expect(commands.followReadiness).toHaveBeenCalledWith("chat", expect.anything());
    expect(screen.getByTestId("readiness-elapsed")).toHaveTextContent("so far");

    send({ phase: "provisioning", message: "Waiting for http://x to accept connections.", elapsed_ms: 40 });
    await vi.waitFor(() => expect(phase("provisioning")).toHaveAttribute("data-state", "current"));
    expect(phase("scheduling")).toHaveAttribute("data-state", "done");
    send({ phase: "bootstrapping", message: "Loading llama.", elapsed_ms: 2_500 });
    await vi.waitFor(() => expect(phase("bootstrapping")).toHaveAttribute("data-state", "current"));
    expect(screen.getByTestId("readiness-message")).toHaveTextContent("Loading llama.");
    expect(phase("bootstrapping")).toHaveTextContent("2 s");

    const ready = { phase: "ready" as const, message: "http://x is serving llama.", elapsed_ms: 65_000 };
    send(ready);
    end.resolve(ok(ready));
    await vi.waitFor(() => expect(screen.getByTestId("readiness-elapsed")).toHaveTextContent("Ready after 1 min 5 s."));
    expect(phase("ready")).toHaveAttribute("data-state", "done");
    expect(screen.getByTestId("readiness-close")).toHaveTextContent("Close");
  });
});
