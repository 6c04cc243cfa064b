//! The gateway's workload calls: create, edit, delete, health, the project-wide
//! summary, the keys allowed to call a workload and the readiness stream. The form
//! and the readiness events' parsing stay in [`crate::workloads`]; only HTTP is here.
//!
//! The workload routes themselves (`/api/projects/{p}/workloads`, `/api/workloads/{id}`,
//! the readiness stream) are InferenceKey's, which the gateway serves unchanged so that
//! InferenceKey's SDK provisions against it. [`WorkloadRoutes`] is those requests once,
//! for any platform that speaks them: Keyward's client and the InferenceKey adapter
//! differ only in their [`Dialect`] and in the wire types they read the answers as.

use super::client::DIALECT;
use super::KeywardClient;
use crate::platform::http::{read_json, route, status_error, transport_error, Dialect, Http};
use crate::workloads::{
    follow_events, KeyRef, ReadinessEvent, WorkloadKeys, WorkloadUsage, KEY_PAGE,
};
use crate::{Error, Profile};
use chrono::{DateTime, Utc};
use keyward_api::health::{HealthSummary, WorkloadHealth};
use keyward_api::scope::WorkloadScope;
use keyward_api::workloads::{DeletedWorkload, Workload, WorkloadRequest};
use reqwest::{header, Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;

/// A readiness stream is closed by the gateway after 15 minutes; wait a little longer.
const READINESS_TIMEOUT: Duration = Duration::from_secs(960);

/// InferenceKey's workload routes on the profile's project, called with `dialect`'s
/// credential and failures; the answers are read as whatever wire type the caller has.
#[derive(Clone, Copy)]
pub(crate) struct WorkloadRoutes<'a> {
    pub http: &'a Http,
    pub dialect: &'a Dialect,
}

impl WorkloadRoutes<'_> {
    fn request(&self, profile: &Profile, method: Method, path: &str) -> RequestBuilder {
        self.http.authorized(self.dialect, profile, method, path)
    }

    fn project_path(profile: &Profile) -> String {
        route(&["api", "projects", &profile.project_id, "workloads"])
    }

    /// `GET /api/projects/{p}/workloads`.
    pub async fn list<T: DeserializeOwned>(&self, profile: &Profile) -> Result<T, Error> {
        let request = self.request(profile, Method::GET, &Self::project_path(profile));
        self.http.send_json(self.dialect, profile, request).await
    }

    /// `POST /api/projects/{p}/workloads`.
    pub async fn create<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        profile: &Profile,
        body: &B,
    ) -> Result<T, Error> {
        let request = self
            .request(profile, Method::POST, &Self::project_path(profile))
            .json(body);
        self.http.send_json(self.dialect, profile, request).await
    }

    /// `PATCH /api/workloads/{id}` with only the members to change.
    pub async fn update<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        profile: &Profile,
        workload_id: &str,
        patch: &B,
    ) -> Result<T, Error> {
        let path = route(&["api", "workloads", workload_id]);
        let request = self.request(profile, Method::PATCH, &path).json(patch);
        self.http.send_json(self.dialect, profile, request).await
    }

    /// `DELETE /api/workloads/{id}`; the answer unread, as platforms answer a delete
    /// differently (the gateway with what it deleted, others with nothing).
    pub async fn delete(&self, profile: &Profile, workload_id: &str) -> Result<Response, Error> {
        let path = route(&["api", "workloads", workload_id]);
        let request = self.request(profile, Method::DELETE, &path);
        self.http.send(self.dialect, profile, request).await
    }

    /// Follows the readiness events of the workload `slug` until `ready` or `error`,
    /// handing each phase change to `on_event`; returns the last event.
    pub async fn follow_readiness(
        &self,
        profile: &Profile,
        slug: &str,
        on_event: impl FnMut(&ReadinessEvent),
    ) -> Result<ReadinessEvent, Error> {
        let path = route(&[
            "api",
            "projects",
            &profile.project_id,
            "workloads",
            slug,
            "readiness-events",
        ]);
        let response = self
            .request(profile, Method::GET, &path)
            .header(header::ACCEPT, "text/event-stream")
            .timeout(READINESS_TIMEOUT)
            .send()
            .await
            .map_err(|e| transport_error(profile, &e))?;
        if !response.status().is_success() {
            return Err(status_error(self.dialect, profile, response).await);
        }
        follow_events(response.bytes_stream(), on_event, |e| {
            transport_error(profile, &e)
        })
        .await
    }
}

