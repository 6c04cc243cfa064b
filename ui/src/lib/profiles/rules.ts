// The profile form's names for its fields and its platforms. The rules a profile's
// fields follow live once, in Rust (`keyward_core::profiles`, reached as
// `checkProfileForm`, and applied again by saving); what is here only names and places.
import type { PlatformKind } from "$lib/bindings";

/** The fields of a profile form, spelled as the backend names them in `AppError.field`. */
export type ProfileField = "name" | "kind" | "base_url" | "project_id" | "notes" | "token";
export const PROFILE_FIELDS: readonly ProfileField[] = ["name", "kind", "base_url", "project_id", "notes", "token"];

export function isProfileField(field: string | null): field is ProfileField {
  return (PROFILE_FIELDS as readonly (string | null)[]).includes(field);
}

export const PLATFORM_LABEL: Record<PlatformKind, string> = {
  keyward: "Keyward gateway",
  inferencekey: "InferenceKey",
  podstack: "Podstack",
};

export const PLATFORM_KINDS = Object.keys(PLATFORM_LABEL) as PlatformKind[];
