//! What keeps the console's idle memory down (issue #20: ≤ 200 MB PSS for the app and
//! its WebKit processes). These settings are process-wide and only hold if made before
//! GTK, WebKit or any other thread starts, which is why [`settle`] is the first thing
//! the app runs.
//!
//! - **No accelerated compositing.** WebKitGTK 2.50 composites every page on the GPU by
//!   default — here through Mesa — which keeps a layer tree, its tiles and a compositor
//!   thread with its GL context in the web process: 196 → 111 MiB measured, and still
//!   168 → 112 MiB once pages were painted by the CPU (below). Off, the web process
//!   paints the page into one shared-memory image that the app's window draws. What a
//!   user gives up is GPU compositing: scrolling and CSS animations are painted by the
//!   CPU, and 3D transforms, WebGL and hardware video decoding are not accelerated.
//!   This console shows tables, forms and SVG charts, with no 3D, canvas or video, so
//!   it looks and behaves the same. WebKitGTK's
//!   other switch, the `hardware-acceleration-policy` setting, only applies once wry
//!   has already created the webview and started the page in compositing mode (it kept
//!   ~6 MiB of it); `WEBKIT_DISABLE_COMPOSITING_MODE` (WebKit's list of environment
//!   variables, trac.webkit.org/wiki/EnvironmentVariables; `0` leaves compositing on)
//!   is read as WebKit starts, so it holds from the first frame.
//! - **No DMA-BUF renderer.** It carries composited frames from the web process to the
//!   window; with compositing off the page travels as shared-memory images instead, yet
//!   the renderer would still set itself up in the app (Mesa driver state and heap:
//!   4–5 MiB measured). `WEBKIT_DISABLE_DMABUF_RENDERER` (WebKitGTK's switch back to
//!   shared-memory buffers) goes with compositing: only when the user did not choose a
//!   compositing mode themselves, so `WEBKIT_DISABLE_COMPOSITING_MODE=0` alone gives
//!   back WebKit's defaults for both.
//! - **Web pages painted by the CPU.** With compositing on, WebKitGTK rasterises with
//!   Skia on the GPU; its GL state and tile buffers cost the web process about 30 MiB
//!   (measured 199 → 169 MiB). `WEBKIT_SKIA_ENABLE_CPU_RENDERING` keeps it on the CPU,
//!   so a user who turns compositing back on (`WEBKIT_DISABLE_COMPOSITING_MODE=0`) still
//!   gets the leaner of the two composited modes.
//! - **No JavaScript JIT.** JavaScriptCore compiles hot JavaScript to machine code in
//!   the web process; its compiler threads, code and profiling data took ~6 MiB there
//!   at idle (measured 111.1 → 105.0 MiB). Off (`JSC_useJIT=false`, one of JSC's
//!   options, read from the environment as the web process starts; `JSC_useJIT=true`
//!   gives it back), pages run in JSC's interpreter. It is also the safer default for
//!   a console that holds admin keys: the process that renders untrusted provider data
//!   keeps no writable, executable memory — the reason Safari's Lockdown Mode and
//!   Edge's enhanced security mode turn the JIT off too. This console's JavaScript is
//!   a Svelte UI over tables, forms and ready-made SVG; the Keys screen's heaviest page
//!   (100,000 keys) and the cold start were measured with it off (docs/benchmarks.md,
//!   issue #20).
//! - **Fewer, trimmed malloc arenas.** glibc gives threads their own arenas (up to 8
//!   per core) and raises its trim threshold after large frees, so memory freed once
//!   start-up is over (migrations, the first IPC answers) stays mapped for the rest of
//!   the session. Two arenas and a fixed 128 KiB trim threshold give it back; the
//!   app's own allocations are small.
//!
//! A variable the user set is left alone. With compositing off, WebKitWebDriver's
//! screenshots wait for a repaint that a page at rest never makes; the e2e harness
//! keeps one coming while it captures (`tests/e2e/src/lib.rs`, `while_repainting`).
//! `docs/benchmarks.md` (issue #20 section) has the figures and what was tried;
//! `scripts/bench-webkit-floor.sh` gives a bare WebKitGTK window the same variables, to
//! measure the floor under these figures — change both together.

/// Applies the process-wide memory settings. Must run before any other thread exists
/// (it changes the environment).
pub fn settle() {
    #[cfg(target_os = "linux")]
    {
        let unless_set = |variable: &str, value: &str| {
            if std::env::var_os(variable).is_none() {
                std::env::set_var(variable, value);
            }
        };
        if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
            unless_set("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
            unless_set("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
        }
        unless_set("WEBKIT_SKIA_ENABLE_CPU_RENDERING", "1");
        unless_set("JSC_useJIT", "false");
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes glibc's allocator parameters, and no other thread
    // exists yet to allocate concurrently.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 * 1024);
    }
}
