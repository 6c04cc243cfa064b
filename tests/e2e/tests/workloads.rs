//! Workloads & Health in the real app (issue #9): a workload created through the form
//! (readiness followed to ready) in front of an upstream this test runs and controls;
//! the test degrades it (`/health` 503, KV cache 99 %) and restores it, and the list's
//! badge and reason, the workload page's status and its KV-cache chart must follow.
//! The desktop notifications are read on the session bus: `dbus-monitor` sees every
//! `org.freedesktop.Notifications.Notify` call the app makes, and there must be exactly
//! one when it goes down and one when it recovers (issue #15: the down was once never
//! announced). "No notification" is only asserted once the background watch has
//! provably run: each round logs "health watch round" (debug), and the test waits for
//! rounds after the state it checks.
//! Screenshots of the list and the workload page in both themes go to
//! `target/e2e/workloads/`.
//!
//! Debug-build knobs: the embedded gateway probes every 300 ms and the background
//! watch checks every 500 ms (`KEYWARD_PROBE_INTERVAL_MS`, `KEYWARD_HEALTH_WATCH_MS`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use keyward_e2e::{wait_until, App};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone)]
struct Upstream {
    health: Arc<Mutex<u16>>,
    kv_cache: Arc<Mutex<f64>>,
}

impl Upstream {
    fn set(&self, health: u16, kv_cache: f64) {
        *self.health.lock().unwrap() = health;
        *self.kv_cache.lock().unwrap() = kv_cache;
    }
}

/// A vLLM-like server: `/health` answers the scripted status, `/metrics` serves vLLM
/// gauges with the scripted KV cache and a DCGM exporter's two GPUs.
async fn upstream() -> (String, Upstream) {
    let state = Upstream {
        health: Arc::new(Mutex::new(200)),
        kv_cache: Arc::new(Mutex::new(0.31)),
    };
    async fn health(State(s): State<Upstream>) -> StatusCode {
        StatusCode::from_u16(*s.health.lock().unwrap()).unwrap()
    }
    async fn metrics(State(s): State<Upstream>) -> String {
        let kv = *s.kv_cache.lock().unwrap();
        format!(
            "vllm:num_requests_running{{model_name=\"llama\"}} 4\n\
             vllm:num_requests_waiting{{model_name=\"llama\"}} 1\n\
             vllm:kv_cache_usage_perc{{model_name=\"llama\"}} {kv}\n\
             DCGM_FI_DEV_GPU_UTIL{{gpu=\"0\"}} 81\nDCGM_FI_DEV_GPU_UTIL{{gpu=\"1\"}} 64\n\
             DCGM_FI_DEV_FB_USED{{gpu=\"0\"}} 30000\nDCGM_FI_DEV_FB_FREE{{gpu=\"0\"}} 10000\n\
             DCGM_FI_DEV_FB_USED{{gpu=\"1\"}} 22000\nDCGM_FI_DEV_FB_FREE{{gpu=\"1\"}} 18000\n\
             DCGM_FI_DEV_GPU_TEMP{{gpu=\"0\"}} 66\nDCGM_FI_DEV_GPU_TEMP{{gpu=\"1\"}} 59\n\
             DCGM_FI_DEV_POWER_USAGE{{gpu=\"0\"}} 280\nDCGM_FI_DEV_POWER_USAGE{{gpu=\"1\"}} 210\n"
        )
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .with_state(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, state)
}

/// Counts `Notify` calls on the session bus while it lives, keeping each call's title
/// (the summary: the third string argument, after the app name and the icon).
struct NotifyCounter {
    child: std::process::Child,
    count: Arc<AtomicUsize>,
    titles: Arc<Mutex<Vec<String>>>,
}

impl NotifyCounter {
    async fn start() -> Self {
        assert!(
            std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
            "run inside dbus-run-session (see tests/e2e/README or the test's doc)"
        );
        let mut child = Command::new("dbus-monitor")
            .args([
                "--session",
                "type='method_call',interface='org.freedesktop.Notifications',member='Notify'",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-monitor (package dbus-bin) is needed");
        let count = Arc::new(AtomicUsize::new(0));
        let titles = Arc::new(Mutex::new(Vec::new()));
        // Set once dbus-monitor is a monitor: calls before that are not seen.
        let monitoring = Arc::new(AtomicBool::new(false));
        let (seen, said, ready) = (count.clone(), titles.clone(), monitoring.clone());
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            // Strings of the current Notify call, until its title (third) is read.
            let mut strings: Option<Vec<String>> = None;
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                // The bus takes the monitor's name once it is a monitor (BecomeMonitor).
                if line.starts_with("signal") && line.contains("member=NameLost") {
                    ready.store(true, Ordering::SeqCst);
                }
                if line.starts_with("method call") {
                    strings = line.contains("member=Notify").then(Vec::new);
                    continue;
                }
                let Some(args) = strings.as_mut() else {
                    continue;
                };
                if let Some(text) = line.trim_start().strip_prefix("string \"") {
                    args.push(text.trim_end_matches('"').to_owned());
                    if args.len() == 3 {
                        said.lock().unwrap().push(args[2].clone());
                        seen.fetch_add(1, Ordering::SeqCst);
                        strings = None;
                    }
                }
            }
        });
        wait_until(
            Instant::now() + keyward_e2e::TIMEOUT,
            "dbus-monitor to become a monitor (its NameLost signal)",
            async || match monitoring.load(Ordering::SeqCst) {
                true => Ok(()),
                false => Err("no NameLost yet"),
            },
        )
        .await;
        NotifyCounter {
            child,
            count,
            titles,
        }
    }

    fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    fn titles(&self) -> Vec<String> {
        self.titles.lock().unwrap().clone()
    }
}

