// What a profile's fields must look like, checked in the UI before any request so an
// obvious mistake costs no round trip and is named under its field. The rules are the
// ones `keyward_core::profiles::validate` enforces (name as for keys: 1–128 characters;
// an http(s) URL with a host and no credentials, query or fragment; a project id
// without '/'); the backend's word stays final and its field errors land the same way.
import type { PlatformKind } from "$lib/bindings";

export const NAME_MAX = 128;
export const PROJECT_MAX = 128;
export const NOTES_MAX = 2000;

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

// Control characters, which the backend refuses in names and project ids.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function nameProblem(value: string): string | null {
  const trimmed = value.trim();
  if (trimmed.length === 0) return "Name is required.";
  // Count code points, as the backend does, not UTF-16 units.
  const length = [...trimmed].length;
  if (length > NAME_MAX) return `Name must be at most ${NAME_MAX} characters (this one has ${length}).`;
  if (CONTROL.test(trimmed)) return "Name must not contain control characters.";
  return null;
}

export function baseUrlProblem(value: string): string | null {
  const trimmed = value.trim();
  if (trimmed.length === 0) return "Base URL is required, e.g. https://gateway.example.com.";
  if (!/^https?:\/\//i.test(trimmed)) return "Base URL must start with http:// or https://.";
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return "Base URL is not a valid URL, e.g. https://gateway.example.com.";
  }
  if (!url.hostname) return "Base URL needs a host name, e.g. https://gateway.example.com.";
  if (url.username || url.password || url.search || url.hash) {
    return "Base URL must not carry credentials, a query or a fragment.";
  }
  return null;
}

export function projectProblem(value: string): string | null {
  const trimmed = value.trim();
  if (trimmed.length === 0) return "Project ID is required.";
  if (trimmed.includes("/")) return "Project ID must not contain '/'.";
  if ([...trimmed].length > PROJECT_MAX) return `Project ID must be at most ${PROJECT_MAX} characters.`;
  if (CONTROL.test(trimmed)) return "Project ID must not contain control characters.";
  return null;
}

export function notesProblem(value: string): string | null {
  const length = [...value].length;
  return length > NOTES_MAX ? `Notes must be at most ${NOTES_MAX} characters (these have ${length}).` : null;
}

/** `required` on create: a new profile has no stored token to fall back on. */
export function tokenProblem(value: string, required: boolean): string | null {
  if (value.length === 0) return required ? "Token is required." : null;
  if (value.trim().length === 0) return "Token cannot be only spaces.";
  return null;
}
