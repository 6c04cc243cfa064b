//! `kw workloads`: the platform's workloads (deployments) through the platform trait,
//! whichever platform the profile is: listed with their state, shown in full, created
//! from flags into the neutral [`WorkloadSpec`], deleted, started, stopped, and their
//! logs read. A change the platform does in the background (Gcore's tasks) is followed
//! until it ends, its progress on stderr; what a platform lacks is refused with its
//! capabilities' sentence by the adapter, not guessed here.

use crate::cli::{Global, WorkloadCreateArgs, WorkloadsCommand};
use crate::output::{self, Stream};
use crate::target;
use keyward_core::platform::model::{WorkloadRef, WorkloadStatus};
use keyward_core::platform::workload::{
    ChangeProgress, ChangeState, Probes, RegionScale, WorkloadChange, WorkloadDetail, WorkloadSpec,
};
use keyward_core::platform::Platform;
use keyward_core::{Console, Error, ErrorCode, Profile};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The first wait between two polls of a change, doubled up to [`POLL_MAX`]: quick for
/// a change that is done in a moment, gentle on the platform for a GPU image.
const POLL_FIRST: Duration = Duration::from_millis(250);
const POLL_MAX: Duration = Duration::from_secs(5);
/// How long a change is followed before kw stops waiting (the change goes on).
const FOLLOW_FOR: Duration = Duration::from_secs(30 * 60);

pub async fn run(
    console: &Console,
    global: &Global,
    command: WorkloadsCommand,
) -> Result<(), Error> {
    let (profile, platform) = target::resolve(console, global).await?;
    let platform = platform.as_ref();
    match command {
        WorkloadsCommand::List => {
            let workloads = platform.list_workloads(&profile).await?;
            if global.json {
                return output::json(Stream::Stdout, &workloads);
            }
            if workloads.is_empty() {
                Stream::Stderr.print("No workloads yet.");
                return Ok(());
            }
            let rows = workloads.iter().map(|w| {
                vec![
                    w.id.clone(),
                    w.slug.clone(),
                    w.name.clone(),
                    status_text(w.status.as_ref()),
                    output::or_dash(w.model.as_deref()),
                    output::or_dash(w.upstream.as_deref()),
                    output::when(w.created_at),
                ]
            });
            Stream::Stdout.print(&output::table(
                &[
                    "ID", "SLUG", "NAME", "STATE", "MODEL", "UPSTREAM", "CREATED",
                ],
                rows,
            ));
            Ok(())
        }
        WorkloadsCommand::Get { id } => {
            let workloads = platform.list_workloads(&profile).await?;
            let found: &WorkloadRef = workloads
                .iter()
                .find(|w| w.id == id || w.slug == id)
                .ok_or_else(|| {
                    Error::new(
                        ErrorCode::NotFound,
                        format!("No workload has the id or slug \"{id}\"; `kw workloads list` shows them."),
                    )
                })?;
            if global.json {
                return output::json(Stream::Stdout, found);
            }
            Stream::Stdout.print(&output::fields(&[
                ("Id", found.id.clone()),
                ("Slug", found.slug.clone()),
                ("Name", found.name.clone()),
                ("State", status_text(found.status.as_ref())),
                ("Model", output::or_dash(found.model.as_deref())),
                ("Upstream", output::or_dash(found.upstream.as_deref())),
                ("Created", output::when(found.created_at)),
            ]));
            Ok(())
        }
        WorkloadsCommand::Model(command) => {
            super::model_workloads::run(global, platform, &profile, command).await
        }
        WorkloadsCommand::Show { id } => {
            let detail = platform.get_workload(&profile, &id).await?;
            if global.json {
                return output::json(Stream::Stdout, &detail);
            }
            print_detail(&detail);
            Ok(())
        }
        WorkloadsCommand::Create(args) => {
            let spec = spec_from(&args)?;
            let change = platform.create_workload(&profile, &spec).await?;
            finish(global, platform, &profile, change, args.no_wait, "Created").await
        }
        WorkloadsCommand::Delete { id, no_wait } => {
            let change = platform.delete_workload(&profile, &id).await?;
            finish(global, platform, &profile, change, no_wait, "Deleted").await
        }
        WorkloadsCommand::Start { id } => {
            let change = platform.set_workload_running(&profile, &id, true).await?;
            finish(global, platform, &profile, change, false, "Started").await
        }
        WorkloadsCommand::Stop { id } => {
            let change = platform.set_workload_running(&profile, &id, false).await?;
            finish(global, platform, &profile, change, false, "Stopped").await
        }
        WorkloadsCommand::Logs { id, limit } => {
            if !(1..=1000).contains(&limit) {
                return Err(Error::field("limit", "--limit is 1 to 1000 lines."));
            }
            let lines = platform.workload_logs(&profile, &id, limit).await?;
            if global.json {
                return output::json(Stream::Stdout, &lines);
            }
            if lines.is_empty() {
                Stream::Stderr.print("No log lines yet.");
                return Ok(());
            }
            let text: Vec<String> = lines
                .iter()
                .map(|l| {
                    let at =
                        l.at.map(|at| at.format("%Y-%m-%d %H:%M:%S").to_string())
                            .unwrap_or_else(|| "—".to_owned());
                    match &l.source {
                        Some(source) => format!("{at}  {source}  {}", l.message),
                        None => format!("{at}  {}", l.message),
                    }
                })
                .collect();
            Stream::Stdout.print(&text.join("\n"));
            Ok(())
        }
    }
}