/// Rounds the background health watch has completed (its debug log line).
fn watch_rounds(app: &App) -> usize {
    app.log().matches("health watch round").count()
}

/// Waits until the watch has completed `more` rounds after this call: whatever it was
/// going to announce about the state before has been sent by then.
async fn wait_watch_rounds(app: &App, more: usize) {
    let start = watch_rounds(app);
    wait_app(
        app,
        &format!("{more} more health watch rounds"),
        async |app| watch_rounds(app) >= start + more,
    )
    .await;
}

impl Drop for NotifyCounter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn attr(app: &App, css: &str, name: &str) -> Option<String> {
    let value = app
        .client
        .execute(
            "const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;",
            vec![css.into(), name.into()],
        )
        .await
        .unwrap();
    value.as_str().map(str::to_owned)
}

async fn text(app: &App, css: &str) -> String {
    app.client
        .execute(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';",
            vec![css.into()],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// Waits up to 30 s (readiness and the health watch are slower than a screen) until
/// `check` holds.
async fn wait_app(app: &App, what: &str, mut check: impl AsyncFnMut(&App) -> bool) {
    wait_until(
        Instant::now() + Duration::from_secs(30),
        what,
        async || match check(app).await {
            true => Ok(()),
            false => Err("it does not hold yet"),
        },
    )
    .await
}

async fn wait_row_status(app: &App, status: &str, reason: &str) {
    let badge = "[data-testid='workload-row-chat'] [data-testid='status-badge']";
    wait_app(
        app,
        &format!("the row to be {status}: {reason}"),
        async |app| {
            attr(app, badge, "data-status").await.as_deref() == Some(status)
                && text(app, "[data-testid='reason-chat']").await == reason
        },
    )
    .await;
}

/// The KV-cache chart's value (percent) at its newest bucket: focus the chart, Escape
/// (no point), ArrowLeft (the last point), read the tooltip.
async fn newest_kv_cache(app: &App) -> Option<f64> {
    app.client
        .execute(
            "document.querySelector(\"[data-testid='chart-kv_cache'] [role='img']\").focus();",
            vec![],
        )
        .await
        .unwrap();
    app.client
        .active_element()
        .await
        .unwrap()
        .send_keys(&format!(
            "{}{}",
            fantoccini::key::Key::Escape,
            fantoccini::key::Key::Left
        ))
        .await
        .unwrap();
    let tooltip = text(
        app,
        "[data-testid='chart-kv_cache'] [data-testid='chart-tooltip']",
    )
    .await;
    // "…KV cache54 %": the number right before the percent sign.
    let head = tooltip.split('%').next()?.trim_end();
    let start = head
        .rfind(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map_or(0, |i| i + 1);
    head[start..].parse().ok()
}

async fn kv_chart_src(app: &App) -> String {
    attr(app, "[data-testid='chart-kv_cache'] img", "src")
        .await
        .unwrap_or_default()
}

async fn open_page(app: &App) {
    app.click("[data-testid='open-chat']").await;
    app.wait_for("[data-testid='chart-kv_cache'] img").await;
}

async fn back_to_list(app: &App) {
    app.click("[data-testid='workload-back']").await;
    app.wait_for("[data-testid='workload-row-chat']").await;
}

#[tokio::test]
async fn degrade_and_restore_show_in_badge_reason_chart_and_one_notification() {
    let (url, control) = upstream().await;
    let knobs = [
        ("GTK_THEME", "Adwaita"),
        ("KEYWARD_PROBE_INTERVAL_MS", "300"),
        ("KEYWARD_HEALTH_WATCH_MS", "500"),
    ];
    let app = App::launch_with("workloads", &knobs).await;
    let notifications = NotifyCounter::start().await;

    // Create through the form; the readiness view follows it to ready.
    app.click("[data-testid='nav-workloads']").await;
    app.wait_for("[data-testid='workloads-empty']").await;
    app.click("[data-testid='create-workload']").await;
    app.fill("[data-testid='workload-name']", "Chat").await;
    app.fill("[data-testid='workload-model_name']", "llama")
        .await;
    app.fill("[data-testid='workload-upstream_url']", "not a url")
        .await;
    app.click("[data-testid='workload-save']").await;
    app.wait_for("[data-testid='field-error-upstream_url']")
        .await;
    app.fill("[data-testid='workload-upstream_url']", &url)
        .await;
    app.fill(
        "[data-testid='workload-metrics_urls']",
        &format!("{url}/metrics"),
    )
    .await;
    app.click("[data-testid='workload-save']").await;
    wait_app(&app, "readiness to reach ready", async |app| {
        text(app, "[data-testid='readiness-elapsed']")
            .await
            .starts_with("Ready after")
    })
    .await;
    app.screenshot("light-readiness").await;
    app.click("[data-testid='readiness-close']").await;

    wait_row_status(&app, "healthy", "Serving normally.").await;
    wait_app(&app, "the GPUs column", async |app| {
        text(app, "[data-testid='kv-chat']").await == "31 %"
    })
    .await;
    app.screenshot("light-list-healthy").await;
    open_page(&app).await;
    wait_app(&app, "a KV-cache point at 31 %", async |app| {
        newest_kv_cache(app).await == Some(31.0)
    })
    .await;
    let healthy_chart = kv_chart_src(&app).await;
    app.screenshot("light-page-healthy").await;
    back_to_list(&app).await;
    // The watch has seen it healthy (the list shows what the gateway says; the watch
    // polls on its own): two more rounds, then there must have been nothing to say.
    wait_watch_rounds(&app, 2).await;
    assert_eq!(notifications.count(), 0, "nothing to say while healthy");

    // Degrade: the engine dies (503) with the KV cache full.
    control.set(503, 0.99);
    wait_row_status(&app, "down", "Engine dead: GET /health answered 503.").await;
    assert_eq!(text(&app, "[data-testid='kv-chat']").await, "99 %");
    app.screenshot("light-list-down").await;
    open_page(&app).await;
    wait_app(&app, "the page's status", async |app| {
        text(app, "[data-testid='workload-reason']").await
            == "Engine dead: GET /health answered 503."
    })
    .await;
    // The newest one-minute bucket is the mean of its probes: above 31 % once the
    // 99 % probes arrive.
    wait_app(&app, "the KV-cache chart to rise", async |app| {
        newest_kv_cache(app).await.is_some_and(|kv| kv > 40.0)
    })
    .await;
    assert_ne!(kv_chart_src(&app).await, healthy_chart, "the chart redrew");
    app.screenshot("light-page-down").await;
    back_to_list(&app).await;
    wait_app(&app, "the down notification", async |_| {
        notifications.count() >= 1
    })
    .await;
    assert_eq!(notifications.titles(), ["Workload chat is down"]);

    // Restore: the recovery is announced too, at once.
    control.set(200, 0.31);
    wait_row_status(&app, "healthy", "Serving normally.").await;
    let log = text(&app, "[data-testid='event-log']").await;
    assert!(log.contains("Engine dead"), "{log}");
    wait_app(&app, "the recovery notification", async |_| {
        notifications.count() >= 2
    })
    .await;
    // Three more rounds of the watch while it stays healthy: nothing more to say.
    wait_watch_rounds(&app, 3).await;
    assert_eq!(
        notifications.titles(),
        ["Workload chat is down", "Workload chat recovered"],
        "one notification per change"
    );

    // Dark theme: the list and the page again.
    let mut dark = knobs;
    dark[0] = ("GTK_THEME", "Adwaita:dark");
    let app = app.restart_with(&dark).await;
    app.click("[data-testid='nav-workloads']").await;
    wait_row_status(&app, "healthy", "Serving normally.").await;
    app.screenshot("dark-list").await;
    open_page(&app).await;
    wait_app(&app, "a KV-cache point", async |app| {
        newest_kv_cache(app).await.is_some()
    })
    .await;
    app.screenshot("dark-page").await;
    drop(notifications);
    app.close().await;
}
