// Find a leaked key: an empty paste is refused here without asking anyone; any other
// is sent once (Rust says whose key it is, or why it is none) and leaves the page (only its masked form is shown);
// a match offers Revoke now, whose proof is the 401 a request with the leaked key
// now gets (and anything but a 401 is a warning); profiles that could not be searched
// are named with why; and however the dialog closes, Rust is told to drop the secret.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { commands, type Capabilities, type PlatformKind, type StoredProfile } from "$lib/bindings";
import { anthropicCapabilities, budgetingCapabilities, keywardCapabilities, openAiCapabilities } from "$lib/capabilities/fixtures";
import { forgetCapabilitiesOf } from "$lib/capabilities/ofPlatform";
import { local, storedProfile } from "$lib/profiles/fixtures";
import LeakDialog from "./LeakDialog.svelte";
import { deferred, failure, inferenceKey, LEAKED_SECRET, leakHolder, leakMatch, leakSearch, ok } from "./fixtures";

vi.mock("$lib/bindings", () => ({
  commands: {
    findLeakedKey: vi.fn(),
    revokeLeakedKey: vi.fn(),
    disableLeakedKey: vi.fn(),
    discardLeak: vi.fn(),
    platformCapabilities: vi.fn(),
  },
}));

const findLeakedKey = vi.mocked(commands.findLeakedKey);
const revokeLeakedKey = vi.mocked(commands.revokeLeakedKey);
const disableLeakedKey = vi.mocked(commands.disableLeakedKey);
const discardLeak = vi.mocked(commands.discardLeak);
const platformCapabilities = vi.mocked(commands.platformCapabilities);

const CAPABILITIES: Partial<Record<PlatformKind, () => Capabilities>> = {
  keyward: keywardCapabilities,
  openai: openAiCapabilities,
  anthropic: anthropicCapabilities,
};

/** The saved profiles: Local and Team (the fixtures' match's profile) on Keyward gateways. */
const PROFILES: StoredProfile[] = [local, storedProfile({ id: "prof_team", name: "Team", kind: "keyward" })];

function renderDialog(profiles: StoredProfile[] | null = PROFILES) {
  const onclose = vi.fn();
  const onrevoked = vi.fn();
  const view = render(LeakDialog, { onclose, onrevoked, profiles });
  return { ...view, user: userEvent.setup(), onclose, onrevoked };
}

async function paste(user: ReturnType<typeof userEvent.setup>, text: string) {
  await user.click(screen.getByTestId("leak-secret"));
  await user.paste(text);
  await user.click(screen.getByTestId("leak-find"));
}

beforeEach(() => {
  for (const command of Object.values(commands)) vi.mocked(command).mockReset();
  discardLeak.mockResolvedValue(ok(null));
  platformCapabilities.mockImplementation(async (kind) => CAPABILITIES[kind]!());
  forgetCapabilitiesOf();
});

