// The console's profile state as every screen sees it: the saved profiles, which one is
// active, and why the active one cannot be used right now. One instance is made by the
// app shell and handed down through Svelte context (`profileSession()`), so tests give
// each component a fresh one instead of resetting a module-level singleton.
//
// `version` is the signal other screens follow: it moves whenever the profile behind
// every request changes (a switch, an edit or a new token for the active profile, a
// delete that fell back to Local), and the Keys screen reloads on it. Keychain trouble
// found by any screen is reported here (`reportProblem`) so the shell can show one
// banner with the fix, not one error per screen.
import { getContext, setContext } from "svelte";
import { commands, type AppError, type Capabilities, type AccessLevel, type ProfileList, type StoredProfile } from "$lib/bindings";
import { settle } from "$lib/ipc";

/** The embedded gateway's profile, created by the app and never deleted. */
export const LOCAL_PROFILE_ID = "local";

export function isKeychainError(error: AppError | null | undefined): boolean {
  return !!error && error.code.startsWith("keychain_");
}

export class ProfileSession {
  /** null until the first successful listing. */
  profiles = $state.raw<StoredProfile[] | null>(null);
  /** The active profile's id, known from the listing even when the profile cannot be used. */
  activeId = $state<string | null>(null);
  active = $state.raw<StoredProfile | null>(null);
  loading = $state(false);
  /** Why the profiles could not be listed. */
  listError = $state.raw<AppError | null>(null);
  /** Why the active profile could not be read (e.g. Local could not be set up). */
  activeError = $state.raw<AppError | null>(null);
  /** The profile a switch is under way to. */
  switchingTo = $state<string | null>(null);
  switchError = $state<string | null>(null);
  /** Moves whenever the profile behind requests changes; screens reload on it. */
  version = $state(0);
  /** The active token's role as its platform reports it; null until known. */
  role = $state<AccessLevel | null>(null);
  /**
   * Whether to offer what changes the platform (create, edit, revoke…). A viewer
   * (finance) sees everything and none of it; until the role is known, buttons stay
   * (the platform refuses anyway, and an unreachable profile must not look read-only).
   */
  readonly canWrite = $derived(this.role !== "viewer");
  #roleRun = 0;
  /**
   * What the active profile's platform offers (`$lib/capabilities/offers`); null until
   * known, when every control is offered.
   */
  capabilities = $state.raw<Capabilities | null>(null);
  /** The first answer (or failure) about capabilities has come back. */
  capabilitiesKnown = $state(false);
  #capabilitiesRun = 0;

  /** Keychain trouble a screen hit with the active profile (e.g. listKeys). */
  #reported = $state.raw<AppError | null>(null);
  // Only the newest read may land, so a slow early answer cannot undo a switch.
  #latest = 0;

