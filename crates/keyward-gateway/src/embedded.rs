//! The desktop app's in-process gateway: opened on the app's data directory, with the
//! default project created on first launch and its owner token handed over in-process
//! once (the app keeps it in the OS keychain), and re-issued when that entry is lost.

use crate::{audit, projects, DatabaseLocation, Error, Gateway};
use chrono::{DateTime, Utc};
use keyward_api::Secret;
use std::path::Path;

/// Name of the control token the desktop app issues to itself at each launch.
pub const EMBEDDED_TOKEN_NAME: &str = "Keyward desktop (embedded)";

/// The embedded gateway's default project; `owner_token` only on the launch that
/// created it.
#[derive(Debug)]
pub struct EmbeddedProject {
    pub project_id: String,
    pub owner_token: Option<Secret>,
}

impl Gateway {
    /// Embedded mode: opens (or creates) the database and ensures the default
    /// project. On the very first launch the project's owner token is minted and
    /// handed back in-process (`owner_token`), once; afterwards the app reconnects with
    /// the token it keeps in the OS keychain, and only asks for a new one through
    /// [`Gateway::reissue_embedded_owner_token`].
    pub async fn open_embedded(
        data_dir: &Path,
        now: DateTime<Utc>,
    ) -> Result<(Self, EmbeddedProject), Error> {
        let gateway = Self::open(&DatabaseLocation::DataDir(data_dir.to_owned()), true).await?;
        let project = match projects::default_project(&gateway.pool).await? {
            Some(project_id) => EmbeddedProject {
                project_id,
                owner_token: None,
            },
            None => {
                let initialized = gateway
                    .create_default_project(EMBEDDED_TOKEN_NAME, now)
                    .await?;
                EmbeddedProject {
                    project_id: initialized.project_id,
                    owner_token: Some(initialized.owner_token),
                }
            }
        };
        Ok((gateway, project))
    }

    /// A new owner token for the embedded console (its keychain entry was lost). Every
    /// earlier embedded token is revoked in the same transaction, so at most one is
    /// ever live; both steps are audited. (Two transactions: if the second fails the
    /// console has no token either way, and asking again recovers.)
    pub async fn reissue_embedded_owner_token(
        &self,
        project_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Secret, Error> {
        let actor = audit::Actor {
            id: "console".into(),
            label: "Keyward desktop (embedded gateway)".into(),
        };
        let mut tx = self.pool.begin_write().await?;
        let revoked =
            projects::revoke_control_tokens_named(&mut tx, project_id, EMBEDDED_TOKEN_NAME, now)
                .await?;
        if revoked > 0 {
            let event = audit::Event {
                project_id,
                action: "control_token.revoked",
                target_type: "control_token",
                target_id: EMBEDDED_TOKEN_NAME,
                changes: audit::change(
                    "status",
                    serde_json::json!("active"),
                    serde_json::json!("revoked"),
                ),
            };
            audit::record(&mut tx, &actor, event, now).await?;
        }
        tx.commit().await?;
        let (_, owner_token) = projects::create_control_token_audited(
            &self.pool,
            project_id,
            EMBEDDED_TOKEN_NAME,
            projects::Role::Owner,
            &actor,
            now,
        )
        .await?;
        Ok(owner_token)
    }
}