/// "healthy", "degraded 1/2", or "—" where the platform does not say.
fn status_text(status: Option<&WorkloadStatus>) -> String {
    match status {
        None => "—".to_owned(),
        Some(s) => match (s.ready, s.total) {
            (Some(ready), Some(total)) => format!("{} {ready}/{total}", super::word(&s.state)),
            _ => super::word(&s.state),
        },
    }
}

fn print_detail(detail: &WorkloadDetail) {
    let w = &detail.workload;
    let spec = &detail.spec;
    let problems = w
        .status
        .as_ref()
        .map(|s| s.problems.join("; "))
        .filter(|p| !p.is_empty());
    // Names only: a variable's value may be a credential (a registry or hub token).
    let env = spec
        .env
        .as_ref()
        .filter(|e| !e.is_empty())
        .map(|e| e.keys().cloned().collect::<Vec<_>>().join(", "));
    let probes = spec.probes.as_ref().map(|p| {
        format!(
            "liveness {}, readiness {}",
            p.liveness_path.as_deref().unwrap_or("off"),
            p.readiness_path.as_deref().unwrap_or("off")
        )
    });
    Stream::Stdout.print(&output::fields(&[
        ("Id", w.id.clone()),
        ("Name", w.name.clone()),
        ("State", status_text(w.status.as_ref())),
        ("Problems", output::or_dash(problems.as_deref())),
        ("Address", output::or_dash(detail.address.as_deref())),
        (
            "Description",
            output::or_dash(spec.description.as_deref().filter(|d| !d.is_empty())),
        ),
        ("Model", output::or_dash(spec.model.as_deref())),
        ("Image", output::or_dash(spec.image.as_deref())),
        ("Flavor", output::or_dash(spec.flavor.as_deref())),
        (
            "Port",
            output::or_dash(spec.port.map(|p| p.to_string()).as_deref()),
        ),
        (
            "Command",
            output::or_dash(spec.command.as_deref().filter(|c| !c.is_empty())),
        ),
        ("Environment", output::or_dash(env.as_deref())),
        (
            "Needs a key",
            output::or_dash(spec.auth_enabled.map(|a| if a { "yes" } else { "no" })),
        ),
        ("Probes", output::or_dash(probes.as_deref())),
        (
            "Keys",
            output::or_dash(
                detail
                    .keys
                    .as_ref()
                    .map(|k| k.join(", "))
                    .as_deref()
                    .filter(|k| !k.is_empty()),
            ),
        ),
        ("Created", output::when(w.created_at)),
    ]));
    if !detail.regions.is_empty() {
        let rows = detail.regions.iter().map(|r| {
            let scale = spec
                .regions
                .iter()
                .find(|s| s.region == r.region)
                .map(|s| format!("{}–{}", s.min, s.max))
                .unwrap_or_else(|| "—".to_owned());
            vec![
                r.region.clone(),
                format!("{}/{}", r.ready, r.total),
                scale,
                output::or_dash(r.address.as_deref()),
                output::or_dash(r.error.as_deref()),
            ]
        });
        Stream::Stdout.print(&output::table(
            &["REGION", "READY", "SCALE", "ADDRESS", "ERROR"],
            rows,
        ));
    }
}

