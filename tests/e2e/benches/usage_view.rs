//! Usage & Spend, a 90-day view rendered in the real app (issue #7 target: ≤ 300 ms
//! end to end) over a project with 1,000 keys × 20 models of sparse history.
//!
//! The history is fed before launch through the embedded gateway's own meter with past
//! timestamps (`seed_usage`, the proxy's metering path), not by hand-written SQL. One
//! sample: with "Last 24 hours" on screen, choosing "Last 90 days" in the period picker
//! until the new view has landed (its period in the DOM, nothing loading), every chart
//! image has decoded and two frames have been painted — IPC, the rollup queries, spend, chart rendering in Rust, the DOM and
//! the images — timed inside the webview with `performance.now()`. Baseline, same run:
//! the same measurement on a project with 10 keys of history.
//!
//! Run: `cargo bench -p keyward-e2e --bench usage_view` (needs `cargo build -p
//! keyward-app` first and a Secret Service: inside `dbus-run-session` with an unlocked
//! gnome-keyring, as `scripts/test.sh` does).

use keyward_e2e::{percentile, App};

const SAMPLES: usize = 15;

/// Chooses `preset` and resolves with [ms, requests shown] once its view has landed
/// (a new period start, nothing loading) and every chart image has decoded and painted.
const CHOOSE: &str = r#"
const [preset, done] = [arguments[0], arguments[1]];
const screen = document.querySelector("[data-testid='usage-screen']");
const period = () => document.querySelector("[data-testid='usage-period']");
const before = period() ? period().dataset.start : "";
const select = document.querySelector("[data-testid='usage-preset']");
const t0 = performance.now();
select.value = preset;
select.dispatchEvent(new Event("change", { bubbles: true }));
(function check() {
  const p = period();
  const images = [...document.querySelectorAll("[data-testid^='usage-chart-'] img")];
  const landed = p && p.dataset.start !== before && screen.getAttribute("aria-busy") !== "true";
  if (landed && images.every((img) => img.complete)) {
    requestAnimationFrame(() => requestAnimationFrame(() => {
      const total = document.querySelector("[data-testid='usage-total-requests']");
      done([performance.now() - t0, total ? total.dataset.value : "0"]);
    }));
  } else {
    requestAnimationFrame(check);
  }
})();
"#;

async fn measure(keys: usize) -> (Vec<f64>, u64, String) {
    let (dir, gateway, project_id) = keyward_e2e::seeded_data_dir(keys).await;
    let ids: Vec<String> = (0..keys).map(|i| format!("key_seed{i:06}")).collect();
    let events =
        keyward_bench_seed::seed_usage(&gateway, &project_id, &ids, 20, 90, chrono::Utc::now())
            .await
            .unwrap();
    gateway.pool().close().await;

    let app = App::launch_with_dir(&format!("bench-usage-{keys}"), dir, Vec::new()).await;
    app.click("[data-testid='nav-usage']").await;
    app.wait_for("[data-testid='usage-preset']").await;
    let mut samples = Vec::new();
    let mut shown = String::new();
    for _ in 0..SAMPLES + 2 {
        app.client
            .execute_async(CHOOSE, vec!["last_24_hours".into()])
            .await
            .unwrap();
        let result = app
            .client
            .execute_async(CHOOSE, vec!["last_90_days".into()])
            .await
            .unwrap();
        samples.push(result[0].as_f64().unwrap());
        shown = result[1].as_str().unwrap_or_default().to_owned();
    }
    app.screenshot(&format!("usage-90-days-{keys}-keys")).await;
    app.close().await;
    samples.drain(..2); // warm-up
    samples.sort_by(f64::total_cmp);
    (samples, events, shown)
}

#[tokio::main]
async fn main() {
    println!("| project (90 days of history) | usage events | requests shown | n | p50 ms | p95 ms | max ms | target |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    for (keys, target) in [(10, "baseline"), (1_000, "≤ 300 ms")] {
        let (samples, events, shown) = measure(keys).await;
        println!(
            "| {keys} keys × 20 models | {events} | {shown} | {} | {:.1} | {:.1} | {:.1} | {target} |",
            samples.len(),
            percentile(&samples, 0.5),
            percentile(&samples, 0.95),
            samples[samples.len() - 1],
        );
    }
}
