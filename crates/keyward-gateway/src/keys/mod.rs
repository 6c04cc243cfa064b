//! Inference keys in SQLite: every lifecycle step, each mutation audited in the same
//! transaction.
//!
//! Every query that addresses a key by id also filters by the caller's project, so a
//! token of one project cannot read or change another project's keys even by guessing
//! ids; such a key is simply "not found".
//!
//! Split by who asks: `store` writes (create, update and the lifecycle steps, which
//! share one transaction helper), `query` reads for the control plane (one key, a
//! page, usage), `presented` is the data plane's view of a key found by its secret,
//! and `row` is the stored row both control-plane halves turn into the wire shape.

mod presented;
mod query;
mod row;
mod store;

pub use presented::{find_by_hash, PresentedKey};
pub use query::{get, list, usage, KeyQuery, KeySort};
pub use row::{decode_models, decode_workloads, scope_array_sql, spec_of, status_at, Unreadable};
pub use store::{create, revoke, rotate, set_archived, unknown_workload, update, KeyError};
