//! kw as a process (issue #17, "`kw`: the same console in a terminal"): every command
//! against a real gateway and the fake OpenAI, the `--json` shapes, the documented exit
//! codes, and where secrets go — a new one alone on stdout, none anywhere else.

mod gateway;
mod gcore;
mod harness;
mod help;
mod inferencekey;
mod litellm;
mod openai;
mod openrouter;
