//! Workloads & Health in the real app (issue #9): a workload created through the form
//! (readiness followed to ready) in front of an upstream this test runs and controls;
//! the test degrades it (`/health` 503, KV cache 99 %) and restores it, and the list's
//! badge and reason, the workload page's status and its KV-cache chart must follow.
//! The desktop notification is counted on the session bus: `dbus-monitor` sees every
//! `org.freedesktop.Notifications.Notify` call the app makes, and there must be exactly
//! one for the degradation (the recovery falls inside the five-minute quiet period).
//! Screenshots of the list and the workload page in both themes go to
//! `target/e2e/workloads/`.
//!
//! Debug-build knobs: the embedded gateway probes every 300 ms and the background
//! watch checks every 500 ms (`KEYWARD_PROBE_INTERVAL_MS`, `KEYWARD_HEALTH_WATCH_MS`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use keyward_e2e::App;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
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

/// Counts `Notify` calls on the session bus while it lives.
struct NotifyCounter {
    child: std::process::Child,
    count: Arc<AtomicUsize>,
}

impl NotifyCounter {
    fn start() -> Self {
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
        let seen = count.clone();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if line.starts_with("method call") && line.contains("member=Notify") {
                    seen.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        // dbus-monitor needs a moment to become a monitor.
        std::thread::sleep(Duration::from_millis(300));
        NotifyCounter { child, count }
    }

    fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
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

async fn wait_until(app: &App, what: &str, mut check: impl AsyncFnMut(&App) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check(app).await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn wait_row_status(app: &App, status: &str, reason: &str) {
    let badge = "[data-testid='workload-row-chat'] [data-testid='status-badge']";
    wait_until(
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
    let notifications = NotifyCounter::start();

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
    wait_until(&app, "readiness to reach ready", async |app| {
        text(app, "[data-testid='readiness-elapsed']")
            .await
            .starts_with("Ready after")
    })
    .await;
    app.screenshot("light-readiness").await;
    app.click("[data-testid='readiness-close']").await;

    wait_row_status(&app, "healthy", "Serving normally.").await;
    wait_until(&app, "the GPUs column", async |app| {
        text(app, "[data-testid='kv-chat']").await == "31 %"
    })
    .await;
    app.screenshot("light-list-healthy").await;
    open_page(&app).await;
    wait_until(&app, "a KV-cache point at 31 %", async |app| {
        newest_kv_cache(app).await == Some(31.0)
    })
    .await;
    let healthy_chart = kv_chart_src(&app).await;
    app.screenshot("light-page-healthy").await;
    back_to_list(&app).await;
    assert_eq!(notifications.count(), 0, "nothing to say while healthy");

    // Degrade: the engine dies (503) with the KV cache full.
    control.set(503, 0.99);
    wait_row_status(&app, "down", "Engine dead: GET /health answered 503.").await;
    assert_eq!(text(&app, "[data-testid='kv-chat']").await, "99 %");
    app.screenshot("light-list-down").await;
    open_page(&app).await;
    wait_until(&app, "the page's status", async |app| {
        text(app, "[data-testid='workload-reason']").await
            == "Engine dead: GET /health answered 503."
    })
    .await;
    // The newest one-minute bucket is the mean of its probes: above 31 % once the
    // 99 % probes arrive.
    wait_until(&app, "the KV-cache chart to rise", async |app| {
        newest_kv_cache(app).await.is_some_and(|kv| kv > 40.0)
    })
    .await;
    assert_ne!(kv_chart_src(&app).await, healthy_chart, "the chart redrew");
    app.screenshot("light-page-down").await;
    back_to_list(&app).await;
    wait_until(&app, "one notification", async |_| {
        notifications.count() >= 1
    })
    .await;

    // Restore.
    control.set(200, 0.31);
    wait_row_status(&app, "healthy", "Serving normally.").await;
    let log = text(&app, "[data-testid='event-log']").await;
    assert!(log.contains("Engine dead"), "{log}");
    // A few more watch rounds: still exactly one (the recovery is inside the quiet period).
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(notifications.count(), 1, "exactly one notification");

    // Dark theme: the list and the page again.
    let mut dark = knobs;
    dark[0] = ("GTK_THEME", "Adwaita:dark");
    let app = app.restart_with(&dark).await;
    app.click("[data-testid='nav-workloads']").await;
    wait_row_status(&app, "healthy", "Serving normally.").await;
    app.screenshot("dark-list").await;
    open_page(&app).await;
    wait_until(&app, "a KV-cache point", async |app| {
        newest_kv_cache(app).await.is_some()
    })
    .await;
    app.screenshot("dark-page").await;
    drop(notifications);
    app.close().await;
}
