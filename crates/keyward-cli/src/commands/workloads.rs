//! `kw workloads`: the platform's workloads (deployments) in the neutral model, as
//! key scopes name them; `get` finds one by id or slug in that list.

use crate::cli::{Global, WorkloadsCommand};
use crate::output::{self, Stream};
use crate::target;
use keyward_core::platform::model::WorkloadRef;
use keyward_core::{Console, Error, ErrorCode};

pub async fn run(
    console: &Console,
    global: &Global,
    command: WorkloadsCommand,
) -> Result<(), Error> {
    let (profile, platform) = target::resolve(console, global).await?;
    let workloads = platform.list_workloads(&profile).await?;
    match command {
        WorkloadsCommand::List => {
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
                    output::or_dash(w.model.as_deref()),
                    output::or_dash(w.upstream.as_deref()),
                    output::when(w.created_at),
                ]
            });
            Stream::Stdout.print(&output::table(
                &["ID", "SLUG", "NAME", "MODEL", "UPSTREAM", "CREATED"],
                rows,
            ));
            Ok(())
        }
        WorkloadsCommand::Model(command) => {
            super::model_workloads::run(global, &*platform, &profile, command).await
        }
        WorkloadsCommand::Get { id } => {
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
                ("Model", output::or_dash(found.model.as_deref())),
                ("Upstream", output::or_dash(found.upstream.as_deref())),
                ("Created", output::when(found.created_at)),
            ]));
            Ok(())
        }
    }
}
