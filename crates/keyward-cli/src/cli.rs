//! The command line as clap sees it: every command, flag and help text, and nothing
//! else. What a command does is in `commands`; this file is the documentation users
//! read with `--help`, so each flag says what it means and where its rules live.
//!
//! No flag takes a secret: argv is visible in `ps` and kept in shell history. Tokens
//! come from `KEYWARD_TOKEN` or a hidden prompt, a leaked secret from stdin or a hidden
//! prompt.

use clap::{Args, Parser, Subcommand, ValueEnum};

pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  anything else (a conflict, a keychain problem, an ambiguous leak, …)
  2  usage error: an unknown flag or a missing argument, or a value the rules refuse
     (the message names the field)
  3  not found: no such profile, key or workload
  4  denied: the platform refused the credential (HTTP 401) or the action (HTTP 403)
  5  platform unreachable, timed out, or failing (HTTP 5xx or an unreadable answer)

Secrets:
  No flag takes a secret. A profile's token is read from the environment variable
  KEYWARD_TOKEN, or typed at a hidden prompt. A new key's secret (keys create, keys
  rotate) is printed alone on stdout and everything else goes to stderr, so
  `kw keys create --name ci > secret.txt` captures only the secret.

Profiles:
  kw uses the desktop app's profiles: its console database in the app's data
  directory (KEYWARD_DATA_DIR, else e.g. ~/.local/share/dev.keyward.console) and the
  tokens in the OS keychain. Without --profile, commands use the profile the app has
  active. --json shapes are documented in crates/keyward-cli/README.md.";

/// Keyward's console in a terminal: profiles, inference keys, usage, workloads and leaked
/// keys on Keyward gateways, OpenAI, Anthropic, OpenRouter, LiteLLM proxies and Gcore
/// Everywhere Inference, sharing the desktop app's profiles.
#[derive(Debug, Parser)]
#[command(name = "kw", version = keyward_version::DESCRIBED, after_long_help = EXIT_CODES, after_help = "Run `kw --help` for exit codes, where secrets go and where profiles are kept.")]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Print stable JSON for scripts instead of tables (shapes in crates/keyward-cli/README.md).
    #[arg(long, global = true)]
    pub json: bool,

    /// The saved profile to use, by name or id (default: the app's active profile).
    #[arg(long, global = true, value_name = "NAME", conflicts_with = "platform")]
    pub profile: Option<String>,

    /// The platform of an unsaved connection, used instead of a profile (needs
    /// --base-url, and the token in the environment variable KEYWARD_TOKEN; its project
    /// is read from the token, or taken from KEYWARD_PROJECT); with `profiles add`, the
    /// new profile's platform.
    #[arg(long, global = true, value_enum, value_name = "PLATFORM")]
    pub platform: Option<PlatformArg>,

    /// The API root of an unsaved connection (or, with `profiles add`, of the new
    /// profile), including its version prefix: e.g. https://api.openai.com/v1.
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlatformArg {
    Keyward,
    Openai,
    Anthropic,
    /// OpenRouter, with a management key (API root https://openrouter.ai/api/v1).
    Openrouter,
    /// A LiteLLM proxy, with its master key (--base-url is the proxy's own URL).
    Litellm,
    /// InferenceKey, with a project's SDK token (--base-url is its API root; a saved
    /// profile names the project with --project: the token does not say it).
    Inferencekey,
    /// Gcore Everywhere Inference, with the account's API token (API root
    /// https://api.gcore.com; the project is its numeric project ID).
    Gcore,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List, add, test and remove the saved connection profiles.
    #[command(subcommand)]
    Profiles(ProfilesCommand),
    /// List, read, create, edit, revoke and rotate inference keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Tokens, requests and spend over a period, per bucket, key or model.
    Usage(UsageArgs),
    /// Find which key a leaked secret is, across every profile, and optionally revoke it.
    #[command(
        long_about = "Find which key a leaked secret is, across every saved profile.\n\nThe secret is read from stdin when stdin is not a terminal (`kw leak < leaked.txt`), else at a hidden prompt; never from argv. Each profile's platform first recognises the secret locally, so a typo causes no request. Platforms that show only part of each secret (OpenAI, Anthropic) can name several candidates: those are marked inexact and never one picked.\n\n--profile, --platform and --base-url do not apply: every saved profile is searched."
    )]
    Leak(LeakArgs),
    /// List, read, create, delete, start and stop the workloads (deployments) of the
    /// profile's platform, and read their logs.
    #[command(subcommand)]
    Workloads(WorkloadsCommand),
}

