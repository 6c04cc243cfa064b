//! The app's CPU at idle with 200 workloads (issue #9 target: < 2 % of one core on the
//! Workloads screen), measured on the real app under Xvfb.
//!
//! The app is launched (use the release build: `KEYWARD_APP_BIN=target/release/keyward`),
//! 200 workloads are created in its embedded gateway, all in front of one small local
//! upstream (`/health` 200 and vLLM + DCGM metrics), so the embedded prober really
//! probes and scrapes 200 workloads every 10 s inside the app process. Then, for each
//! screen, the app is left alone for a settling period and its CPU time is read from
//! `/proc/<pid>/stat` (utime + stime) of the app process and every descendant (the
//! WebKit web and network processes) over 60 s. The app is found by its unique
//! `KEYWARD_APP_IDENTIFIER` in `/proc/<pid>/environ`, so other apps running on the
//! machine do not count. Baseline in the same run: the Keys screen, idle.
//!
//! Run: `scripts/bench-idle-cpu.sh` (builds the UI and the release app, then runs this
//! inside `dbus-run-session` with an unlocked gnome-keyring).

use axum::routing::get;
use axum::Router;
use keyward_e2e::procs::{self, tree_ticks};
use keyward_e2e::App;
use std::time::{Duration, Instant};

const WORKLOADS: usize = 200;
const SETTLE: Duration = Duration::from_secs(15);
const WINDOW: Duration = Duration::from_secs(60);

async fn upstream() -> String {
    let metrics = "vllm:num_requests_running{model_name=\"m\"} 2\n\
                   vllm:num_requests_waiting{model_name=\"m\"} 0\n\
                   vllm:kv_cache_usage_perc{model_name=\"m\"} 0.4\n\
                   DCGM_FI_DEV_GPU_UTIL{gpu=\"0\"} 70\nDCGM_FI_DEV_GPU_TEMP{gpu=\"0\"} 60\n";
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/metrics", get(move || async move { metrics }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// The app's pid: the process whose environment carries this run's identifier.
fn app_pid(identifier: &str) -> u32 {
    procs::app_pid(identifier, &keyward_e2e::app_binary())
}

fn clock_ticks_per_second() -> f64 {
    let out = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// % of one core used by the app's process tree over `WINDOW`, after `SETTLE`.
async fn idle_cpu(pid: u32) -> (f64, usize) {
    // A fixed quiet period on purpose: waiting for "CPU has dropped" would choose the
    // moment to start measuring by the very number being measured.
    tokio::time::sleep(SETTLE).await;
    let (before, _) = tree_ticks(pid);
    let started = Instant::now();
    // The measurement itself: idle CPU is ticks over a fixed span of wall time.
    tokio::time::sleep(WINDOW).await;
    let (after, processes) = tree_ticks(pid);
    let seconds = started.elapsed().as_secs_f64();
    let percent = (after - before) as f64 / clock_ticks_per_second() / seconds * 100.0;
    (percent, processes)
}

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let upstream = upstream().await;
            let app = App::launch_with("bench-workloads-idle", &[("GTK_THEME", "Adwaita")]).await;
            let (base, project, token) = app.local_gateway().await;
            let http = reqwest::Client::new();
            for i in 0..WORKLOADS {
                let response = http
                    .post(format!("{base}/api/projects/{project}/workloads"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({
                        "name": format!("Workload {i:03}"), "slug": format!("w{i:03}"),
                        "model_name": format!("model-{i:03}"), "backend": "vllm",
                        "upstream_url": upstream, "metrics_urls": [format!("{upstream}/metrics")],
                    }))
                    .send()
                    .await
                    .unwrap();
                assert!(response.status().is_success(), "{}", response.status());
            }
            let pid = app_pid(&app.identifier);
            println!(
                "app {} (pid {pid}), {WORKLOADS} workloads probed every 10 s by the embedded gateway",
                keyward_e2e::app_binary().display()
            );

            app.click("[data-testid='nav-keys']").await;
            app.wait_for("[data-testid='keys-empty']").await;
            let (keys, n) = idle_cpu(pid).await;
            println!("baseline: Keys screen idle      {keys:5.2} % of one core ({n} processes, {}s)", WINDOW.as_secs());

            app.click("[data-testid='nav-workloads']").await;
            app.wait_for("[data-testid='workload-row-w199']").await;
            let (workloads, n) = idle_cpu(pid).await;
            println!("Workloads screen idle, 200 rows {workloads:5.2} % of one core ({n} processes, {}s)", WINDOW.as_secs());
            println!(
                "target < 2 %: {}",
                if workloads < 2.0 { "met" } else { "NOT met" }
            );
            app.close().await;
        });
}
