// Guards the platform boundary: only src/lib/platform/ may import @tauri-apps/*, so
// the rest of the UI stays testable without Tauri and every platform call is findable
// in one place. The generated bindings are checked too (their imports are rewritten
// to ./platform/tauri/* by the Rust exporter).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const src = join(__dirname, "..", "..");
const platform = join(src, "lib", "platform");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|svelte|js)$/.test(name) ? [path] : [];
  });
}

describe("platform boundary", () => {
  it("keeps every @tauri-apps import inside src/lib/platform/", () => {
    const offenders = sources(src)
      .filter((path) => !path.startsWith(platform))
      .filter((path) => /from\s+["']@tauri-apps\//.test(readFileSync(path, "utf8")))
      .map((path) => relative(src, path));
    expect(offenders).toEqual([]);
  });

  it("has no hand-written invoke outside the generated bindings", () => {
    const offenders = sources(src)
      .filter((path) => !path.startsWith(platform) && !path.endsWith("bindings.ts"))
      .filter((path) => !path.endsWith(".test.ts"))
      .filter((path) => /\binvoke\s*\(/.test(readFileSync(path, "utf8")))
      .map((path) => relative(src, path));
    expect(offenders).toEqual([]);
  });
});
