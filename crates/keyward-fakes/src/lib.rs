//! Offline fakes of the OpenAI Admin API and the Anthropic Admin API (issue #17), and of
//! OpenRouter's management API and a LiteLLM proxy's key management (issue #18), and of
//! Gcore's Everywhere Inference keys, deployments and tasks (issue #19).
//!
//! Keyward's platform adapters are tested against these instead of the real organisations:
//! each fake serves a deterministic [`openai::Seed`] or [`anthropic::Seed`] on
//! `127.0.0.1:0`, validates what it is sent the way the platform does (answering in the
//! platform's own error shape), records every request so a test can assert what an
//! adapter sent, and fails on demand through [`faults::Faults`]. The fakes are held to the
//! platforms by the official Python SDKs (`tests/sdk/*_admin_sdk.py`), which call every
//! endpoint they cover with strict response validation. The LiteLLM proxy has no such
//! SDK: its fake is held to the proxy's own OpenAPI document ([`litellm::spec`]).
//!
//! A fake's `base_url` is the API root including the version prefix, as a profile's base
//! URL is: the adapter appends only resource paths (LiteLLM's is the proxy's root).

pub mod anthropic;
pub mod faults;
pub mod gcore;
pub mod litellm;
pub mod openai;
pub mod openrouter;
mod paging;
mod query;
mod reports;
mod seedgen;
mod server;

use std::sync::{Arc, Mutex};

pub use server::RecordedRequest;

/// A fake platform serving on a loopback port until it is dropped.
pub struct Fake {
    /// The API root including `/v1`, e.g. `http://127.0.0.1:PORT/v1`.
    pub base_url: String,
    /// The organisation's admin key (the seed's), which every call must present.
    pub admin_key: String,
    /// Failures to inject; the fake consumes them in order.
    pub faults: faults::Faults,
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Fake {
    /// Serves the OpenAI Admin API over `seed`.
    pub async fn openai(seed: openai::Seed) -> Fake {
        let admin_key = seed.admin_key.secret.clone();
        let router = openai::router(openai::State::new(seed));
        server::start(router, server::Platform::OpenAi, admin_key).await
    }

    /// Serves the Anthropic Admin API over `seed`.
    pub async fn anthropic(seed: anthropic::Seed) -> Fake {
        let admin_key = seed.admin_key.secret.clone();
        let router = anthropic::router(anthropic::State::new(seed));
        server::start(router, server::Platform::Anthropic, admin_key).await
    }

    /// Serves the OpenRouter management API over `seed` under `/api/v1`; `admin_key`
    /// is the management key.
    pub async fn openrouter(seed: openrouter::Seed) -> Fake {
        let admin_key = seed.management_key.clone();
        let router = openrouter::router(openrouter::State::new(seed));
        server::start_at("/api/v1", router, server::Platform::OpenRouter, admin_key).await
    }

    /// Serves a LiteLLM proxy over `seed`, at the root (the base URL is the proxy's).
    pub async fn litellm(seed: litellm::Seed) -> Fake {
        Fake::litellm_state(litellm::State::new(seed)).await
    }

    /// Serves a LiteLLM proxy over `state`, which the caller keeps to move the clock.
    pub async fn litellm_state(state: litellm::State) -> Fake {
        let master_key = state.master_key();
        let router = litellm::router(state);
        server::start_at("", router, server::Platform::Litellm, master_key).await
    }

    /// Serves Gcore's cloud API (Everywhere Inference keys and deployments, tasks,
    /// projects, regions) over `seed`, at the root; `admin_key` is the API token.
    pub async fn gcore(seed: gcore::Seed) -> Fake {
        Fake::gcore_state(gcore::State::new(seed)).await
    }

    /// Serves Gcore over `state`, which the caller keeps to fail tasks, regions or
    /// scale deployments to zero.
    pub async fn gcore_state(state: gcore::State) -> Fake {
        let api_token = state.api_token();
        let router = gcore::router(state);
        server::start_at("", router, server::Platform::Gcore, api_token).await
    }

    /// Every request served so far (control routes excluded), oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.task.abort();
    }
}
