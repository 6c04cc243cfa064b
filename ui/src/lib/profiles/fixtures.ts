// Test data for the profile components (imported by *.test.ts only, never by the app):
// realistic StoredProfiles, and a fresh ProfileSession in the mount context, so each
// test states only what it is about.
import type { PlatformKind, ProfileLabels, ProfileList, StoredProfile } from "$lib/bindings";
import { ProfileSession, sessionContext } from "./session.svelte";

export function storedProfile(overrides: Partial<StoredProfile> = {}): StoredProfile {
  return {
    id: "prof_staging",
    name: "Staging",
    kind: "keyward",
    base_url: "https://gw.staging.example.com",
    project_id: "proj_staging",
    notes: "",
    created_at: "2026-01-05T10:00:00Z",
    updated_at: "2026-01-05T10:00:00Z",
    builtin: false,
    ...overrides,
  };
}

export const local = storedProfile({
  id: "local",
  name: "Local",
  base_url: "http://127.0.0.1:7070",
  project_id: "proj_local",
  notes: "The gateway embedded in this app.",
  builtin: true,
});

export const staging = storedProfile();

export const podstack = storedProfile({
  id: "prof_podstack",
  name: "Podstack (llm)",
  kind: "podstack",
  base_url: "https://api.podstack.example",
  project_id: "llm",
  notes: "Imported from ~/.podstack/credentials [default]",
});

export function profileList(activeId: string, ...profiles: StoredProfile[]): ProfileList {
  return { profiles, active_id: activeId };
}

/** A fresh session and the mount options that put it in context. */
export function withSession(session = new ProfileSession()) {
  return { session, context: sessionContext(session) };
}

/** The platform catalog as Rust answers it (`PlatformKind::profile_labels`). */
export function catalogFixture(): ProfileLabels[] {
  const labels = (
    kind: PlatformKind,
    platform: string,
    default_base_url: string | null,
    credential: string,
    credential_hint: string,
    project: string,
    project_from_credential: boolean,
    import_variable: string | null,
    adapter: boolean,
  ): ProfileLabels => ({ kind, platform, default_base_url, credential, credential_hint, project, project_from_credential, import_variable, adapter });
  return [
    labels("keyward", "Keyward gateway", null, "Control token", "kw_ctl_…", "Project", true, "KEYWARD_TOKEN", true),
    labels("openai", "OpenAI", "https://api.openai.com/v1", "Admin key", "sk-admin-…", "Organisation", true, "OPENAI_ADMIN_KEY", true),
    labels("anthropic", "Anthropic", "https://api.anthropic.com/v1", "Admin key", "sk-ant-admin…", "Organisation", true, "ANTHROPIC_ADMIN_KEY", true),
    labels("inferencekey", "InferenceKey", null, "Control token", "ik_sdk_…", "Project", false, "INFERENCEKEY_SDK_TOKEN", false),
    labels("podstack", "Podstack", null, "API token", "", "Project", false, null, false),
  ];
}
