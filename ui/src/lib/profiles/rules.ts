// The profile form's names for its fields. The rules a profile's fields follow live
// once, in Rust (`keyward_core::profiles`, reached as `checkProfileForm`, and applied
// again by saving), and so do each platform's words for them (`catalog.svelte.ts`);
// what is here only names and places.

/** The fields of a profile form, spelled as the backend names them in `AppError.field`. */
export type ProfileField = "name" | "kind" | "base_url" | "project_id" | "notes" | "token";
export const PROFILE_FIELDS: readonly ProfileField[] = ["name", "kind", "base_url", "project_id", "notes", "token"];

export function isProfileField(field: string | null): field is ProfileField {
  return (PROFILE_FIELDS as readonly (string | null)[]).includes(field);
}
