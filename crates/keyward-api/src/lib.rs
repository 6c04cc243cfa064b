//! Wire types of Keyward's own REST API.
//!
//! The gateway serialises these and the console deserialises them, so both sides
//! agree on one definition instead of two that drift. Field names are snake_case on
//! the wire because the seed platforms (Upgreat, InferenceKey) use snake_case and their
//! SDKs must keep working against keyward-gateway. With the `specta` feature the same
//! types are exported to the desktop UI's TypeScript bindings.

pub mod csv;
pub mod error;
pub mod health;
pub mod keys;
pub mod models;
pub mod projects;
pub mod scope;
pub mod secret;
pub mod token;
pub mod usage;
pub mod workloads;

pub use error::{ErrorBody, ErrorCode, ErrorDetail};
pub use keys::{
    validate_name, CreateKeyRequest, CreatedKey, FieldError, IdentifyKeyRequest, InferenceKey,
    KeyPage, KeySpec, KeyStatus, KeyUsage, ModelUsage, RotateKeyRequest, UpdateKeyRequest,
    MAX_KEY_NAME_CHARS,
};
pub use models::{Model, ModelList};
pub use projects::{
    AuditEvent, AuditPage, ControlToken, ControlTokenList, CreateControlTokenRequest,
    CreatedControlToken, Project, ProjectList, ProjectRequest, Role, WhoAmI,
};
pub use scope::{Labels, TokenLimitPeriod, WorkloadScope};
pub use secret::Secret;
pub use token::{TokenFormatError, TokenKind};
