//! Imports in progress: found candidates are held here with their tokens, and the UI
//! sees them masked, addressed by id. Each chosen one becomes a profile on its own, so
//! one failure never undoes the rest.
//!
//! An OpenRouter candidate is asked about as soon as it is found, and again before it is
//! saved: `OPENROUTER_API_KEY` holds an app's inference key as often as a management key,
//! and only the platform can say which (`GET /key`). An inference key is named as such
//! in the list, before anyone chooses, is not held, and never becomes a profile.
//! A refusal the scan already knows (a data key under InferenceKey's variables, see
//! [`ImportCandidate::refusal`]) is shown the same way, without asking anyone.

use super::{Console, ProfileForm};
use crate::import::ImportCandidate;
use crate::platform::PlatformKind;
use crate::profile::Profile;
use crate::profiles::StoredProfile;
use crate::Error;
use crate::ErrorCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An import candidate as the UI sees it: masked, addressed by id.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ImportCandidateView {
    pub id: String,
    pub source: String,
    pub name: String,
    pub kind: PlatformKind,
    pub base_url: Option<String>,
    pub project_id: Option<String>,
    pub masked: String,
    /// Why this credential cannot become a profile, as its platform said when the scan
    /// asked (an OpenRouter inference key); `None` = it may be chosen. A refused
    /// candidate's token is not held.
    pub refusal: Option<String>,
}

/// The user's choice for one candidate: its id plus the settings they confirmed.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ImportChoice {
    pub candidate_id: String,
    pub name: String,
    pub kind: PlatformKind,
    pub base_url: String,
    pub project_id: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ImportFailure {
    pub candidate_id: String,
    pub name: String,
    pub error: Error,
}

/// Each choice succeeds or fails on its own; the report says which.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ImportReport {
    pub created: Vec<StoredProfile>,
    pub failed: Vec<ImportFailure>,
}

impl Console {
    /// Holds freshly found candidates (tokens stay here) and returns their masked
    /// views. A new scan replaces the previous one's candidates. OpenRouter candidates
    /// are asked about first (concurrently): one the platform refuses — an inference key,
    /// a key it does not know — comes back with the platform's sentence and is not held.
    /// A platform that cannot be reached refuses nothing: the import asks again.
    pub async fn offer_imports(&self, found: Vec<ImportCandidate>) -> Vec<ImportCandidateView> {
        let refusals =
            futures_util::future::join_all(found.iter().map(|c| self.refusal_of(c))).await;
        let mut imports = self.imports.lock().unwrap_or_else(|p| p.into_inner());
        imports.clear();
        found
            .into_iter()
            .zip(refusals)
            .map(|(candidate, refusal)| {
                let id = format!("imp_{}", uuid::Uuid::now_v7().simple());
                let view = ImportCandidateView {
                    id: id.clone(),
                    source: candidate.source.clone(),
                    name: candidate.name.clone(),
                    kind: candidate.kind,
                    base_url: candidate.base_url.clone(),
                    project_id: candidate.project_id.clone(),
                    masked: candidate.masked.clone(),
                    refusal: refusal.clone(),
                };
                if refusal.is_none() {
                    imports.insert(id, candidate);
                }
                view
            })
            .collect()
    }

    /// The refusal the scan found, else the platform's refusal of an OpenRouter
    /// candidate (401/403 from `GET /key`, or its answer that this is an inference
    /// key); `None` for every other platform and when the question could not be asked.
    async fn refusal_of(&self, candidate: &ImportCandidate) -> Option<String> {
        if candidate.refusal.is_some() {
            return candidate.refusal.clone();
        }
        if candidate.kind != PlatformKind::Openrouter {
            return None;
        }
        let probe = Profile {
            id: "import".to_owned(),
            name: candidate.name.clone(),
            kind: candidate.kind,
            base_url: candidate.base_url.clone()?,
            project_id: String::new(),
            token: candidate.token.clone(),
        };
        let platform = probe.kind.adapter(&self.http)?;
        match platform.connection(&probe).await {
            Err(error) if matches!(error.code, ErrorCode::Forbidden | ErrorCode::Unauthorized) => {
                Some(error.message)
            }
            _ => None,
        }
    }

    /// Drops every pending candidate and its token (the import dialog was closed).
    pub fn discard_imports(&self) {
        self.imports
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Saves the chosen candidates as profiles, their tokens straight into the
    /// keychain. Each choice stands alone: one failing does not undo the others. A
    /// Keyward candidate's empty project ID is read from its token, as *Add profile*
    /// does (issue #15), so an import never asks for what the token identifies.
    pub async fn import(&self, choices: Vec<ImportChoice>, now: DateTime<Utc>) -> ImportReport {
        let mut report = ImportReport {
            created: Vec::new(),
            failed: Vec::new(),
        };
        for choice in choices {
            let token = self
                .imports
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&choice.candidate_id)
                .map(|c| c.token.clone());
            let Some(token) = token else {
                report.failed.push(ImportFailure {
                    candidate_id: choice.candidate_id,
                    name: choice.name,
                    error: Error::new(
                        ErrorCode::NotFound,
                        "This candidate is no longer held; scan the source again.",
                    ),
                });
                continue;
            };
            let form = ProfileForm {
                name: choice.name.clone(),
                kind: choice.kind,
                base_url: choice.base_url,
                project_id: choice.project_id,
                notes: String::new(),
                token: Some(token),
            };
            // As *Add profile*: an empty project of a Keyward token is read from it.
            let checked = if form.kind == PlatformKind::Openrouter {
                self.management_key_only(form).await
            } else {
                self.with_project(form, None).await
            };
            let created = match checked {
                Ok(form) => self.store.create(None, form.into(), now).await,
                Err(error) => Err(error),
            };
            match created {
                Ok(created) => {
                    self.imports
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&choice.candidate_id);
                    report.created.push(created);
                }
                Err(error) => report.failed.push(ImportFailure {
                    candidate_id: choice.candidate_id,
                    name: choice.name,
                    error,
                }),
            }
        }
        report
    }

    /// An OpenRouter form whose key the platform confirms is a management key (the
    /// adapter's *Test connection*, whose refusal of an inference key is the failure
    /// shown), its empty account filled in from the same answer.
    async fn management_key_only(&self, mut form: ProfileForm) -> Result<ProfileForm, Error> {
        let Some(token) = form.token.clone() else {
            return Err(Error::field("token", "The candidate has no key to test."));
        };
        // Everything but the account must be right before anything is sent.
        let mut probe_form = form.clone();
        probe_form.project_id = "-".to_owned();
        probe_form.token = None;
        let checked = crate::profiles::validate(probe_form.into(), false)?;
        let probe = Profile {
            id: "import".to_owned(),
            name: checked.name,
            kind: checked.kind,
            base_url: checked.base_url,
            project_id: form.project_id.trim().to_owned(),
            token,
        };
        let platform = probe
            .kind
            .adapter(&self.http)
            .ok_or_else(|| Error::new(ErrorCode::Unsupported, probe.kind.no_adapter_sentence()))?;
        let who = platform.connection(&probe).await?;
        if form.project_id.trim().is_empty() {
            form.project_id = who.project.id;
        }
        Ok(form)
    }
}
