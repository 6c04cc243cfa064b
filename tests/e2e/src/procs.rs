//! The app's processes as the benchmarks see them: the app itself (found by this run's
//! unique `KEYWARD_APP_IDENTIFIER` in its environment, so other apps on the machine do not
//! count) and every descendant (WebKit's web and network processes), with their CPU time
//! and their memory (PSS, so pages shared between them are counted once in the sum).

use std::collections::{HashMap, HashSet};
use std::path::Path;

/// (pid, parent pid, utime + stime in ticks) of every process.
pub fn processes() -> Vec<(u32, u32, u64)> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The command name may hold spaces: fields are read after its closing ')'.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let parse = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
        if let (Some(ppid), Some(utime), Some(stime)) = (parse(1), parse(11), parse(12)) {
            all.push((pid, ppid as u32, utime + stime));
        }
    }
    all
}

/// The pid of the app running `binary` whose environment carries `identifier`.
pub fn app_pid(identifier: &str, binary: &Path) -> u32 {
    let wanted = format!("KEYWARD_APP_IDENTIFIER={identifier}");
    for (pid, _, _) in processes() {
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
        if exe.as_deref() != Some(binary) {
            continue;
        }
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        if environ.split(|b| *b == 0).any(|v| v == wanted.as_bytes()) {
            return pid;
        }
    }
    panic!("no running app with {wanted}");
}

/// The pid of the app a WebDriver session launched with `identifier`, whatever its
/// executable (another build, or a script that `exec`s one with some environment):
/// of the processes whose environment carries the identifier, the one that is not a
/// driver (tauri-driver, WebKitWebDriver) and whose parent is not one of them either —
/// WebKit's web and network processes inherit the identifier from the app.
pub fn launched_app_pid(identifier: &str) -> u32 {
    let wanted = format!("KEYWARD_APP_IDENTIFIER={identifier}");
    let carriers: HashMap<u32, u32> = processes()
        .into_iter()
        .filter(|(pid, _, _)| {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            !matches!(comm.trim(), "tauri-driver" | "WebKitWebDriver")
                && environ.split(|b| *b == 0).any(|v| v == wanted.as_bytes())
        })
        .map(|(pid, ppid, _)| (pid, ppid))
        .collect();
    let roots: Vec<u32> = carriers
        .iter()
        .filter(|(_, ppid)| !carriers.contains_key(ppid))
        .map(|(pid, _)| *pid)
        .collect();
    match roots.as_slice() {
        [pid] => *pid,
        _ => panic!("expected one running app with {wanted}, found {roots:?}"),
    }
}

/// `root` and all its descendants.
pub fn tree(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for (pid, ppid, _) in processes() {
        children.entry(ppid).or_default().push(pid);
    }
    let mut seen = HashSet::new();
    let mut order = Vec::new();
    let mut stack = vec![root];
    while let Some(pid) = stack.pop() {
        if seen.insert(pid) {
            order.push(pid);
            stack.extend(children.get(&pid).into_iter().flatten());
        }
    }
    order
}

/// CPU ticks of `root` and all its descendants, with how many processes that was.
pub fn tree_ticks(root: u32) -> (u64, usize) {
    let ticks: HashMap<u32, u64> = processes().into_iter().map(|(p, _, t)| (p, t)).collect();
    let members = tree(root);
    (
        members.iter().filter_map(|p| ticks.get(p)).sum(),
        members.len(),
    )
}

/// A process's proportional set size in KiB (`/proc/<pid>/smaps_rollup`), and its name.
pub fn pss_kib(pid: u32) -> Option<(String, u64)> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let pss = rollup
        .lines()
        .find_map(|line| line.strip_prefix("Pss:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    let name = std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_owned();
    Some((name, pss))
}
