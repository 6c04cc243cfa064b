// Capabilities as Rust describes them: the Keyward gateway's (keyward.json, what
// keyward_core::platform::keyward::capabilities says), a limited OpenAI-like platform
// (no key creation but for service accounts, no per-key limits, no rotation, no
// workloads; from docs' platform-apis table) to prove the screens render from
// capabilities, OpenAI and Anthropic as their adapters describe them (hand copies of
// keyward_core::platform::{openai,anthropic}::capabilities), a platform that can pause
// keys, a platform that budgets money per key rather than tokens (OpenRouter-like), the
// LiteLLM proxy (parallel and per-model limits, deployments with health), and a platform
// without an adapter.
import type { Capabilities, Support } from "$lib/bindings";
import keyward from "./keyward.json";

const yes: Support = { supported: true, instead: null };
const no = (instead: string): Support => ({ supported: false, instead });

/** The Keyward gateway's capabilities exactly as Rust serialises them (keyward.json is
 * written by `cargo run -p keyward-app --example write_bindings`, and a Rust test fails
 * when it is stale), so a screen is never tested against a hand copy. */
export function keywardCapabilities(): Capabilities {
  return structuredClone(keyward) as Capabilities;
}

export const OPENAI_CREATE = "OpenAI creates keys only for service accounts: add a service account to the project in OpenAI's dashboard.";
export const OPENAI_ROTATE = "OpenAI cannot rotate a key: create a service account key and delete this one.";
export const OPENAI_UPDATE = "OpenAI keys cannot be edited; limits are set per project and model in OpenAI's dashboard.";
export const OPENAI_ARCHIVE = "OpenAI deletes keys rather than archiving them.";

export function openAiLikeCapabilities(): Capabilities {
  const base = keywardCapabilities();
  const perProject = no("OpenAI limits requests and tokens per model for the whole project, not per key.");
  return {
    ...base,
    platform: "OpenAI",
    keys: {
      ...base.keys,
      create: no(OPENAI_CREATE),
      update: no(OPENAI_UPDATE),
      revoke_removes_record: true,
      disable: no("OpenAI has no pause for a key: delete it."),
      archive: no(OPENAI_ARCHIVE),
      rotate: no(OPENAI_ROTATE),
      rotate_grace: false,
      identify: no("OpenAI cannot say which key a secret is; compare the masked hint."),
    },
    scopes: {
      ...base.scopes,
      rpm: perProject,
      tpm: perProject,
      token_budget: perProject,
      token_budget_periods: [],
      money_budget: no("OpenAI caps spend per project per month, not per key."),
      model_allowlist: no("OpenAI allows or denies models per project, not per key."),
      workloads: no("OpenAI serves its own models; there are no workloads to attach."),
      workloads_project_wide: false,
      expiry: no("OpenAI project keys do not expire."),
      expiry_editable: false,
      labels: no("OpenAI keys have no labels."),
      description: no("OpenAI keys have only a name."),
      max_parallel: perProject,
      model_limits: perProject,
    },
    spend: { source: "reported", per_key: yes },
    workloads: {
      list: no("OpenAI serves its own models; there are no workloads."),
      create: no("OpenAI serves its own models; there are no workloads."),
      update: no("OpenAI serves its own models; there are no workloads."),
      delete: no("OpenAI serves its own models; there are no workloads."),
      readiness: no("OpenAI serves its own models; there are no workloads."),
      health: no("OpenAI serves its own models; there are no workloads."),
      start_stop: no("OpenAI serves its own models; there are no workloads."),
      logs: no("OpenAI serves its own models; there are no workloads."),
      fields: [],
    },
  };
}

/** The sentence OpenAI's create carries (keyward_core::platform::openai::capabilities). */
export const OPENAI_SERVICE_ACCOUNT =
  "OpenAI creates new keys only for service accounts: Keyward creates a service account in the chosen project and shows its key once.";

/** The sentence OpenAI's per-key limits carry (keyward_core::platform::openai::capabilities). */
export const OPENAI_PER_PROJECT =
  "OpenAI limits projects, not keys: rate limits per model, a model allow or deny list and a monthly spend cap are set per project (shown read-only on the project).";

/** OpenAI as its adapter describes it: it creates keys (its way, as service accounts),
 * and its keys' scopes in Rust's words. */