/// `ID:MIN:MAX`, as `--region` takes it.
fn region(text: &str) -> Result<RegionScale, Error> {
    let wrong = || {
        Error::field(
            "regions",
            format!("--region takes ID:MIN:MAX, such as 76:1:3; got “{text}”."),
        )
    };
    let parts: Vec<&str> = text.split(':').map(str::trim).collect();
    let [id, min, max] = parts.as_slice() else {
        return Err(wrong());
    };
    if id.is_empty() {
        return Err(wrong());
    }
    Ok(RegionScale {
        region: (*id).to_owned(),
        min: min.parse().map_err(|_| wrong())?,
        max: max.parse().map_err(|_| wrong())?,
    })
}

/// The flags as the neutral spec; the platform's adapter checks its members.
fn spec_from(args: &WorkloadCreateArgs) -> Result<WorkloadSpec, Error> {
    let mut env = BTreeMap::new();
    for pair in &args.env {
        match pair.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => {
                if env
                    .insert(name.trim().to_owned(), value.to_owned())
                    .is_some()
                {
                    return Err(Error::field(
                        "env",
                        format!("--env sets {} twice.", name.trim()),
                    ));
                }
            }
            _ => {
                return Err(Error::field(
                    "env",
                    format!("--env takes NAME=VALUE, such as MODEL=llama; got “{pair}”."),
                ))
            }
        }
    }
    let probes = (args.liveness_path.is_some() || args.readiness_path.is_some()).then(|| Probes {
        liveness_path: args.liveness_path.clone(),
        readiness_path: args.readiness_path.clone(),
    });
    Ok(WorkloadSpec {
        name: args.name.clone(),
        description: args.description.clone(),
        model: args.model.clone(),
        image: args.image.clone(),
        flavor: args.flavor.clone(),
        port: args.port,
        regions: args
            .regions
            .iter()
            .map(|r| region(r))
            .collect::<Result<_, _>>()?,
        env: (!env.is_empty()).then_some(env),
        command: args.command.clone(),
        auth_enabled: args.auth.then_some(true),
        probes,
        ..WorkloadSpec::default()
    })
}

/// What `--json` prints for a change: what was started and, when followed, how it ended.
#[derive(Serialize)]
struct Followed<'a> {
    change: &'a WorkloadChange,
    progress: Option<ChangeProgress>,
}

/// Follows `change` to its end (unless `no_wait`), its progress on stderr; a change
/// that fails is an error with the platform's words.
async fn finish(
    global: &Global,
    platform: &dyn Platform,
    profile: &Profile,
    change: WorkloadChange,
    no_wait: bool,
    done: &str,
) -> Result<(), Error> {
    let name = change.workload_id.clone();
    let progress = match (&change.follow, no_wait) {
        (Some(follow), false) => Some(follow_change(platform, profile, follow).await?),
        (Some(follow), true) => {
            Stream::Stderr.print(&format!(
                "Started; the platform is still working on \"{name}\" (it follows as {follow})."
            ));
            None
        }
        (None, _) => None,
    };
    if let Some(failed) = progress.as_ref().filter(|p| p.state == ChangeState::Failed) {
        return Err(Error::new(
            ErrorCode::Upstream,
            format!(
                "The platform could not finish the change to \"{name}\": {}",
                failed.message.as_deref().unwrap_or("it did not say why.")
            ),
        ));
    }
    if global.json {
        return output::json(
            Stream::Stdout,
            &Followed {
                change: &change,
                progress,
            },
        );
    }
    if no_wait && change.follow.is_some() {
        Stream::Stdout.print(change.follow.as_deref().unwrap_or_default());
    } else {
        Stream::Stdout.print(&format!("{done} \"{name}\"."));
    }
    Ok(())
}

/// Polls until the change ends, saying each new state on stderr.
async fn follow_change(
    platform: &dyn Platform,
    profile: &Profile,
    follow: &str,
) -> Result<ChangeProgress, Error> {
    let started = std::time::Instant::now();
    let mut wait = POLL_FIRST;
    let mut last: Option<ChangeState> = None;
    loop {
        let progress = platform.workload_change(profile, follow).await?;
        if last != Some(progress.state) {
            Stream::Stderr.print(&format!("{follow}: {}", super::word(&progress.state)));
            last = Some(progress.state);
        }
        if progress.state.is_final() {
            return Ok(progress);
        }
        if started.elapsed() > FOLLOW_FOR {
            return Err(Error::new(
                ErrorCode::Timeout,
                format!("The change is still {} after 30 minutes; kw stopped waiting, the platform did not. Check it with `kw workloads show`.", super::word(&progress.state)),
            ));
        }
        // The platform's pace, not a test's: it answers how far it got, not when done.
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(POLL_MAX);
    }
}
