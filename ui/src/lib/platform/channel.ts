// A Tauri IPC channel for commands that stream (a workload's readiness phases): the
// screen hands `onmessage` here and passes the channel to the generated command, so
// `@tauri-apps/*` stays inside src/lib/platform/.
import { Channel } from "./tauri/core";

export function openChannel<T>(onmessage: (message: T) => void): Channel<T> {
  return new Channel<T>(onmessage);
}
