// The sidebar switcher: it lists the profiles with the active one selected, switches
// only through Rust (showing progress meanwhile), and after a failed switch goes back
// to the profile still in use and says why.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { commands } from "$lib/bindings";
import { deferred, failure, ok } from "$lib/keys/fixtures";
import ActiveProfile from "./ActiveProfile.svelte";
import { local, profileList, staging, withSession } from "./fixtures";

vi.mock("$lib/bindings", () => ({
  commands: { activeProfile: vi.fn(), listProfiles: vi.fn(), switchProfile: vi.fn() },
}));

const switchProfile = vi.mocked(commands.switchProfile);

beforeEach(() => {
  for (const command of Object.values(commands)) vi.mocked(command).mockReset();
  vi.mocked(commands.listProfiles).mockResolvedValue(ok(profileList("local", local, staging)));
  vi.mocked(commands.activeProfile).mockResolvedValue(ok(local));
});

async function setup() {
  const { session, context } = withSession();
  render(ActiveProfile, { context });
  await session.load();
  return { session, user: userEvent.setup(), switcher: screen.getByTestId("profile-switcher") as HTMLSelectElement };
}

describe("ActiveProfile", () => {
  it("is a labelled select of every profile, showing the active one's project and address", async () => {
    const { switcher } = await setup();

    expect(screen.getByRole("combobox", { name: "Profile" })).toBe(switcher);
    expect(within(switcher).getAllByRole("option").map((o) => [o.getAttribute("value"), o.textContent])).toEqual([
      ["local", "Local"],
      ["prof_staging", "Staging"],
    ]);
    expect(switcher).toHaveValue("local");
    expect(screen.getByTestId("profile-url")).toHaveTextContent("http://127.0.0.1:7070");
    expect(screen.getByTestId("active-profile")).toHaveTextContent("proj_local");
  });

  it("switches through Rust, shows progress meanwhile, then shows the new profile", async () => {
    const pending = deferred<Awaited<ReturnType<typeof commands.switchProfile>>>();
    switchProfile.mockReturnValue(pending.promise);
    const { session, user, switcher } = await setup();

    await user.selectOptions(switcher, "prof_staging");

    expect(switchProfile).toHaveBeenCalledExactlyOnceWith("prof_staging");
    expect(screen.getByTestId("profile-switching")).toHaveTextContent("Switching to Staging…");
    // The status takes the project line's place, so the card keeps its two lines and
    // the navigation below does not move under a pointer (an e2e click once landed on
    // Workloads instead of Keys this way).
    const details = screen.getByTestId("profile-url").parentElement!;
    expect(details.children).toHaveLength(2);
    expect(details).toContainElement(screen.getByTestId("profile-switching"));
    expect(switcher).toBeDisabled();
    expect(session.version).toBe(0);

    pending.resolve(ok(staging));
    await vi.waitFor(() => expect(screen.getByTestId("profile-url")).toHaveTextContent("https://gw.staging.example.com"));
    expect(switcher).toHaveValue("prof_staging");
    expect(switcher).toBeEnabled();
    expect(screen.queryByTestId("profile-switching")).not.toBeInTheDocument();
    expect(screen.getByTestId("active-profile")).toHaveTextContent("proj_staging");
    expect(session.version).toBe(1);
  });

  it("goes back to the previous profile and says why when the switch fails", async () => {
    switchProfile.mockResolvedValue(
      failure('The token of profile "Staging" is no longer in the keychain. Enter it again in the profile\'s settings.', "keychain_missing"),
    );
    const { session, user, switcher } = await setup();

    await user.selectOptions(switcher, "prof_staging");

    const error = await screen.findByTestId("profile-switch-error");
    expect(error).toHaveAttribute("role", "alert");
    expect(error).toHaveTextContent('The token of profile "Staging" is no longer in the keychain.');
    expect(switcher).toHaveValue("local");
    expect(screen.getByTestId("profile-url")).toHaveTextContent("http://127.0.0.1:7070");
    expect(session.activeId).toBe("local");
    expect(session.version).toBe(0);
  });

  it("is reached with Tab (a native select, so the arrow keys work as on any select)", async () => {
    const { user, switcher } = await setup();

    await user.tab();

    expect(switcher).toHaveFocus();
    expect(switcher.tagName).toBe("SELECT");
  });

  it("names Local as unavailable rather than showing another profile when Local could not be set up", async () => {
    vi.mocked(commands.listProfiles).mockResolvedValue(ok(profileList("local", staging)));
    vi.mocked(commands.activeProfile).mockResolvedValue(
      failure("Keyward could not store Local's token: no keychain service is running.", "keychain_unavailable"),
    );
    const { switcher } = await setup();

    expect(switcher).toHaveValue("local");
    expect(within(switcher).getByRole("option", { name: "Local (unavailable)" })).toBeDisabled();
    expect(screen.getByTestId("active-profile-error")).toHaveTextContent("no keychain service is running");
    expect(screen.queryByTestId("profile-url")).not.toBeInTheDocument();
  });
});
