//! Keys screen, first page visible, measured in the real app (issue #5 target:
//! ≤ 300 ms with 100,000 keys in the project).
//!
//! The embedded gateway's database is seeded before launch (through the gateway's
//! `keyward-bench-seed` bulk insert); the app is the debug build the e2e tests drive, under
//! Xvfb. One sample: from the click on "Keys" (coming from the Profiles screen) until
//! the first key row is in the DOM and a frame has been painted, timed inside the
//! webview with `performance.now()`. The baseline is the same measurement, same run,
//! on a project holding 10 keys.
//!
//! Run: `cargo bench -p keyward-e2e --bench keys_first_page` (needs `cargo build -p
//! keyward-app` first and a Secret Service: run inside `dbus-run-session` with an
//! unlocked gnome-keyring, as `scripts/test.sh` does).

use keyward_e2e::{percentile, App};

const SAMPLES: usize = 30;

const MEASURE: &str = r#"
const done = arguments[0];
const t0 = performance.now();
document.querySelector("[data-testid='nav-keys']").click();
(function check() {
  if (document.querySelector("[data-testid='key-row']")) {
    requestAnimationFrame(() => done(performance.now() - t0));
  } else {
    requestAnimationFrame(check);
  }
})();
"#;

async fn measure(keys: usize) -> Vec<f64> {
    let (dir, gateway, _) = keyward_e2e::seeded_data_dir(keys).await;
    gateway.pool().close().await;

    let app = App::launch_with_dir(&format!("bench-keys-{keys}"), dir, Vec::new()).await;
    app.wait_for("[data-testid='key-row']").await;
    let mut samples = Vec::new();
    for _ in 0..SAMPLES + 3 {
        app.click("[data-testid='nav-profiles']").await;
        app.wait_for("[data-testid='profiles-screen']").await;
        app.wait_gone("[data-testid='key-row']").await;
        let ms = app
            .client
            .execute_async(MEASURE, vec![])
            .await
            .unwrap()
            .as_f64()
            .unwrap();
        samples.push(ms);
    }
    app.screenshot("first-page").await;
    app.close().await;
    samples.drain(..3); // warm-up
    samples.sort_by(f64::total_cmp);
    samples
}

#[tokio::main]
async fn main() {
    println!("| project | n | p50 ms | p95 ms | max ms | target |");
    println!("| --- | ---: | ---: | ---: | ---: | --- |");
    for (keys, target) in [(10, "baseline"), (100_000, "≤ 300 ms")] {
        let samples = measure(keys).await;
        println!(
            "| {keys} keys | {} | {:.1} | {:.1} | {:.1} | {target} |",
            samples.len(),
            percentile(&samples, 0.5),
            percentile(&samples, 0.95),
            samples[samples.len() - 1],
        );
    }
}