impl KeywardClient {
    /// Every active key that may call the workload `slug`, as the gateway's own filter
    /// (`?workload=`, which also matches project-wide keys) answers it, page after page
    /// until its total is read: a project with thousands of keys has no cut-off here.
    pub async fn workload_keys(
        &self,
        profile: &Profile,
        slug: &str,
    ) -> Result<WorkloadKeys, Error> {
        let mut keys = Vec::new();
        let mut total = 0;
        loop {
            let query = crate::keys::KeyListQuery {
                status: Some(crate::platform::model::KeyState::Active),
                workload: Some(slug.to_owned()),
                sort: Some(crate::keys::KeySort::Name),
                limit: Some(KEY_PAGE),
                offset: Some(keys.len() as i64),
                ..Default::default()
            };
            let page = self.query_keys(profile, &query).await?;
            total = total.max(page.total);
            let read = page.keys.len();
            keys.extend(page.keys.into_iter().map(|k| KeyRef {
                project_wide: k.workloads == WorkloadScope::Project,
                id: k.id,
                name: k.name,
            }));
            if read == 0 || keys.len() as i64 >= page.total {
                break;
            }
        }
        // Named first; the sort is stable, so each group keeps the gateway's name order.
        keys.sort_by_key(|k| k.project_wide);
        Ok(WorkloadKeys {
            keys,
            total: u32::try_from(total).unwrap_or(u32::MAX),
        })
    }

    pub async fn get_workload(
        &self,
        profile: &Profile,
        workload_id: &str,
    ) -> Result<Workload, Error> {
        let path = route(&["api", "workloads", workload_id]);
        self.send(profile, self.control(profile, Method::GET, &path))
            .await
    }

    /// The gateway's workload routes, with its dialect.
    fn workload_routes(&self) -> WorkloadRoutes<'_> {
        WorkloadRoutes {
            http: &self.http,
            dialect: &DIALECT,
        }
    }

    pub async fn create_workload(
        &self,
        profile: &Profile,
        request: &WorkloadRequest,
    ) -> Result<Workload, Error> {
        self.workload_routes().create(profile, request).await
    }

    pub async fn update_workload(
        &self,
        profile: &Profile,
        workload_id: &str,
        patch: &WorkloadRequest,
    ) -> Result<Workload, Error> {
        self.workload_routes()
            .update(profile, workload_id, patch)
            .await
    }

    /// Deletes a workload; the answer names the keys that lost it from their scope.
    pub async fn delete_workload(
        &self,
        profile: &Profile,
        workload_id: &str,
    ) -> Result<DeletedWorkload, Error> {
        let response = self.workload_routes().delete(profile, workload_id).await?;
        read_json(profile, response).await
    }

    /// A workload's status and its probes between `from` and `to`.
    pub async fn workload_health(
        &self,
        profile: &Profile,
        workload_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<WorkloadHealth, Error> {
        let path = route(&["api", "workloads", workload_id, "health"]);
        let request = self.control(profile, Method::GET, &path).query(&[
            (
                "from",
                from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ),
            ("to", to.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        ]);
        self.send(profile, request).await
    }

    /// Requests and tokens the workload `slug` served between `from` and `to` (hours).
    pub async fn workload_usage(
        &self,
        profile: &Profile,
        slug: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<WorkloadUsage, Error> {
        let query = keyward_api::usage::UsageQuery {
            start: from,
            end: to,
            bucket: keyward_api::usage::UsageBucket::None,
            group_by: Vec::new(),
            key_ids: Vec::new(),
            models: Vec::new(),
            workloads: vec![slug.to_owned()],
        };
        let path = route(&["v1", "projects", &profile.project_id, "usage"]);
        let request = self
            .control(profile, Method::GET, &path)
            .query(&query.to_params());
        let report: keyward_api::usage::UsageReport = self.send(profile, request).await?;
        Ok(report
            .rows
            .iter()
            .fold(WorkloadUsage::default(), |sum, row| WorkloadUsage {
                requests: sum.requests + row.requests as f64,
                errors: sum.errors + row.errors as f64,
                input_tokens: sum.input_tokens + row.input_tokens as f64,
                output_tokens: sum.output_tokens + row.output_tokens as f64,
            }))
    }

    /// Every workload's status and last probe: the cheap call to poll.
    pub async fn health_summary(&self, profile: &Profile) -> Result<HealthSummary, Error> {
        let path = route(&[
            "api",
            "projects",
            &profile.project_id,
            "workloads",
            "health",
        ]);
        self.send(profile, self.control(profile, Method::GET, &path))
            .await
    }

    /// Follows a workload's readiness events until `ready` or `error`, handing each
    /// phase change to `on_event`; returns the last event.
    pub async fn follow_readiness(
        &self,
        profile: &Profile,
        slug: &str,
        on_event: impl FnMut(&ReadinessEvent),
    ) -> Result<ReadinessEvent, Error> {
        self.workload_routes()
            .follow_readiness(profile, slug, on_event)
            .await
    }
}