export function openAiCapabilities(): Capabilities {
  const base = openAiLikeCapabilities();
  const perProject = no(OPENAI_PER_PROJECT);
  return {
    ...base,
    keys: { ...base.keys, create: { supported: true, instead: OPENAI_SERVICE_ACCOUNT } },
    scopes: {
      ...base.scopes,
      rpm: perProject,
      tpm: perProject,
      token_budget: perProject,
      money_budget: perProject,
      model_allowlist: perProject,
      workloads: no("OpenAI serves its models itself; there are no workloads to attach."),
      workloads_project_wide: false,
      expiry: no("OpenAI project keys do not expire; revoke a key when it is no longer needed."),
      labels: no("OpenAI keys have a name only."),
      description: no("OpenAI keys have a name only."),
      max_parallel: perProject,
      model_limits: perProject,
    },
  };
}

/** The sentence Anthropic's per-key limits carry (keyward_core::platform::anthropic::capabilities). */
export const ANTHROPIC_PER_WORKSPACE =
  "Anthropic limits workspaces, not keys: rate and spend limits are set per workspace in the Anthropic Console.";

/** Anthropic as its adapter describes it: no create here, keys can be paused, no per-key scopes. */
export function anthropicCapabilities(): Capabilities {
  const base = keywardCapabilities();
  const perWorkspace = no(ANTHROPIC_PER_WORKSPACE);
  const noWorkloads = no("Anthropic serves its models itself; there are no workloads to manage.");
  return {
    ...base,
    platform: "Anthropic",
    keys: {
      ...base.keys,
      create: no("Anthropic creates API keys only in its Console (console.anthropic.com → API keys); Keyward lists and manages them once made."),
      update: { supported: true, instead: "Anthropic lets a key be renamed; its limits belong to its workspace." },
      revoke: {
        supported: true,
        instead: "Anthropic keys cannot be deleted through the API: revoking archives the key, and an archived key never works again.",
      },
      revoke_removes_record: false,
      disable: yes,
      archive: no("Revoking an Anthropic key archives it."),
      rotate: no("Anthropic has no rotation: create a new key in the Anthropic Console, move clients to it, then revoke the old one here."),
      rotate_grace: false,
      identify: {
        supported: true,
        instead: "Anthropic shows only part of each key, so a pasted secret is matched by that part; several keys can match.",
      },
      audit: no("Anthropic's activity log is in the Anthropic Console."),
    },
    scopes: {
      rpm: perWorkspace,
      tpm: perWorkspace,
      token_budget: perWorkspace,
      token_budget_periods: [],
      money_budget: perWorkspace,
      money_budget_resets: [],
      model_allowlist: no("Anthropic keys may call every model their workspace may."),
      workloads: noWorkloads,
      workloads_project_wide: false,
      expiry: no("An Anthropic key's expiry is set when it is created in the Anthropic Console."),
      expiry_editable: false,
      labels: no("Anthropic keys have a name only."),
      description: no("Anthropic keys have a name only."),
      max_parallel: perWorkspace,
      model_limits: perWorkspace,
    },
    spend: {
      source: "computed",
      per_key: {
        supported: true,
        instead: "Anthropic reports cost per workspace, not per key: spend per key is its tokens × the console's price table.",
      },
    },
    workloads: {
      list: noWorkloads,
      create: noWorkloads,
      update: noWorkloads,
      delete: noWorkloads,
      readiness: noWorkloads,
      health: noWorkloads,
      start_stop: noWorkloads,
      logs: noWorkloads,
      fields: [],
    },
  };
}

/** A platform that can pause a key and resume it (OpenRouter's `disabled`), else as Keyward. */
export function pausingCapabilities(): Capabilities {
  const base = keywardCapabilities();
  return { ...base, platform: "OpenRouter", keys: { ...base.keys, disable: yes } };
}

/** The sentence OpenRouter's request and token limits carry (keyward_core::platform::openrouter::capabilities). */
export const OPENROUTER_MONEY_ONLY =
  "OpenRouter limits keys by money (USD, with a daily, weekly or monthly reset), not by requests or tokens.";

/** A platform that budgets a key in money with a daily, weekly or monthly reset, and can
 * pause keys, but has no per-key request or token limits (OpenRouter's shape); else as Keyward. */
export function budgetingCapabilities(): Capabilities {
  const base = keywardCapabilities();
  const moneyOnly = no(OPENROUTER_MONEY_ONLY);
  return {
    ...base,
    platform: "OpenRouter",
    keys: { ...base.keys, disable: yes },
    scopes: {
      ...base.scopes,
      rpm: moneyOnly,
      tpm: moneyOnly,
      token_budget: moneyOnly,
      token_budget_periods: [],
      money_budget: yes,
      money_budget_resets: ["day", "week", "month"],
      max_parallel: moneyOnly,
      model_limits: moneyOnly,
    },
  };
}

