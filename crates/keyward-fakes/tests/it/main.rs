//! keyward-fakes' integration tests: the official SDKs against each fake (`sdk`), each
//! fake's paging and validation (`openai`, `anthropic`, `gcore`), injected faults
//! (`faults`) and the `keyward-fake` binary (`binary`).

mod anthropic;
mod binary;
mod faults;
mod gcore;
mod litellm_schema;
mod openai;
mod openrouter;
mod sdk;
mod util;
