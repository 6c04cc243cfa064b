//! `kw workloads ensure | update | wait`: workloads described by the model they serve
//! — name, slug, model, backend, task type, description, command, InferenceKey's form —
//! through the platform trait, so any platform whose capabilities list those members
//! is driven the same way.
//!
//! `ensure` is InferenceKey's own verb (its SDK's `ManagementClient.ensure`): create the
//! workload, or bring the one with that slug to the flags by changing only what differs,
//! so running it twice is safe in a deploy script. `update` sends only the flags given
//! and, of those, only what differs from the workload as read just before. `wait` follows
//! readiness (scheduling, provisioning, bootstrapping, ready or error), each phase on
//! stderr as it arrives, the last one on stdout. Every field rule is the adapter's; a
//! refusal names the field (exit 2) before any request. A workload is named by its id
//! or, where the platform addresses workloads so (InferenceKey), its slug.

use crate::cli::Global;
use crate::output::{self, Stream};
use clap::{Args, Subcommand};
use keyward_core::platform::workload::{WorkloadDetail, WorkloadSpec};
use keyward_core::platform::Platform;
use keyward_core::workloads::{ReadinessEvent, ReadinessPhase};
use keyward_core::{Error, ErrorCode, Profile};

#[derive(Debug, Subcommand)]
pub enum ModelWorkloadsCommand {
    /// Create a workload, or bring the one with this slug to these flags (InferenceKey's
    /// ensure); prints the workload.
    #[command(
        long_about = "Create a workload, or bring the project's workload with this slug to these flags by changing only what differs (InferenceKey's ensure): safe to run again.\n\nA new workload needs --name, --slug, --model and --backend (ollama, vllm, vllm-omni, sglang or llamacpp); --task-type defaults to text2text. With --wait, its readiness is followed until it serves (phases on stderr)."
    )]
    Ensure(EnsureArgs),
    /// Change a workload: only the flags given, and of those only what differs, are
    /// sent; an empty --description or --command clears it.
    Update(UpdateArgs),
    /// Follow a workload's readiness until it serves or fails: each phase on stderr, the
    /// last on stdout; exit 5 when it ends in error.
    Wait {
        /// The workload's id or slug.
        id: String,
    },
}

/// The members of a workload described by its model.
#[derive(Debug, Args)]
pub struct ModelFlags {
    /// The workload's name, as people read it.
    #[arg(long)]
    pub name: Option<String>,
    /// The name clients call it by (lower-case letters, digits and '-').
    #[arg(long)]
    pub slug: Option<String>,
    /// The model it serves, e.g. meta-llama/Llama-3.1-8B-Instruct.
    #[arg(long)]
    pub model: Option<String>,
    /// The inference server: ollama, vllm, vllm-omni, sglang or llamacpp.
    #[arg(long)]
    pub backend: Option<String>,
    /// What the model does: text2text, embedding, reranker, … (default text2text).
    #[arg(long, value_name = "TASK")]
    pub task_type: Option<String>,
    /// Free-text description ('' clears it on update).
    #[arg(long)]
    pub description: Option<String>,
    /// The command the backend runs with ('' clears it on update).
    #[arg(long)]
    pub command: Option<String>,
}

#[derive(Debug, Args)]
pub struct EnsureArgs {
    #[command(flatten)]
    pub flags: ModelFlags,
    /// Then follow its readiness until it serves or fails.
    #[arg(long)]
    pub wait: bool,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The workload's id or slug.
    pub id: String,
    #[command(flatten)]
    pub flags: ModelFlags,
}

impl ModelFlags {
    fn spec(&self) -> WorkloadSpec {
        WorkloadSpec {
            name: self.name.clone().unwrap_or_default(),
            slug: self.slug.clone(),
            model: self.model.clone(),
            backend: self.backend.clone(),
            task_type: self.task_type.clone(),
            description: self.description.clone(),
            command: self.command.clone(),
            ..WorkloadSpec::default()
        }
    }
}

pub async fn run(
    global: &Global,
    platform: &dyn Platform,
    profile: &Profile,
    command: ModelWorkloadsCommand,
) -> Result<(), Error> {
    match command {
        ModelWorkloadsCommand::Ensure(args) => {
            let change = platform
                .create_workload(profile, &args.flags.spec())
                .await?;
            let detail = platform.get_workload(profile, &change.workload_id).await?;
            print_workload(global, &detail)?;
            if args.wait {
                follow(global, platform, profile, &change.workload_id, false).await?;
            }
            Ok(())
        }
        ModelWorkloadsCommand::Update(args) => {
            let change = platform
                .update_workload(profile, &args.id, &args.flags.spec())
                .await?;
            let detail = platform.get_workload(profile, &change.workload_id).await?;
            print_workload(global, &detail)
        }
        ModelWorkloadsCommand::Wait { id } => follow(global, platform, profile, &id, true).await,
    }
}

fn print_workload(global: &Global, detail: &WorkloadDetail) -> Result<(), Error> {
    if global.json {
        return output::json(Stream::Stdout, detail);
    }
    let spec = &detail.spec;
    let set = |v: &Option<String>| output::or_dash(v.as_deref());
    Stream::Stdout.print(&output::fields(&[
        ("Id", detail.workload.id.clone()),
        ("Slug", detail.workload.slug.clone()),
        ("Name", detail.workload.name.clone()),
        ("Model", set(&spec.model)),
        ("Backend", set(&spec.backend)),
        ("Task type", set(&spec.task_type)),
        ("Description", set(&spec.description)),
        ("Command", set(&spec.command)),
        ("Address", set(&detail.address)),
    ]));
    Ok(())
}

/// Follows readiness, each phase on stderr; the last on stdout when `last_on_stdout`
/// (`wait`; after `ensure` stdout already holds the workload). An `error` phase is a
/// failure with the platform's words.
async fn follow(
    global: &Global,
    platform: &dyn Platform,
    profile: &Profile,
    workload_id: &str,
    last_on_stdout: bool,
) -> Result<(), Error> {
    let mut on_event = |event: &ReadinessEvent| {
        Stream::Stderr.print(&format!(
            "{}: {}",
            crate::commands::word(&event.phase),
            event.message
        ));
    };
    let last = platform
        .follow_readiness(profile, workload_id, &mut on_event)
        .await?;
    if last.phase == ReadinessPhase::Error {
        return Err(Error::new(
            ErrorCode::Upstream,
            format!(
                "The workload did not become ready: {}",
                last.message.trim_end_matches('.')
            ) + ".",
        ));
    }
    if last_on_stdout {
        if global.json {
            return output::json(Stream::Stdout, &last);
        }
        Stream::Stdout.print(&crate::commands::word(&last.phase));
    }
    Ok(())
}
