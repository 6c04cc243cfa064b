// The shell: product name, the active profile from the backend, and the Keys screen as
// the current page.
import { render, screen } from "@testing-library/svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { commands } from "$lib/bindings";
import App from "./App.svelte";
import { failure, keyPage, ok } from "$lib/keys/fixtures";

vi.mock("$lib/bindings", () => ({
  commands: { activeProfile: vi.fn(), listKeys: vi.fn() },
}));

const activeProfile = vi.mocked(commands.activeProfile);

beforeEach(() => {
  activeProfile.mockReset();
  vi.mocked(commands.listKeys).mockResolvedValue(ok(keyPage([])));
});

describe("App", () => {
  it("shows the product, the active profile and the Keys screen", async () => {
    activeProfile.mockResolvedValue(
      ok({ id: "local", name: "Local", base_url: "http://127.0.0.1:7070", project_id: "proj_local" }),
    );
    render(App);

    expect(screen.getByText("Keyward")).toBeInTheDocument();
    const profile = screen.getByTestId("active-profile");
    await vi.waitFor(() => expect(profile).toHaveTextContent("Local"));
    expect(profile).toHaveTextContent("proj_local");
    expect(screen.getByRole("button", { name: "Keys" })).toHaveAttribute("aria-current", "page");
    expect(screen.getByRole("heading", { level: 1, name: "API keys" })).toBeInTheDocument();
  });

  it("shows why the profile could not be loaded", async () => {
    activeProfile.mockResolvedValue(failure("The keychain is locked."));
    render(App);

    await vi.waitFor(() => expect(screen.getByTestId("active-profile")).toHaveTextContent("The keychain is locked."));
  });
});