describe("LeakDialog format check", () => {
  it("refuses an empty paste locally, without a request", async () => {
    const { user } = renderDialog();
    await user.click(screen.getByTestId("leak-find"));

    expect(screen.getByTestId("leak-secret-error")).toHaveTextContent("Paste the leaked key.");
    expect(screen.getByTestId("leak-secret")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("leak-secret")).toHaveFocus();
    expect(findLeakedKey).not.toHaveBeenCalled();
  });

  it("says which keys it takes", () => {
    renderDialog();
    expect(screen.getByTestId("leak-secret")).toHaveAttribute(
      "placeholder",
      "Paste the leaked key (kw_live_…, sk-proj-…, sk-ant-api03-…)",
    );
  });

  // Which platform a paste belongs to is Rust's to say: an OpenAI key is sent as it is,
  // and Rust's verdict on it lands under the field.
  it("sends an sk-proj- paste to Rust and shows Rust's field error under the field", async () => {
    const openAiKey = "sk-proj-abc123";
    const sentence =
      "This looks like an OpenAI project key, but no OpenAI profile is saved: add one under Profiles to search it.";
    findLeakedKey.mockResolvedValue(failure(sentence, "invalid_input", "secret"));
    const { user } = renderDialog();
    await paste(user, openAiKey);

    expect(findLeakedKey).toHaveBeenCalledExactlyOnceWith({ secret: openAiKey });
    expect(await screen.findByTestId("leak-secret-error")).toHaveTextContent(sentence);
    expect(screen.getByTestId("leak-secret")).toHaveAttribute("aria-invalid", "true");
    expect(screen.queryByTestId("leak-error")).not.toBeInTheDocument();
  });

  it("is a password-style field that nothing autocompletes or spellchecks", () => {
    renderDialog();
    const input = screen.getByTestId("leak-secret");
    expect(input).toHaveAttribute("type", "password");
    expect(input).toHaveAttribute("autocomplete", "off");
    expect(input).toHaveAttribute("spellcheck", "false");
    expect(input).toHaveFocus();
  });

  it("shows Rust's checksum refusal under the field", async () => {
    findLeakedKey.mockResolvedValue(
      failure(
        "This is not a Keyward inference key: its checksum does not match, so it was mistyped, truncated or invented. No platform was asked.",
        "invalid_input",
        "secret",
      ),
    );
    const { user } = renderDialog();
    await paste(user, LEAKED_SECRET);

    expect(await screen.findByTestId("leak-secret-error")).toHaveTextContent("its checksum does not match");
    expect(screen.queryByTestId("leak-error")).not.toBeInTheDocument();
    expect(screen.getByTestId("leak-secret")).toHaveValue("");
  });
});

