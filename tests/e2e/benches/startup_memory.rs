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
//! A change is measured against what it replaces in the same run: every build named in
//! `KEYWARD_BENCH_COMPARE` (`label=path;label=path`, e.g. the previous commit's binary,
//! or a script that `exec`s it with some environment) is launched in turn with the app
//! under test in each round, so all of them see the same machine load.
//!
//! Run: `scripts/bench-startup-memory.sh` (builds the UI and the release app, then runs
//! this inside `dbus-run-session` with an unlocked gnome-keyring).

use keyward_e2e::procs::{launched_app_pid, pss_kib, tree};
use keyward_e2e::App;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

const ROUNDS: usize = 5;
const IDLE: Duration = Duration::from_secs(20);
/// 200 MB in MiB.
const TARGET_MIB: f64 = 190.7;

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

/// Prints one launch's start-up times and keeps them with the others of its kind.
fn note_start(
    label: &str,
    round: usize,
    run: &str,
    (body, keys): (f64, f64),
    into: &mut (Vec<f64>, Vec<f64>),
) {
    println!(
        "round {round} {label:>10}: {run:<10} webview {body:6.0} ms, Keys screen {keys:6.0} ms"
    );
    into.0.push(body);
    into.1.push(keys);
}

/// (webview ms, Keys screen ms) of a launched app, from its process start.
async fn startup(app: &App) -> (f64, f64) {
    app.wait_for("body").await;
    let body_at = uptime();
    app.wait_for("[data-testid='keys-empty'], [data-testid='key-row']")
        .await;
    let keys_at = uptime();
    let start = started(launched_app_pid(&app.identifier));
    ((body_at - start) * 1000.0, (keys_at - start) * 1000.0)
}

fn median(values: &[f64]) -> f64 {
    let mut values = values.to_vec();
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// One build under measurement and what it measured.
struct Build {
    label: String,
    binary: PathBuf,
    first: (Vec<f64>, Vec<f64>),
    later: (Vec<f64>, Vec<f64>),
    /// PSS in MiB by process (`app` for the app itself), and the total.
    memory: BTreeMap<String, Vec<f64>>,
}

impl Build {
    fn new(label: &str, binary: PathBuf) -> Build {
        Build {
            label: label.to_owned(),
            binary,
            first: (Vec::new(), Vec::new()),
            later: (Vec::new(), Vec::new()),
            memory: BTreeMap::new(),
        }
    }

    async fn round(&mut self, round: usize) {
        let app = App::launch_binary(
            "bench-startup",
            self.binary.clone(),
            tempfile::tempdir().unwrap(),
        )
        .await;
        let measured = startup(&app).await;
        note_start(&self.label, round, "first run", measured, &mut self.first);

        let app = app.restart().await;
        let measured = startup(&app).await;
        note_start(&self.label, round, "later run", measured, &mut self.later);

        tokio::time::sleep(IDLE).await;
        let root = launched_app_pid(&app.identifier);
        let parts: Vec<(String, f64)> = tree(root)
            .into_iter()
            .filter_map(|pid| {
                let (name, kib) = pss_kib(pid)?;
                let name = if pid == root { "app".to_owned() } else { name };
                Some((name, kib as f64 / 1024.0))
            })
            .collect();
        let total: f64 = parts.iter().map(|(_, mib)| mib).sum();
        let by_process = parts
            .iter()
            .map(|(name, mib)| format!("{name} {mib:.1}"))
            .collect::<Vec<_>>()
            .join(", ");
        println!(
            "round {round} {:>10}: PSS after {}s idle {total:.1} MiB ({by_process})",
            self.label,
            IDLE.as_secs(),
        );
        for (name, mib) in parts {
            self.memory.entry(name).or_default().push(mib);
        }
        self.memory.entry("all".to_owned()).or_default().push(total);
        app.close().await;
    }

    fn report(&self) {
        println!(
            "{}: median first run webview {:.0} ms, Keys screen {:.0} ms; later run webview {:.0} ms, Keys screen {:.0} ms",
            self.label,
            median(&self.first.0),
            median(&self.first.1),
            median(&self.later.0),
            median(&self.later.1),
        );
        let memory = self
            .memory
            .iter()
            .map(|(name, values)| format!("{name} {:.1}", median(values)))
            .collect::<Vec<_>>()
            .join(", ");
        println!("{}: median PSS idle (MiB) {memory}", self.label);
    }
}

/// The builds named in `KEYWARD_BENCH_COMPARE`, then the app under test.
fn builds() -> Vec<Build> {
    let mut builds: Vec<Build> = std::env::var("KEYWARD_BENCH_COMPARE")
        .unwrap_or_default()
        .split(';')
        .filter(|entry| !entry.trim().is_empty())
        .map(|entry| {
            let (label, path) = entry.split_once('=').unwrap_or_else(|| {
                panic!("KEYWARD_BENCH_COMPARE entries are label=path, not {entry:?}")
            });
            let path = PathBuf::from(path.trim());
            assert!(path.exists(), "{} does not exist", path.display());
            Build::new(label.trim(), path)
        })
        .collect();
    builds.push(Build::new("this build", keyward_e2e::app_binary()));
    builds
}

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let mut builds = builds();
            for build in &builds {
                println!("{}: {}", build.label, build.binary.display());
            }
            println!("{ROUNDS} rounds");
            for round in 1..=ROUNDS {
                for build in builds.iter_mut() {
                    build.round(round).await;
                }
            }
            for build in &builds {
                build.report();
            }
            let this = builds.last().unwrap();
            let keys = median(&this.later.1);
            let memory = median(&this.memory["all"]);
            println!(
                "targets for this build: Keys screen ≤ 1000 ms (later run, {keys:.0} ms): {}; PSS ≤ 200 MB ({TARGET_MIB} MiB; {memory:.1} MiB): {}",
                if keys <= 1000.0 { "met" } else { "NOT met" },
                if memory <= TARGET_MIB { "met" } else { "NOT met" },
            );
        });
}