  /** Why the active profile's token cannot be used, if it is the keychain's doing. */
  readonly keychainProblem = $derived(isKeychainError(this.activeError) ? this.activeError : this.#reported);
  readonly activeIsLocal = $derived(this.activeId === LOCAL_PROFILE_ID);

  /** Reads the profiles and the active one; moves `version` if the active one changed. */
  async load(): Promise<void> {
    const run = ++this.#latest;
    this.loading = true;
    const [list, active] = await Promise.all([
      settle(commands.listProfiles()),
      settle(commands.activeProfile()),
    ]);
    if (run !== this.#latest) return;
    this.loading = false;

    const before = this.active;
    const beforeId = this.activeId;
    if (list.status === "ok") {
      this.profiles = list.data.profiles;
      this.activeId = list.data.active_id;
      this.listError = null;
    } else {
      this.listError = list.error;
    }
    if (active.status === "ok") {
      this.active = active.data;
      this.activeId = active.data.id;
      this.activeError = null;
    } else {
      this.active = null;
      this.activeError = active.error;
    }
    const changed =
      beforeId !== null && (beforeId !== this.activeId || before?.updated_at !== this.active?.updated_at);
    if (changed) this.#bump();
  }

  /**
   * Re-reads after a change made elsewhere. `activeEdited` moves `version` even when
   * nothing visible changed (a new token has the same settings).
   */
  async refresh(options: { activeEdited?: boolean } = {}): Promise<void> {
    const versionBefore = this.version;
    await this.load();
    if (options.activeEdited && this.version === versionBefore) this.#bump();
  }

  /** Makes `id` active. On failure nothing changes and `switchError` says why. */
  async switchTo(id: string): Promise<boolean> {
    if (this.switchingTo !== null) return false;
    if (id === this.activeId && this.active && !this.activeError) return true;
    this.switchingTo = id;
    this.switchError = null;
    const result = await settle(commands.switchProfile(id));
    this.switchingTo = null;
    if (result.status === "error") {
      this.switchError = result.error.message;
      return false;
    }
    this.#latest++; // a read started before the switch describes the old state
    this.loading = false;
    this.active = result.data;
    this.activeId = result.data.id;
    this.activeError = null;
    if (this.profiles) this.profiles = this.profiles.map((p) => (p.id === result.data.id ? result.data : p));
    this.#bump();
    return true;
  }

  /** Takes the list a delete returned; a deleted active profile hands over to Local. */
  applyList(list: ProfileList): void {
    this.#latest++;
    this.loading = false;
    this.profiles = list.profiles;
    this.listError = null;
    if (list.active_id !== this.activeId) {
      this.activeId = list.active_id;
      this.active = list.profiles.find((p) => p.id === list.active_id) ?? null;
      this.activeError = null;
      this.#bump();
    }
  }

  /** Mints a new owner token for Local. Returns the error to show, or null. */
  async reissueLocalToken(): Promise<AppError | null> {
    const result = await settle(commands.reissueLocalToken());
    if (result.status === "error") return result.error;
    await this.refresh({ activeEdited: true });
    return null;
  }

  /** Asks the platform what the active token may do (called by the shell on each change). */
  async loadRole(): Promise<void> {
    const run = ++this.#roleRun;
    const result = await settle(commands.activeRole());
    if (run !== this.#roleRun) return;
    this.role = result.status === "ok" ? result.data : null;
  }

  /** Asks what the active profile's platform offers (called by the shell on each change). */
  async loadCapabilities(): Promise<void> {
    const run = ++this.#capabilitiesRun;
    const result = await settle(commands.activeCapabilities());
    if (run !== this.#capabilitiesRun) return;
    this.capabilities = result.status === "ok" ? result.data : null;
    this.capabilitiesKnown = true;
  }

  /** A screen's request failed with `error`; keychain trouble becomes the shell's banner. */
  reportProblem(error: AppError): void {
    if (isKeychainError(error)) this.#reported = error;
  }

  /** A screen's request with the active profile worked: its token is fine. */
  reportHealthy(): void {
    this.#reported = null;
  }

  // The active profile changed: earlier trouble with it is no longer known to hold.
  #bump() {
    this.#reported = null;
    this.switchError = null;
    this.version++;
  }
}

const CONTEXT = Symbol("profile-session");

/** Makes `session` the one the component tree below uses. */
export function provideProfileSession(session: ProfileSession): ProfileSession {
  return setContext(CONTEXT, session);
}

/** The session the app shell provided. */
export function profileSession(): ProfileSession {
  const session = getContext<ProfileSession | undefined>(CONTEXT);
  if (!session) throw new Error("no ProfileSession in context: render inside App or pass one in the test's context");
  return session;
}

/** The session the app shell provided, if any: for small dialogs that add the
 * platform's words when there is one and are rendered on their own in tests. */
export function optionalProfileSession(): ProfileSession | undefined {
  return getContext<ProfileSession | undefined>(CONTEXT);
}

/** For tests: the mount-option context that holds `session`. */
export function sessionContext(session: ProfileSession): Map<symbol, ProfileSession> {
  return new Map([[CONTEXT, session]]);
}
