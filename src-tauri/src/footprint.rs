//! What keeps the console's idle memory down (issue #20: ≤ 200 MB PSS for the app and
//! its WebKit processes). Both settings are process-wide and only hold if made before
//! GTK, WebKit or any other thread starts, which is why [`settle`] is the first thing
//! the app runs.
//!
//! - **Web pages painted by the CPU.** WebKitGTK 2.50 rasterises with Skia on the GPU
//!   by default — here through Mesa, whose GL state and tile buffers cost the web
//!   process about 30 MiB of its ~200 (measured 199 → 169 MiB). These screens are
//!   tables and forms, cheap to paint on the CPU; layers are still composited as before.
//!   WebKitGTK has no API for it, only `WEBKIT_SKIA_ENABLE_CPU_RENDERING`, read when
//!   the web process starts (it inherits the variable). A value the user set is left
//!   alone.
//! - **Fewer, trimmed malloc arenas.** glibc gives threads their own arenas (up to 8
//!   per core) and raises its trim threshold after large frees, so memory freed once
//!   start-up is over (migrations, the first IPC answers) stays mapped for the rest of
//!   the session. Two arenas and a fixed 128 KiB trim threshold give it back; the
//!   app's own allocations are small.
//!
//! WebKit's accelerated compositing, the largest share of the web process, is not
//! switched off although that would save about 80 MiB: with it off, WebKitWebDriver
//! stops answering in the leak-dialog e2e test, so the suite could no longer drive the
//! app. `docs/benchmarks.md` (issue #20 section) has the figures and what was tried.

/// Applies the process-wide memory settings. Must run before any other thread exists
/// (it changes the environment).
pub fn settle() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_SKIA_ENABLE_CPU_RENDERING").is_none() {
        std::env::set_var("WEBKIT_SKIA_ENABLE_CPU_RENDERING", "1");
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes glibc's allocator parameters, and no other thread
    // exists yet to allocate concurrently.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 * 1024);
    }
}
