//! The app's cold start to its first screen and its idle memory (issue #20 targets:
//! ≤ 1 s to the Keys screen, ≤ 200 MB PSS for the app and its WebKit processes after
//! 20 s idle), measured on the real app under Xvfb through tauri-driver.
//!
//! Start-up is read from the kernel, not from the harness: the app process's own start
//! time (`/proc/<pid>/stat` field 22, in clock ticks since boot) to the moment the
//! WebDriver client first finds the element, read as `/proc/uptime` then — so Xvfb's
//! and tauri-driver's own start-up are not counted. Two figures per launch:
//! - **webview** (the baseline measured in the same run): until the page's `<body>`
//!   exists — what Tauri and WebKit cost before any Keyward code has run in the page;
//! - **Keys screen**: until the Keys screen of the embedded gateway's project has
//!   rendered (`keys-empty`), which needs the embedded gateway open, the Local profile
//!   read from the keychain and the first IPC answers.
//!
//! Each round launches on an empty data directory (first run: the gateway's database
//! is created and migrated, the Local profile and its keychain entry made) and then once
//! more on the same directory (every later run), alternating, so both kinds are
//! measured under the same conditions. Memory is the PSS of the app and every
//! descendant, by process, after 20 s idle on the Keys screen of the second launch.
//!
//! Run: `scripts/bench-startup-memory.sh` (builds the UI and the release app, then runs
//! this inside `dbus-run-session` with an unlocked gnome-keyring).

use keyward_e2e::procs::{app_pid, pss_kib, tree};
use keyward_e2e::App;
use std::time::Duration;

const ROUNDS: usize = 5;
const IDLE: Duration = Duration::from_secs(20);

fn ticks_per_second() -> f64 {
    let out = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// Seconds since boot now (`/proc/uptime`, 10 ms resolution).
fn uptime() -> f64 {
    std::fs::read_to_string("/proc/uptime")
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Seconds since boot at which `pid` started.
fn started(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let rest = stat.rsplit_once(')').unwrap().1;
    // Field 22 (starttime) is the 20th after the command name.
    let ticks: f64 = rest.split_whitespace().nth(19).unwrap().parse().unwrap();
    ticks / ticks_per_second()
}

/// (webview ms, Keys screen ms) of a launched app, from its process start.
async fn startup(app: &App) -> (f64, f64) {
    let binary = keyward_e2e::app_binary();
    app.wait_for("body").await;
    let body_at = uptime();
    app.wait_for("[data-testid='keys-empty'], [data-testid='key-row']")
        .await;
    let keys_at = uptime();
    let pid = app_pid(&app.identifier, &binary);
    let start = started(pid);
    ((body_at - start) * 1000.0, (keys_at - start) * 1000.0)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let binary = keyward_e2e::app_binary();
            println!("app {}, {ROUNDS} rounds", binary.display());
            let (mut first_body, mut first_keys) = (Vec::new(), Vec::new());
            let (mut later_body, mut later_keys) = (Vec::new(), Vec::new());
            let mut memory = Vec::new();
            for round in 1..=ROUNDS {
                let app = App::launch_with("bench-startup", &[("GTK_THEME", "Adwaita")]).await;
                let (body, keys) = startup(&app).await;
                println!(
                    "round {round}: first run  webview {body:6.0} ms, Keys screen {keys:6.0} ms"
                );
                first_body.push(body);
                first_keys.push(keys);

                let app = app.restart().await;
                let (body, keys) = startup(&app).await;
                println!(
                    "round {round}: later run  webview {body:6.0} ms, Keys screen {keys:6.0} ms"
                );
                later_body.push(body);
                later_keys.push(keys);

                tokio::time::sleep(IDLE).await;
                let pid = app_pid(&app.identifier, &binary);
                let parts: Vec<(String, u64)> = tree(pid).into_iter().filter_map(pss_kib).collect();
                let total: u64 = parts.iter().map(|(_, kib)| kib).sum();
                let by_process = parts
                    .iter()
                    .map(|(name, kib)| format!("{name} {:.1}", *kib as f64 / 1024.0))
                    .collect::<Vec<_>>()
                    .join(", ");
                println!(
                    "round {round}: PSS after {}s idle {:.1} MiB ({by_process})",
                    IDLE.as_secs(),
                    total as f64 / 1024.0
                );
                memory.push(total as f64 / 1024.0);
                app.close().await;
            }
            println!(
                "median first run:  webview {:6.0} ms, Keys screen {:6.0} ms",
                median(first_body),
                median(first_keys.clone())
            );
            println!(
                "median later run:  webview {:6.0} ms, Keys screen {:6.0} ms",
                median(later_body),
                median(later_keys.clone())
            );
            println!("median PSS idle:   {:.1} MiB", median(memory.clone()));
            println!(
                "targets: Keys screen ≤ 1000 ms (later run): {}; PSS ≤ 200 MB (190.7 MiB): {}",
                if median(later_keys) <= 1000.0 {
                    "met"
                } else {
                    "NOT met"
                },
                if median(memory) <= 190.7 {
                    "met"
                } else {
                    "NOT met"
                }
            );
        });
}
