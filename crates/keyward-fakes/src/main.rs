//! `keyward-fake`: serves one fake platform on a loopback port for end-to-end tests and
//! the SDK scripts. It prints one line of JSON — `{"base_url": "...", "admin_key": "..."}`
//! — on stdout once it accepts connections, then serves until it is killed. Faults are
//! injected over HTTP: `POST /_fake/faults` on the same port.

use anyhow::Result;
use clap::{Parser, ValueEnum};
use keyward_fakes::{anthropic, gcore, litellm, openai, openrouter, Fake};
use std::io::Write;

#[derive(Clone, Copy, ValueEnum)]
enum Platform {
    Openai,
    Anthropic,
    Openrouter,
    Litellm,
    Gcore,
}

/// Serve a fake OpenAI, Anthropic or OpenRouter admin API, a LiteLLM proxy or Gcore's
/// Everywhere Inference API, with a generated organisation.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Which platform to fake.
    #[arg(long, value_enum)]
    platform: Platform,
    /// Projects (OpenAI) or workspaces (Anthropic) to generate.
    #[arg(long, default_value_t = 3)]
    projects: usize,
    /// Keys per project or workspace.
    #[arg(long, default_value_t = 5)]
    keys: usize,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let fake = match args.platform {
        Platform::Openai => Fake::openai(openai::Seed::generated(args.projects, args.keys)).await,
        Platform::Anthropic => {
            Fake::anthropic(anthropic::Seed::generated(args.projects, args.keys)).await
        }
        // The proxy is one project: its keys are `projects × keys`, with 30 days of spend.
        Platform::Litellm => {
            Fake::litellm(litellm::Seed::generated(args.projects * args.keys, 30)).await
        }
        // OpenRouter has one account: its keys are projects × keys.
        Platform::Openrouter => {
            Fake::openrouter(openrouter::Seed::generated(args.projects * args.keys)).await
        }
        // Gcore: the seeded project, with projects × keys more unattached keys.
        Platform::Gcore => Fake::gcore(gcore::Seed::generated(args.projects * args.keys)).await,
    };
    let line = serde_json::json!({"base_url": fake.base_url, "admin_key": fake.admin_key});
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()?;
    drop(stdout);
    tokio::signal::ctrl_c().await?;
    Ok(())
}