describe("LeakDialog search", () => {
  it("sends the trimmed secret once and keeps only its masked form on the page", async () => {
    const pending = deferred<Awaited<ReturnType<typeof commands.findLeakedKey>>>();
    findLeakedKey.mockReturnValue(pending.promise);
    const { user } = renderDialog();

    await paste(user, `  ${LEAKED_SECRET}\n`);

    expect(findLeakedKey).toHaveBeenCalledExactlyOnceWith({ secret: LEAKED_SECRET });
    expect(screen.getByTestId("leak-secret")).toHaveValue("");
    expect(screen.getByTestId("leak-find")).toHaveTextContent("Searching every profile…");
    pending.resolve(ok(leakSearch({ matches: [leakMatch()] })));

    expect(await screen.findByTestId("leak-masked")).toHaveTextContent("kw_live_Zx8…GqR8");
    expect(document.body.innerHTML).not.toContain(LEAKED_SECRET);
    expect(screen.queryByTestId("leak-secret")).not.toBeInTheDocument();
  });

  it("describes the matching key: where it lives, what it may do, when it was last used", async () => {
    findLeakedKey.mockResolvedValue(ok(leakSearch({ matches: [leakMatch()] })));
    const { user } = renderDialog();
    await paste(user, LEAKED_SECRET);

    const match = await screen.findByTestId("leak-match");
    expect(within(match).getByTestId("leak-profile")).toHaveTextContent("Team");
    expect(within(match).getByTestId("leak-key-name")).toHaveTextContent("support-bot");
    expect(within(match).getByTestId("leak-status")).toHaveTextContent("Active");
    expect(match).toHaveTextContent("proj_team");
    expect(match).toHaveTextContent("kw_live_Zx8…GqR8");
    expect(match).toHaveTextContent("60 requests/min");
    expect(match).toHaveTextContent("500,000 tokens per month");
    expect(match).toHaveTextContent("gpt-4o-mini");
    expect(match).toHaveTextContent("support");
    expect(match).toHaveTextContent("Never expires");
    expect(match).toHaveTextContent("Last used");
    expect(match).not.toHaveTextContent("Last usedNever");
    expect(screen.getByTestId("leak-searched")).toHaveTextContent("Searched: Local, Team");
  });

  it("Revoke now revokes in that profile and shows the 401 proof", async () => {
    findLeakedKey.mockResolvedValue(ok(leakSearch({ matches: [leakMatch()] })));
    const pending = deferred<Awaited<ReturnType<typeof commands.revokeLeakedKey>>>();
    revokeLeakedKey.mockReturnValue(pending.promise);
    const { user, onrevoked } = renderDialog();
    await paste(user, LEAKED_SECRET);

    const match = await screen.findByTestId("leak-match");
    const button = within(match).getByTestId("leak-revoke");
    expect(button).toHaveAccessibleName("Revoke now support-bot in Team");
    await user.click(button);

    expect(revokeLeakedKey).toHaveBeenCalledExactlyOnceWith("leak_01", "prof_team", "key_leak");
    expect(button).toBeDisabled();
    // Not while the revoke is under way.
    await user.keyboard("{Escape}");
    expect(screen.getByTestId("leak-dialog")).toBeInTheDocument();

    const revokedKey = { ...leakMatch().key, state: "revoked" as const, revoked_at: "2026-03-01T12:00:00Z" };
    pending.resolve(ok({ key: revokedKey, proof: { status: 401, message: "The API key is revoked.", refused: true } }));

    const proof = await within(match).findByTestId("leak-proof");
    expect(proof).toHaveTextContent("Revoked. A request with the leaked key to Team now gets HTTP 401: The API key is revoked.");
    expect(proof).toHaveFocus();
    expect(within(match).getByTestId("leak-status")).toHaveTextContent("Revoked");
    expect(within(match).queryByTestId("leak-revoke")).not.toBeInTheDocument();
    expect(onrevoked).toHaveBeenCalledOnce();
  });

  // Issue #18: where the platform can pause keys (OpenRouter), the leak can be stopped at
  // once without deleting a key its clients still need to move off.
  it("Disable instead pauses the key where its platform can, and still offers revoking", async () => {
    const openRouter = storedProfile({ id: "prof_or", name: "Acme OpenRouter", kind: "openrouter" });
    CAPABILITIES.openrouter = budgetingCapabilities;
    const match = leakMatch({
      platform: "OpenRouter",
      profiles: [leakHolder({ profile_id: "prof_or", profile_name: "Acme OpenRouter", role: "owner" })],
    });
    findLeakedKey.mockResolvedValue(ok(leakSearch({ matches: [match] })));
    const pending = deferred<Awaited<ReturnType<typeof commands.disableLeakedKey>>>();
    disableLeakedKey.mockReturnValue(pending.promise);
    const { user, onrevoked } = renderDialog([...PROFILES, openRouter]);
    await paste(user, LEAKED_SECRET);

    const card = await screen.findByTestId("leak-match");
    const button = await within(card).findByTestId("leak-disable");
    expect(button).toHaveAccessibleName("Disable instead support-bot in Acme OpenRouter");
    await user.click(button);
    expect(disableLeakedKey).toHaveBeenCalledExactlyOnceWith("leak_01", "prof_or", "key_leak");
    expect(within(card).getByTestId("leak-revoke")).toBeDisabled();

    pending.resolve(ok({ ...match.key, state: "disabled" as const }));
    const said = await within(card).findByTestId("leak-disabled");
    expect(said).toHaveTextContent("Disabled: OpenRouter refuses this key until it is enabled again.");
    expect(said).toHaveFocus();
    expect(within(card).getByTestId("leak-status")).toHaveTextContent("Disabled");
    expect(within(card).queryByTestId("leak-disable")).not.toBeInTheDocument();
    expect(within(card).getByTestId("leak-revoke")).toBeEnabled();
    expect(onrevoked).not.toHaveBeenCalled();
    delete CAPABILITIES.openrouter;
  });

  it("offers no Disable where the platform cannot pause keys", async () => {
    findLeakedKey.mockResolvedValue(ok(leakSearch({ matches: [leakMatch()] })));
    const { user } = renderDialog();
    await paste(user, LEAKED_SECRET);
    const card = await screen.findByTestId("leak-match");
    await vi.waitFor(() => expect(card).toHaveTextContent("Requests"));
    expect(within(card).queryByTestId("leak-disable")).not.toBeInTheDocument();
  });

  // Issue #15: a key seen by two profiles was two cards, and Revoke was offered to a viewer.
  it("shows a key seen by two profiles once, and revokes it through the one that may", async () => {
    const shared = leakMatch({
      profiles: [
        leakHolder({ profile_id: "prof_ops", profile_name: "Ops", role: "owner" }),
        leakHolder({ profile_id: "prof_fin", profile_name: "Finance", role: "viewer", can_revoke: false }),
      ],
    });
    findLeakedKey.mockResolvedValue(ok(leakSearch({ matches: [shared] })));
    const revokedKey = { ...shared.key, state: "revoked" as const };
    revokeLeakedKey.mockResolvedValue(ok({ key: revokedKey, proof: { status: 401, message: "revoked", refused: true } }));
    const { user } = renderDialog();
    await paste(user, LEAKED_SECRET);

    const match = await screen.findByTestId("leak-match");
    expect(screen.getAllByTestId("leak-match")).toHaveLength(1);
    expect(within(match).getByTestId("leak-profile")).toHaveTextContent("Ops (owner), Finance (viewer)");
    expect(within(match).getByTestId("leak-through")).toHaveTextContent("Through Ops (owner)");
    await user.click(within(match).getByTestId("leak-revoke"));

    expect(revokeLeakedKey).toHaveBeenCalledExactlyOnceWith("leak_01", "prof_ops", "key_leak");
    expect(await within(match).findByTestId("leak-proof")).toHaveTextContent("to Ops now gets HTTP 401");
    expect(within(match).getByTestId("leak-status")).toHaveTextContent("Revoked");
  });

  it("offers no Revoke when every profile holding the key is a viewer, and says what would", async () => {
    const viewerOnly = leakMatch({
      profiles: [leakHolder({ profile_id: "prof_fin", profile_name: "Finance", role: "viewer", can_revoke: false })],
    });
    findLeakedKey.mockResolvedValue(ok(leakSearch({ matches: [viewerOnly] })));
    const { user } = renderDialog();
    await paste(user, LEAKED_SECRET);

    const match = await screen.findByTestId("leak-match");
    expect(within(match).queryByTestId("leak-revoke")).not.toBeInTheDocument();
    expect(within(match).getByTestId("leak-no-revoker")).toHaveTextContent(
      "None of your profiles may revoke this key: Finance has a viewer token. Revoke it with an owner or admin token of project proj_team",
    );
    expect(revokeLeakedKey).not.toHaveBeenCalled();
  });

  it("warns when the leaked key still gets anything but 401 after the revoke", async () => {
    findLeakedKey.mockResolvedValue(ok(leakSearch({ matches: [leakMatch()] })));
    revokeLeakedKey.mockResolvedValue(
      ok({ key: { ...leakMatch().key, state: "revoked" }, proof: { status: 200, message: "OK", refused: false } }),
    );
    const { user } = renderDialog();
    await paste(user, LEAKED_SECRET);
    await user.click(await screen.findByTestId("leak-revoke"));

    const proof = await screen.findByTestId("leak-proof");
    expect(proof).toHaveAttribute("role", "alert");
    expect(proof).toHaveTextContent("Revoked, but a request with the leaked key to Team still got HTTP 200: OK.");
  });

  it("shows why a revoke failed and lets it be tried again", async () => {
    findLeakedKey.mockResolvedValue(ok(leakSearch({ matches: [leakMatch()] })));
    revokeLeakedKey.mockResolvedValueOnce(failure("The gateway did not answer.", "unavailable"));
    const { user } = renderDialog();
    await paste(user, LEAKED_SECRET);
    await user.click(await screen.findByTestId("leak-revoke"));

    expect(await screen.findByTestId("leak-revoke-error")).toHaveTextContent("The gateway did not answer.");
    expect(screen.getByTestId("leak-revoke")).toBeEnabled();
  });

  it("says no profile has the key, naming the profiles searched", async () => {
    findLeakedKey.mockResolvedValue(ok(leakSearch()));
    const { user } = renderDialog();
    await paste(user, LEAKED_SECRET);

    expect(await screen.findByTestId("leak-no-match")).toHaveTextContent("No profile has this key (searched Local, Team).");
    expect(screen.queryByTestId("leak-match")).not.toBeInTheDocument();
  });

  it("lists the profiles that could not be searched, with why, and claims no clean miss", async () => {
    findLeakedKey.mockResolvedValue(
      ok(
        leakSearch({
          searched: ["Local"],
          gaps: [
            {
              profile_id: "prof_podstack",
              profile_name: "Podstack (llm)",
              error: { code: "upstream", message: "Podstack profiles cannot be searched yet.", field: null },
            },
            {
              profile_id: "prof_staging",
              profile_name: "Staging",
              error: { code: "keychain_missing", message: "The token of profile \"Staging\" is no longer in the keychain.", field: null },
            },
          ],
        }),
      ),
    );
    const { user } = renderDialog();
    await paste(user, LEAKED_SECRET);

    const gaps = await screen.findAllByTestId("leak-gap");
    expect(gaps.map((gap) => gap.textContent)).toEqual([
      "Podstack (llm): Podstack profiles cannot be searched yet.",
      'Staging: The token of profile "Staging" is no longer in the keychain.',
    ]);
    expect(screen.getByTestId("leak-no-match")).toHaveTextContent("None of the searched profiles has this key (searched Local).");
    expect(screen.getByTestId("leak-searched")).toHaveTextContent("Searched: Local");
  });

  it("shows a search that failed as a whole, and the field is ready for another paste", async () => {
    findLeakedKey.mockResolvedValue(failure("The profile database is unreadable.", "internal"));
    const { user } = renderDialog();
    await paste(user, LEAKED_SECRET);

    expect(await screen.findByTestId("leak-error")).toHaveTextContent("The profile database is unreadable.");
    expect(screen.getByTestId("leak-secret")).toHaveValue("");
    expect(screen.getByTestId("leak-secret")).toHaveFocus();
  });

  it("Search another key drops the old secret and starts over", async () => {
    findLeakedKey.mockResolvedValue(ok(leakSearch()));
    const { user } = renderDialog();
    await paste(user, LEAKED_SECRET);
    await user.click(await screen.findByTestId("leak-again"));

    expect(discardLeak).toHaveBeenCalledOnce();
    expect(screen.getByTestId("leak-secret")).toHaveValue("");
    expect(screen.getByTestId("leak-secret")).toHaveFocus();
  });
});