/** The sentence LiteLLM's per-model limits carry (keyward_core::platform::litellm::capabilities). */
export const LITELLM_PER_MODEL = "Per-model limits apply to the model names clients call (the proxy's model groups).";
/** The sentence LiteLLM's health carries. */
export const LITELLM_HEALTH =
  "Health is the proxy's /health: it sends a small request to every deployment each time the list is read or refreshed.";

/** The LiteLLM proxy as its adapter describes its keys and workloads: money budgets with
 * every reset, parallel and per-model limits, no token budget; deployments listed
 * read-only with their health. */
export function liteLlmCapabilities(): Capabilities {
  const base = keywardCapabilities();
  const elsewhere = no("Keyward lists the proxy's model deployments read-only; add, change or remove them in the proxy's config or its admin UI.");
  return {
    ...base,
    platform: "LiteLLM proxy",
    keys: { ...base.keys, disable: yes },
    scopes: {
      ...base.scopes,
      token_budget: no("LiteLLM limits tokens per minute (tpm) and money per period, not a token budget."),
      token_budget_periods: [],
      money_budget: yes,
      money_budget_resets: ["minute", "hour", "day", "week", "month"],
      workloads: no("LiteLLM keys are limited by model name (the allowlist), not by deployment."),
      workloads_project_wide: false,
      description: no("LiteLLM keys have an alias (the name) and metadata; use a label for notes."),
      max_parallel: yes,
      model_limits: { supported: true, instead: LITELLM_PER_MODEL },
    },
    workloads: {
      list: { supported: true, instead: "Workloads are the proxy's model deployments, listed read-only." },
      create: elsewhere,
      update: elsewhere,
      delete: elsewhere,
      readiness: no("The proxy has no readiness stream; its /health probes each deployment on request."),
      health: { supported: true, instead: LITELLM_HEALTH },
      start_stop: elsewhere,
      logs: no("The proxy keeps no per-deployment log in its API."),
      fields: [],
    },
  };
}

export const PODSTACK_SENTENCE =
  "Keyward cannot talk to Podstack yet: the profile is kept and will work once the Podstack adapter ships.";

export function noAdapterCapabilities(): Capabilities {
  const none = no(PODSTACK_SENTENCE);
  const base = keywardCapabilities();
  const all = <T extends object>(o: T): T =>
    Object.fromEntries(
      Object.entries(o).map(([k, v]) => [k, typeof v === "object" && v !== null && "supported" in v ? none : v]),
    ) as T;
  return {
    ...base,
    platform: "Podstack",
    adapter: false,
    keys: { ...all(base.keys), revoke_removes_record: false, rotate_grace: false },
    scopes: { ...all(base.scopes), token_budget_periods: [], money_budget_resets: [], expiry_editable: false },
    usage: { per_key: none, per_model: none, buckets: [], history_days: 0 },
    spend: { source: "computed", per_key: none },
    workloads: all(base.workloads),
  };
}

/** Gcore's sentence for per-key usage (keyward_core::platform::gcore::capabilities). */
export const GCORE_NO_KEY_USAGE = "Gcore bills deployments, not keys: it reports no tokens or spend per key or model.";

/** How a Gcore key reaches deployments (keyward_core::platform::gcore::capabilities). */
export const GCORE_ATTACHED =
  "A Gcore key calls only the deployments it is attached to (which then require a key); attached to none, it calls none.";

/** A platform that runs container workloads through Keyward (Gcore's shape): deployments
 * created from an image, a flavour, a port and regions, started and stopped, with logs;
 * keys attached to deployments. A hand copy of what the Gcore adapter declares. */
export function gcoreCapabilities(): Capabilities {
  const base = keywardCapabilities();
  return {
    ...base,
    platform: "Gcore",
    keys: {
      ...base.keys,
      revoke: {
        supported: true,
        instead:
          "Revoking on Gcore takes two steps, both done here: the key is detached from every deployment it is attached to (Gcore refuses to delete an attached key), then deleted.",
      },
      revoke_removes_record: true,
    },
    scopes: {
      ...base.scopes,
      workloads: { supported: true, instead: GCORE_ATTACHED },
      workloads_project_wide: false,
    },
    workloads: {
      list: yes,
      create: yes,
      update: yes,
      delete: yes,
      readiness: no("Gcore has no readiness stream: Keyward follows each change's task until it ends."),
      health: yes,
      start_stop: yes,
      logs: yes,
      fields: ["name", "description", "image", "flavor", "port", "regions", "env", "command", "auth_enabled", "probes"],
    },
  };
}
