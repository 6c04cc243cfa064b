// What the active platform offers, as the screens ask it. Capabilities come from Rust
// (`active_capabilities`, keyward_core::platform::capabilities): a control is rendered
// only where its operation is supported, and where it is not, the capabilities'
// sentence says what the platform offers instead. Until the capabilities are known
// (null), everything is offered, as with the role: the platform still refuses what it
// cannot do, and a slow answer must not make a working screen look empty.
import type { Capabilities, Support } from "$lib/bindings";

export type Pick = (capabilities: Capabilities) => Support;

/** Whether the active platform offers the operation `pick` names. */
export function offers(capabilities: Capabilities | null, pick: Pick): boolean {
  return capabilities === null || pick(capabilities).supported;
}

/** What the platform offers instead of `pick`, when it does not offer it; else null. */
export function instead(capabilities: Capabilities | null, pick: Pick): string | null {
  if (capabilities === null) return null;
  const support = pick(capabilities);
  return support.supported ? null : support.instead;
}

/** The one sentence for a profile whose platform Keyward has no adapter for yet. */
export function noAdapter(capabilities: Capabilities | null): string | null {
  if (capabilities === null || capabilities.adapter) return null;
  return capabilities.keys.list.instead ?? `Keyward cannot talk to ${capabilities.platform} yet.`;
}

/** Whether the platform offers any of `picks` (e.g. some per-key limit); true while unknown. */
export function offersAny(capabilities: Capabilities | null, picks: Pick[]): boolean {
  return picks.some((pick) => offers(capabilities, pick));
}

/**
 * What the platform offers instead of each of `picks` it does not offer, each sentence
 * once (OpenAI gives rpm, tpm and both budgets one sentence); empty while unknown.
 */
export function insteadOnce(capabilities: Capabilities | null, picks: Pick[]): string[] {
  const sentences = picks.map((pick) => instead(capabilities, pick)).filter((s): s is string => s !== null);
  return [...new Set(sentences)];
}

/** The per-key limits a Limits column or card sums up. */
export const LIMIT_SCOPES: Pick[] = [
  (c) => c.scopes.rpm,
  (c) => c.scopes.tpm,
  (c) => c.scopes.token_budget,
  (c) => c.scopes.money_budget,
];