// Issue #17: a card lists only what the match's platform has; an OpenAI key has no
// per-key rate, budget, models, workloads or expiry, so "Unlimited" there would be false.
describe("LeakDialog cards say only what the match's platform has", () => {
  const openAiProfile = storedProfile({ id: "prof_openai", name: "Acme OpenAI", kind: "openai" });
  const anthropicProfile = storedProfile({ id: "prof_anthropic", name: "Acme Anthropic", kind: "anthropic" });
  const platformKey = (hint: string, project: string) =>
    inferenceKey({ id: `${project}.key_x`, name: "search-4", hint, project, owner: "Ada Lovelace", totals: null });
  const openAiMatch = leakMatch({
    base_url: "https://api.openai.com/v1",
    platform: "OpenAI",
    exact: false,
    profiles: [leakHolder({ profile_id: "prof_openai", profile_name: "Acme OpenAI", role: "owner" })],
    key: platformKey("sk-proj-****...AbCd", "proj_03"),
  });
  const anthropicMatch = leakMatch({
    base_url: "https://api.anthropic.com/v1",
    platform: "Anthropic",
    exact: false,
    profiles: [leakHolder({ profile_id: "prof_anthropic", profile_name: "Acme Anthropic", role: "admin" })],
    key: platformKey("sk-ant-api03-R2D...igAA", "wrkspc_01"),
  });
  const SCOPE_TERMS = ["Requests", "Tokens", "Budget", "Models", "Workloads", "Expiry", "Unlimited", "All models", "Whole project", "Never expires"];
  function terms(card: HTMLElement | undefined): (string | null)[] {
    if (!card) throw new Error("no such card");
    return [...card.querySelectorAll("dt")].map((dt) => dt.textContent);
  }

  async function cards(...matches: ReturnType<typeof leakMatch>[]) {
    findLeakedKey.mockResolvedValue(ok(leakSearch({ matches })));
    const { user } = renderDialog([...PROFILES, openAiProfile, anthropicProfile]);
    await paste(user, LEAKED_SECRET);
    const found = await screen.findAllByTestId("leak-match");
    // The Keyward card's Requests line proves the capabilities have landed.
    await vi.waitFor(() => expect(terms(found[0])).toContain("Requests"));
    return found;
  }

  it("shows an OpenAI key's key, last use and owner, and no scope OpenAI keys do not have", async () => {
    const [keyward, openAi] = await cards(leakMatch(), openAiMatch);
    if (!openAi) throw new Error("no OpenAI card");

    expect(terms(keyward)).toEqual(["Key", "Last used", "Requests", "Tokens", "Budget", "Models", "Workloads", "Expiry", "Used for"]);
    expect(terms(openAi)).toEqual(["Key", "Last used", "Owner"]);
    expect(openAi).toHaveTextContent("sk-proj-****...AbCd");
    expect(within(openAi).getByTestId("leak-owner")).toHaveTextContent("Ada Lovelace");
    expect(openAi).toHaveTextContent("proj_03");
    for (const term of SCOPE_TERMS) expect(openAi).not.toHaveTextContent(term);
  });

  it("shows an Anthropic key the same way, and an expiry the key really has", async () => {
    const expiring = { ...anthropicMatch, key: { ...anthropicMatch.key, expires_at: "2026-09-01T00:00:00Z" } };
    const [, anthropic, withExpiry] = await cards(leakMatch(), anthropicMatch, { ...expiring, base_url: "https://other.example/v1" });

    if (!anthropic) throw new Error("no Anthropic card");
    expect(terms(anthropic)).toEqual(["Key", "Last used", "Owner"]);
    for (const term of SCOPE_TERMS) expect(anthropic).not.toHaveTextContent(term);
    expect(terms(withExpiry)).toEqual(["Key", "Last used", "Owner", "Expiry"]);
  });

  it("shows only the key, its last use and owner while the platform is unknown", async () => {
    findLeakedKey.mockResolvedValue(ok(leakSearch({ matches: [leakMatch(), openAiMatch] })));
    const { user } = renderDialog(null);
    await paste(user, LEAKED_SECRET);
    const [keyward, openAi] = await screen.findAllByTestId("leak-match");

    expect(terms(keyward)).toEqual(["Key", "Last used", "Used for"]);
    expect(terms(openAi)).toEqual(["Key", "Last used", "Owner"]);
    expect(platformCapabilities).not.toHaveBeenCalled();
  });

  it("asks Rust for a platform's capabilities once, however often the dialog opens", async () => {
    const profiles = [...PROFILES, openAiProfile];
    renderDialog(profiles).unmount();
    renderDialog(profiles);
    await vi.waitFor(() => expect(platformCapabilities).toHaveBeenCalledWith("openai"));

    expect(platformCapabilities.mock.calls.map(([kind]) => kind).sort()).toEqual(["keyward", "openai"]);
  });
});