#[derive(Debug, Subcommand)]
pub enum ProfilesCommand {
    /// List the saved profiles; the app's active one is marked.
    List,
    /// Save a profile. The token is read from KEYWARD_TOKEN, else typed at a hidden
    /// prompt; never from a flag.
    #[command(
        long_about = "Save a profile, usable at once here and in the desktop app.\n\nThe token (a gateway's control token, an OpenAI or Anthropic admin key, an OpenRouter management key, a LiteLLM proxy's master key) is read from the environment variable KEYWARD_TOKEN, else typed at a hidden prompt; no flag takes it. It is stored in the OS keychain only.\n\n--platform (keyward, openai, anthropic, openrouter, litellm or gcore) says which platform the profile talks to and is required; --base-url is its API root including the version prefix (default: the platform's public API; required for a Keyward gateway and a LiteLLM proxy, whose root is the proxy's own URL). The project (organisation) is read from the token when --project is left out; a Gcore token that sees several projects needs --project with the numeric project ID."
    )]
    Add(ProfileAddArgs),
    /// Test connection: who the profile's token is, where, with which role.
    Test {
        /// The profile's name or id (default: --profile, else the app's active profile).
        name: Option<String>,
    },
    /// Remove a profile and its keychain entry.
    Remove {
        /// The profile's name or id.
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct ProfileAddArgs {
    /// The profile's name, unique among profiles.
    #[arg(long)]
    pub name: String,
    /// The project (Keyward, Gcore's numeric ID) or organisation (OpenAI, Anthropic) id;
    /// read from the token when left out.
    #[arg(long)]
    pub project: Option<String>,
    /// Free-text notes shown with the profile.
    #[arg(long, default_value = "")]
    pub notes: String,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List keys (one page), newest first unless --sort says otherwise.
    List(KeyListArgs),
    /// Show one key.
    Get {
        /// The key's id as `kw keys list` shows it.
        id: String,
    },
    /// Create a key; its secret is printed alone on stdout, once.
    #[command(
        long_about = "Create a key with the given limits and scopes; its secret is printed alone on stdout, once, and the key's details go to stderr, so `kw keys create --name ci > secret.txt` captures only the secret.\n\nEvery field is checked by the console's key rules (the desktop dialog's) before any request; each problem names its field."
    )]
    Create(Box<KeyCreateArgs>),
    /// Change a key's name, limits or scopes; what is not given stays as it is.
    #[command(
        long_about = "Change a key's name, limits or scopes; what is not given stays as it is. An empty value clears a limit (`--rpm ''`, `--money-limit ''`). Only the fields that differ are sent."
    )]
    Update(Box<KeyUpdateArgs>),
    /// Revoke a key: its secret stops working at once (on Gcore: detached from every
    /// deployment, then deleted).
    Revoke {
        /// The key's id.
        id: String,
    },
    /// Disable a key: it stops working until enabled again (where the platform can
    /// pause keys: OpenRouter, LiteLLM, Anthropic).
    Disable {
        /// The key's id.
        id: String,
    },
    /// Enable a disabled key again.
    Enable {
        /// The key's id.
        id: String,
    },
    /// Give a key a new secret, printed alone on stdout, once.
    Rotate {
        /// The key's id.
        id: String,
        /// Seconds the old secret keeps working, where the platform has a grace period
        /// (at most 7 days).
        #[arg(long, default_value_t = 0, value_name = "SECONDS")]
        grace: u32,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StatusArg {
    Active,
    /// Paused, where the platform can pause keys (Anthropic `inactive`).
    Disabled,
    Revoked,
    Expired,
    Archived,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SortArg {
    CreatedAt,
    LastUsedAt,
    Name,
}

#[derive(Debug, Args)]
pub struct KeyListArgs {
    /// Only keys in this state (default: every state but archived).
    #[arg(long, value_enum)]
    pub status: Option<StatusArg>,
    /// Only keys whose name, id, hint or owner contains this text.
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Only this project's keys, where a profile spans projects (OpenAI).
    #[arg(long)]
    pub project: Option<String>,
    /// Order of the list.
    #[arg(long, value_enum)]
    pub sort: Option<SortArg>,
    /// How many keys to show (1–200).
    #[arg(long, default_value_t = 50)]
    pub limit: i64,
    /// Skip this many keys (the next page).
    #[arg(long, default_value_t = 0)]
    pub offset: i64,
}

/// When a money budget starts again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MoneyResetArg {
    Day,
    Week,
    Month,
    /// For the key's whole life.
    Never,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PeriodArg {
    Minute,
    Hour,
    Day,
    Week,
    Month,
}

/// Limits and scopes, shared by create and update. Limits are text: the key rules
/// parse them ("1,000,000" is fine; an empty value is no limit).
#[derive(Debug, Args)]
pub struct KeyScopeArgs {
    /// Free-text description.
    #[arg(long)]
    pub description: Option<String>,
    /// Requests per minute (empty: no limit).
    #[arg(long, value_name = "N")]
    pub rpm: Option<String>,
    /// Tokens per minute (empty: no limit).
    #[arg(long, value_name = "N")]
    pub tpm: Option<String>,
    /// Token budget per --period (empty: no budget).
    #[arg(long, value_name = "N")]
    pub token_limit: Option<String>,
    /// The period the token budget applies to.
    #[arg(long, value_enum)]
    pub period: Option<PeriodArg>,
    /// A money budget in USD, e.g. 12.50 (empty: no budget), where the platform keeps
    /// one (OpenRouter, LiteLLM).
    #[arg(long, value_name = "USD")]
    pub money_limit: Option<String>,
    /// When the money budget starts again (default: never, a budget for the key's life).
    #[arg(long, value_enum, value_name = "WHEN")]
    pub money_reset: Option<MoneyResetArg>,
    /// Requests the key may have in flight at once (empty: no limit), where the platform
    /// limits that (LiteLLM).
    #[arg(long, value_name = "N")]
    pub max_parallel: Option<String>,
    /// One model's requests per minute, `MODEL=N` (repeat for several models; `MODEL=`
    /// removes that model's rpm), where the platform limits per model (LiteLLM).
    #[arg(long = "model-rpm", value_name = "MODEL=N")]
    pub model_rpm: Vec<String>,
    /// One model's tokens per minute, `MODEL=N` (repeat; `MODEL=` removes it).
    #[arg(long = "model-tpm", value_name = "MODEL=N")]
    pub model_tpm: Vec<String>,
    /// One model's money budget in USD and when it starts again,
    /// `MODEL=AMOUNT[/daily|weekly|monthly]` (default monthly, or the model's period on
    /// update; repeat; `MODEL=` removes it).
    #[arg(long = "model-budget", value_name = "MODEL=AMOUNT[/PERIOD]")]
    pub model_budget: Vec<String>,
    /// A model the key may call (repeat for several; default: every model).
    #[arg(long = "model", value_name = "MODEL")]
    pub models: Vec<String>,
    /// A workload slug the key may call (repeat for several; default: the whole project).
    /// On Gcore, a deployment to attach the key to (default: none).
    #[arg(long = "workload", value_name = "SLUG")]
    pub workloads: Vec<String>,
    /// A label `name=value` (repeat for several; replaces the key's labels).
    #[arg(long = "label", value_name = "NAME=VALUE")]
    pub labels: Vec<String>,
    /// When the key expires: `never`, a date `YYYY-MM-DD` (start of that day in
    /// --time-zone) or a number of days `30d`.
    #[arg(long, value_name = "WHEN")]
    pub expires: Option<String>,
    /// The IANA time zone an --expires date is in.
    #[arg(long, default_value = "UTC", value_name = "ZONE")]
    pub time_zone: String,
}

#[derive(Debug, Args)]
pub struct KeyCreateArgs {
    /// The key's name.
    #[arg(long)]
    pub name: String,
    /// The project the key is made in, where a profile spans projects (OpenAI).
    #[arg(long)]
    pub project: Option<String>,
    #[command(flatten)]
    pub scopes: KeyScopeArgs,
}

#[derive(Debug, Args)]
pub struct KeyUpdateArgs {
    /// The key's id.
    pub id: String,
    /// A new name.
    #[arg(long)]
    pub name: Option<String>,
    /// Let the key call every model again (drops the --model list).
    #[arg(long, conflicts_with = "models")]
    pub all_models: bool,
    /// Let the key call every workload of the project again.
    #[arg(long, conflicts_with = "workloads")]
    pub whole_project: bool,
    #[command(flatten)]
    pub scopes: KeyScopeArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UsagePeriodArg {
    #[value(name = "24h")]
    Last24h,
    #[value(name = "7d")]
    Last7d,
    #[value(name = "30d")]
    Last30d,
    #[value(name = "90d")]
    Last90d,
    Mtd,
    LastMonth,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BucketArg {
    Minute,
    Hour,
    Day,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupByArg {
    Key,
    Model,
}

#[derive(Debug, Args)]
#[command(
    long_about = "Tokens, requests and spend over a period, as the app's Usage & Spend screen computes them (spend = tokens × the app's price table).\n\nWithout --group-by, one row per bucket; with --group-by, one row per key or model (the top 10 by tokens). --csv prints the same table the app exports."
)]
pub struct UsageArgs {
    /// The period: the last 24 hours, 7, 30 or 90 days, month to date, or last month.
    #[arg(long, value_enum, default_value = "7d")]
    pub period: UsagePeriodArg,
    /// Bucket width (default: fits the period).
    #[arg(long, value_enum)]
    pub bucket: Option<BucketArg>,
    /// One row per key or per model instead of per bucket.
    #[arg(long, value_enum)]
    pub group_by: Option<GroupByArg>,
    /// Print the table as CSV (as the app exports it).
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    /// The IANA time zone days and buckets are in.
    #[arg(long, default_value = "UTC", value_name = "ZONE")]
    pub time_zone: String,
    /// Another project than the profile's.
    #[arg(long)]
    pub project: Option<String>,
}

#[derive(Debug, Args)]
pub struct LeakArgs {
    /// Revoke the key, when exactly one key matches the whole secret, through a profile
    /// allowed to; then print the proof (one request with the dead secret).
    #[arg(long)]
    pub revoke: bool,
}

#[derive(Debug, Subcommand)]
pub enum WorkloadsCommand {
    /// Workloads described by their model (InferenceKey): ensure, update, wait.
    #[command(flatten)]
    Model(crate::commands::model_workloads::ModelWorkloadsCommand),
    /// List the workloads, with their state where the platform reports it.
    List,
    /// Show one workload as the list has it.
    Get {
        /// The workload's id or slug.
        id: String,
    },
    /// Show one workload in full: its state, spec, address, keys and regions.
    Show {
        /// The workload's id (a Gcore deployment's name).
        id: String,
    },
    /// Create a workload and follow its progress until it is done.
    #[command(
        long_about = "Create a workload from flags and follow the platform's progress until it is done or fails (progress on stderr; --no-wait prints what to follow and returns).\n\nEach platform's form has its own members: Gcore takes --image, --flavor, --port, --region ID:MIN:MAX (repeat), --env NAME=VALUE (repeat), --command, --auth, --liveness-path and --readiness-path. A flag the platform has no place for is refused, naming it, before any request."
    )]
    Create(Box<WorkloadCreateArgs>),
    /// Delete a workload and follow the deletion until it is done.
    Delete {
        /// The workload's id.
        id: String,
        /// Print what to follow and return without waiting.
        #[arg(long)]
        no_wait: bool,
    },
    /// Start a stopped workload.
    Start {
        /// The workload's id.
        id: String,
    },
    /// Stop a workload; it can be started again.
    Stop {
        /// The workload's id.
        id: String,
    },
    /// Print the newest lines of a workload's log, oldest first.
    Logs {
        /// The workload's id.
        id: String,
        /// How many lines (1–1000).
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

#[derive(Debug, Args)]
pub struct WorkloadCreateArgs {
    /// The workload's name (on Gcore: 4–30 lower-case letters, digits and '-').
    #[arg(long)]
    pub name: String,
    /// Free-text description.
    #[arg(long)]
    pub description: Option<String>,
    /// The container image to run, e.g. ghcr.io/org/server:1.2.
    #[arg(long)]
    pub image: Option<String>,
    /// The hardware flavor, e.g. inference-1xa100-16vcpu-200gb.
    #[arg(long)]
    pub flavor: Option<String>,
    /// The port the server listens on.
    #[arg(long)]
    pub port: Option<u16>,
    /// A region and its scale, `ID:MIN:MAX` such as 76:1:3 (repeat for several).
    #[arg(long = "region", value_name = "ID:MIN:MAX")]
    pub regions: Vec<String>,
    /// An environment variable `NAME=VALUE` (repeat for several).
    #[arg(long = "env", value_name = "NAME=VALUE")]
    pub env: Vec<String>,
    /// The command the container runs, words separated by spaces.
    #[arg(long)]
    pub command: Option<String>,
    /// Calls need a key (Gcore: the deployment's keys).
    #[arg(long)]
    pub auth: bool,
    /// The HTTP path the platform probes for liveness, e.g. /health.
    #[arg(long, value_name = "PATH")]
    pub liveness_path: Option<String>,
    /// The HTTP path the platform probes for readiness.
    #[arg(long, value_name = "PATH")]
    pub readiness_path: Option<String>,
    /// The model it serves, where the platform's form has one (Keyward, InferenceKey).
    #[arg(long)]
    pub model: Option<String>,
    /// Print what to follow and return without waiting.
    #[arg(long)]
    pub no_wait: bool,
}
