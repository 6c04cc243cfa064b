// The platforms a profile can name and each one's words for the profile form, read
// once from Rust (`platformCatalog`, keyward_core::platform::PlatformKind::profile_labels):
// Rust is the one place that says what OpenAI calls its credential or where its API
// answers, so no screen keeps a copy. The catalog is local (no network) and never
// changes while the app runs, so the first answer is kept for every screen; until it
// arrives a platform is named by its id and the form uses neutral words.
import { commands, type PlatformKind, type ProfileLabels } from "$lib/bindings";

class PlatformCatalog {
  /** Every platform, in Rust's order; null until the first answer. */
  labels = $state.raw<ProfileLabels[] | null>(null);
  #loading: Promise<void> | null = null;

  /** Reads the catalog once; later calls share the first read (a failed read is retried). */
  load(): Promise<void> {
    this.#loading ??= (async () => {
      try {
        this.labels = await commands.platformCatalog();
      } catch (thrown) {
        console.error("the platform catalog could not be read", thrown);
        this.#loading = null;
      }
    })();
    return this.#loading;
  }

  /** The form's words for `kind`; null until the catalog is in. */
  of(kind: PlatformKind): ProfileLabels | null {
    return this.labels?.find((labels) => labels.kind === kind) ?? null;
  }

  /** The platform's name as screens say it ("OpenAI"). */
  name(kind: PlatformKind): string {
    return this.of(kind)?.platform ?? kind;
  }

  /** For tests: forget the answer, so the next `load` asks again. */
  forget(): void {
    this.labels = null;
    this.#loading = null;
  }
}

/** The app's one catalog. */
export const platformCatalog = new PlatformCatalog();

/**
 * How a platform's inference key starts, as a person searching for one would type it.
 * `ProfileLabels` has no such field (its `credential_hint` is the admin credential's
 * shape), so this is the one copy the screens share; null where Keyward has no adapter
 * and so lists no keys.
 */
const KEY_SHAPE: Record<PlatformKind, string | null> = {
  keyward: "kw_live_AbC…",
  openai: "sk-proj-…",
  anthropic: "sk-ant-api03-…",
  openrouter: "sk-or-v1-…",
  litellm: "sk-…",
  gcore: null,
  inferencekey: null,
  podstack: null,
};

/** How `kind`'s inference keys start ("sk-proj-…"); null when Keyward lists none. */
export function keyShape(kind: PlatformKind): string | null {
  return KEY_SHAPE[kind];
}