describe("LeakDialog closing", () => {
  it("Close asks the owner to close, and unmounting tells Rust to drop the secret", async () => {
    findLeakedKey.mockResolvedValue(ok(leakSearch({ matches: [leakMatch()] })));
    const { user, onclose, unmount } = renderDialog();
    await paste(user, LEAKED_SECRET);
    await user.click(await screen.findByTestId("leak-close"));
    expect(onclose).toHaveBeenCalledOnce();
    expect(discardLeak).not.toHaveBeenCalled();

    unmount();

    expect(discardLeak).toHaveBeenCalledOnce();
  });

  it("Escape closes too, from the results", async () => {
    findLeakedKey.mockResolvedValue(ok(leakSearch()));
    const { user, onclose } = renderDialog();
    await paste(user, LEAKED_SECRET);
    await screen.findByTestId("leak-results");

    await user.keyboard("{Escape}");

    expect(onclose).toHaveBeenCalledOnce();
  });

  it("names the platform each match is on", async () => {
    findLeakedKey.mockResolvedValue(ok(leakSearch({ matches: [leakMatch({ platform: "Keyward gateway" })] })));
    const { user } = renderDialog();
    await paste(user, LEAKED_SECRET);
    const match = await screen.findByTestId("leak-match");
    expect(within(match).getByTestId("leak-platform")).toHaveTextContent("Keyward gateway");
    expect(within(match).queryByTestId("leak-inexact")).not.toBeInTheDocument();
    expect(screen.queryByTestId("leak-ambiguous")).not.toBeInTheDocument();
  });

  // A platform that shows only a few characters of each secret can name look-alikes:
  // no key is revoked as "the" leaked one until the person picks it.
  it("picks no key among look-alikes, says so, and revokes only the key the person picks", async () => {
    const first = leakMatch({ platform: "OpenAI", exact: false });
    const second = leakMatch({
      platform: "OpenAI",
      exact: false,
      key: { ...leakMatch().key, id: "key_twin", name: "support-bot-staging" },
    });
    findLeakedKey.mockResolvedValue(ok(leakSearch({ matches: [first, second], ambiguous: true })));
    revokeLeakedKey.mockResolvedValue(ok({ key: { ...second.key, state: "revoked" }, proof: null }));
    const { user } = renderDialog();
    await paste(user, LEAKED_SECRET);

    expect(await screen.findByTestId("leak-ambiguous")).toHaveTextContent(
      "Several keys match the characters this platform shows of each secret; Keyward cannot tell which one leaked. Check each key's last use before revoking.",
    );
    const [one, two] = screen.getAllByTestId("leak-match");
    for (const card of [one!, two!]) {
      expect(within(card).getByTestId("leak-inexact")).toHaveTextContent("matched by its visible characters");
      expect(within(card).getByTestId("leak-pick")).not.toBeChecked();
      expect(within(card).queryByTestId("leak-revoke")).not.toBeInTheDocument();
    }

    await user.click(within(two!).getByTestId("leak-pick"));
    expect(within(one!).queryByTestId("leak-revoke")).not.toBeInTheDocument();
    await user.click(within(two!).getByTestId("leak-revoke"));

    expect(revokeLeakedKey).toHaveBeenCalledExactlyOnceWith("leak_01", "prof_team", "key_twin");
    expect(await within(two!).findByTestId("leak-status")).toHaveTextContent("Revoked");
    expect(within(one!).getByTestId("leak-status")).toHaveTextContent("Active");
  });

  it("says no proof request was sent where the platform does not allow one", async () => {
    findLeakedKey.mockResolvedValue(ok(leakSearch({ matches: [leakMatch({ platform: "OpenAI" })] })));
    revokeLeakedKey.mockResolvedValue(ok({ key: { ...leakMatch().key, state: "revoked" }, proof: null }));
    const { user } = renderDialog();
    await paste(user, LEAKED_SECRET);
    await user.click(await screen.findByTestId("leak-revoke"));

    const proof = await screen.findByTestId("leak-proof");
    expect(proof).toHaveTextContent("Revoked. OpenAI does not let Keyward test a revoked secret, so no proof request was sent.");
    expect(proof).not.toHaveTextContent("HTTP");
    expect(proof).toHaveFocus();
  });
});
