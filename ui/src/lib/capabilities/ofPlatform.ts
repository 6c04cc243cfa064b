// The capabilities of a platform that need not be the active profile's: the leak
// dialog's matches come from every profile, and each card says only what that match's
// platform has. Rust answers locally (`platformCapabilities`) and the answer never
// changes while the app runs, so it is asked once per platform and shared; a failed
// read is forgotten, so the next caller asks again.
import { commands, type Capabilities, type PlatformKind } from "$lib/bindings";

const asked = new Map<PlatformKind, Promise<Capabilities | null>>();

/** What `kind`'s platform offers; null when Rust could not say. */
export function capabilitiesOf(kind: PlatformKind): Promise<Capabilities | null> {
  let answer = asked.get(kind);
  if (!answer) {
    answer = (async () => {
      try {
        return await commands.platformCapabilities(kind);
      } catch (thrown) {
        console.error(`the capabilities of ${kind} could not be read`, thrown);
        asked.delete(kind);
        return null;
      }
    })();
    asked.set(kind, answer);
  }
  return answer;
}

/** For tests: forget every answer, so the next call asks again. */
export function forgetCapabilitiesOf(): void {
  asked.clear();
}
