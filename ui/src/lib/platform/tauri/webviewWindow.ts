// The one door to the Tauri runtime: nothing outside src/lib/platform/ imports
// @tauri-apps/*. The generated bindings import this module in place of
// "@tauri-apps/api/webviewWindow" (rewritten by src-tauri/src/commands/mod.rs).
export * from "@tauri-apps/api/webviewWindow";
