// Settings: the clipboard delay loads from Rust, is checked as 5–600 whole seconds
// under its field before any request, saves through updateKeySettings, and a field
// error from Rust lands in the same place. About names the build's version and commit.
import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { commands } from "$lib/bindings";
import SettingsScreen from "./SettingsScreen.svelte";
import { failure, ok } from "./fixtures";

vi.mock("$lib/bindings", () => ({
  commands: { keySettings: vi.fn(), updateKeySettings: vi.fn(), appVersion: vi.fn() },
}));

const keySettings = vi.mocked(commands.keySettings);
const updateKeySettings = vi.mocked(commands.updateKeySettings);
const appVersion = vi.mocked(commands.appVersion);

async function ready() {
  const user = userEvent.setup();
  render(SettingsScreen);
  const input = await screen.findByTestId("settings-clipboard-seconds");
  return { user, input };
}

beforeEach(() => {
  keySettings.mockReset();
  updateKeySettings.mockReset();
  keySettings.mockResolvedValue(ok({ clipboard_clear_seconds: 30 }));
  appVersion.mockReset();
  appVersion.mockResolvedValue({ version: "0.1.0", commit: "abc1234" });
});

describe("SettingsScreen", () => {
  it("names this build's version and commit under About, as kw --version does", async () => {
    render(SettingsScreen);
    const about = screen.getByRole("region", { name: "About" });
    expect(about).toHaveTextContent("Reading the version…");
    expect(await screen.findByTestId("about-version")).toHaveTextContent("Keyward 0.1.0 (abc1234)");
    expect(appVersion).toHaveBeenCalledOnce();
  });

  it("shows the current clipboard delay", async () => {
    const { input } = await ready();
    expect(input).toHaveValue(30);
    expect(input).toHaveAccessibleName("Clear the clipboard after");
    expect(screen.queryByTestId("settings-clipboard-error")).not.toBeInTheDocument();
  });

  it("saves a new delay and says so", async () => {
    updateKeySettings.mockResolvedValue(ok({ clipboard_clear_seconds: 120 }));
    const { user, input } = await ready();

    await user.clear(input);
    await user.type(input, "120");
    await user.click(screen.getByTestId("settings-save"));

    expect(updateKeySettings).toHaveBeenCalledExactlyOnceWith({ clipboard_clear_seconds: 120 });
    expect(await screen.findByTestId("settings-saved")).toHaveTextContent("Saved.");
  });

  it.each([
    ["4", "Choose 5 to 600 seconds."],
    ["601", "Choose 5 to 600 seconds."],
    ["", "Enter a number of seconds from 5 to 600."],
    ["7.5", "Use whole seconds."],
  ])("checks %j under the field as it is typed, and does not save it", async (typed, message) => {
    const { user, input } = await ready();

    await user.clear(input);
    if (typed) await user.type(input, typed);

    expect(screen.getByTestId("settings-clipboard-error")).toHaveTextContent(message);
    expect(input).toHaveAttribute("aria-invalid", "true");
    expect(input).toHaveAccessibleDescription(expect.stringContaining(message));
    await user.click(screen.getByTestId("settings-save"));
    expect(updateKeySettings).not.toHaveBeenCalled();
    expect(input).toHaveFocus();
  });

  it("the bounds themselves are fine", async () => {
    updateKeySettings.mockResolvedValue(ok({ clipboard_clear_seconds: 5 }));
    const { user, input } = await ready();
    await user.clear(input);
    await user.type(input, "5");
    expect(screen.queryByTestId("settings-clipboard-error")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("settings-save"));
    expect(updateKeySettings).toHaveBeenCalledExactlyOnceWith({ clipboard_clear_seconds: 5 });
  });

  it("shows Rust's field error under the field", async () => {
    updateKeySettings.mockResolvedValue(
      failure("The clipboard is cleared after 5 to 600 seconds.", "invalid_input", "clipboard_clear_seconds"),
    );
    const { user, input } = await ready();
    await user.clear(input);
    await user.type(input, "60");
    await user.click(screen.getByTestId("settings-save"));

    expect(await screen.findByTestId("settings-clipboard-error")).toHaveTextContent(
      "The clipboard is cleared after 5 to 600 seconds.",
    );
    expect(screen.queryByTestId("settings-save-error")).not.toBeInTheDocument();
  });

  it("shows another save failure as an alert", async () => {
    updateKeySettings.mockResolvedValue(failure("The settings database is read-only.", "internal"));
    const { user } = await ready();
    await user.click(screen.getByTestId("settings-save"));

    expect(await screen.findByTestId("settings-save-error")).toHaveTextContent("The settings database is read-only.");
    expect(screen.getByTestId("settings-saved")).toHaveTextContent("");
  });

  it("shows a load failure and retries on request", async () => {
    keySettings.mockResolvedValueOnce(failure("The settings database is unreadable.", "internal"));
    const user = userEvent.setup();
    render(SettingsScreen);

    expect(await screen.findByTestId("settings-error")).toHaveTextContent("The settings database is unreadable.");
    await user.click(screen.getByTestId("settings-retry"));

    expect(await screen.findByTestId("settings-clipboard-seconds")).toHaveValue(30);
    expect(keySettings).toHaveBeenCalledTimes(2);
  });
});
