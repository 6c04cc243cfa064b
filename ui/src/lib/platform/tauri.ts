// The one door to the Tauri runtime. Nothing else in the UI imports @tauri-apps/*, so the
// generated bindings (and any future platform call) go through here and tests can swap
// the platform out in one place (cf. Yaak's packages/platform, GitButler's IBackend).
export { invoke, Channel } from "@tauri-apps/api/core";
